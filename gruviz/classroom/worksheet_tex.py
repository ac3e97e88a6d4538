"""The worksheet as LaTeX source, for teachers who edit their handouts: the same
content as the PDF (`sheet`), with the equations exactly as gruviz writes them.

The words are in the current language (`text.use`); pdflatex prints English and Spanish.
A Chinese sheet loads xeCJK (its default fonts, Fandol, come with TeX Live) and says on
its second line to compile it with xelatex."""

from __future__ import annotations

import re

from ..text import _, language, ngettext
from . import sheet
from .exercises import Exercise

_TEXT = {"\\": r"\textbackslash{}", "&": r"\&", "%": r"\%", "$": r"\$", "#": r"\#", "_": r"\_", "{": r"\{",
         "}": r"\}", "~": r"\textasciitilde{}", "^": r"\textasciicircum{}", "−": "$-$", "⊙": r"$\odot$",
         "Σ": r"$\Sigma$", "σ": r"$\sigma$", "φ": r"$\varphi$", "·": r"$\cdot$", "×": r"$\times$",
         "…": r"\ldots{}", "—": "---", "≤": r"$\le$", "→": r"$\to$"}


def text(words: str) -> str:
    """Plain words made safe for LaTeX."""
    return "".join(_TEXT.get(ch, ch) for ch in words)


_PLACEHOLDER = re.compile(r"(\{[A-Za-z_][A-Za-z0-9_]*\})")


def fill(sentence: str, **latex: str) -> str:
    """A translated sentence with `{name}` placeholders made safe for LaTeX, each placeholder
    replaced by LaTeX as given (a formula, a rule to write on); a run of spaces is a \\qquad."""
    out = []
    for k, part in enumerate(_PLACEHOLDER.split(sentence)):
        if k % 2:
            out.append(latex[part[1:-1]])
        else:
            out.append(re.sub(" {2,}", lambda _m: r"\qquad ", text(part)))
    return "".join(out)


def _number(value: float) -> str:
    out = f"{value:.4f}".rstrip("0").rstrip(".")
    return "0" if out in ("", "-0") else out


def matrix(m: sheet.Matrix) -> str:
    rows = r" \\ ".join(" & ".join(_number(v) for v in row) for row in m.values)
    return f"{m.latex} = \\begin{{bmatrix}} {rows} \\end{{bmatrix}}"


def _math_row(items: list[sheet.Matrix]) -> str:
    return "\\[ " + r" \qquad ".join(matrix(m) for m in items) + " \\]"


def _tabular(table: sheet.Table, spec: str, height: str = "") -> str:
    header = " & ".join(f"${h}$" if table.math_header and h != "t" else f"\\textbf{{{text(h)}}}"
                        for h in table.header)
    body = "\n".join(" & ".join(text(c).replace("\n", r"\newline ") for c in row) + f" \\\\{height} \\hline" for row in table.rows)
    return f"\\begin{{tabular}}{{{spec}}}\n\\hline {header} \\\\ \\hline\n{body}\n\\end{{tabular}}"


def _key_table(exercise: Exercise, j: int, key: sheet.Table) -> str:
    """One unit's key; `j` counts from 0, the heading from 1, as the PDF's."""
    heading = _("Unit {unit}").format(unit=j + 1)
    unit = f"\\textbf{{{text(heading)}}}\\\\[1mm]\n" if exercise.units > 1 else ""
    return unit + r"{\small " + _tabular(key, "|" + "c|" * len(key.header)) + r"}\\[3mm]"


def _heading(latex: str) -> str:
    return f"{{\\Large\\bfseries {latex}}}\\\\[2mm]"


def _subsection(latex: str) -> str:
    return f"\\subsection*{{{latex}}}"


def tex(exercise: Exercise, answers: bool = False) -> str:
    """A complete document: `pdflatex worksheet.tex` prints the same sheet (`xelatex` in Chinese)."""
    k = exercise.answer_decimals
    chinese = []
    if language() == "zh-Hans":  # xeCJK's default Chinese fonts come with TeX Live (Fandol)
        chinese = ["% " + _("Compile this file with xelatex (xelatex worksheet.tex): its Chinese text needs "
                            "the xeCJK package."), r"\usepackage{xeCJK}"]
    answers_heading = ngettext("Your answers ({decimals} decimal place)",
                               "Your answers ({decimals} decimal places)", k).format(decimals=k)
    name_and_date = fill(_("Name: {name}    Date: {date}"), name=r"\rule{6cm}{0.4pt}", date=r"\rule{3cm}{0.4pt}")
    parts = [
        r"\documentclass[11pt]{article}",
        *chinese,
        r"\usepackage[paperwidth=210mm,paperheight=279.4mm,margin=15mm]{geometry}  % "
        + _("fits A4 and Letter"),
        r"\usepackage{amsmath,array,tabularx}",
        r"\setlength{\parindent}{0pt}\pagestyle{empty}",
        r"\begin{document}",
        _heading(text(sheet.title(exercise))),
        name_and_date + r"\\[2mm]",
        *(text(fact) + r"\\" for fact in sheet.facts(exercise)),
        _subsection(text(_("The weights"))),
        *(_math_row(row) for row in sheet.matrices(exercise)),
        text(sheet.bias_note(exercise)),
        _subsection(text(_("The input sequence and the initial state"))),
        _math_row(sheet.sequence(exercise)),
        _subsection(fill(_("The equations (for {steps})"), steps=r"$t = 1, 2, \ldots$")),
        r"\begin{align*}",
        " \\\\\n".join(e.latex.replace(" = ", " &= ", 1)
                       + f" && \\text{{{text(e.label)}}}" for e in sheet.equations(exercise)),
        r"\end{align*}",
        _subsection(text(answers_heading)),
    ]
    header = sheet.box_header(exercise)
    blank = sheet.Table(header, tuple((str(t + 1),) + ("",) * (len(header) - 1) for t in range(exercise.steps)))
    width = f"{15.5 / (len(header) - 1):.2f}cm"
    parts.append(_tabular(blank, "|c|" + f"p{{{width}}}|" * (len(header) - 1), "[9mm]"))
    if answers:
        grading = sheet.grading_table(exercise)
        parts += [
            r"\newpage",
            _heading(text(_("Answer key — {title}").format(title=sheet.title(exercise)))),
            fill(_("For the teacher. {names} are the values inside σ and φ."),
                 names="$a_z$, $a_r$, $a_h$") + r"\\[2mm]",
            *(_key_table(exercise, j, key) for j, key in enumerate(sheet.key_tables(exercise))),
            _subsection(text(_("Grading: what each classic mistake gives"))),
            r"{\small\renewcommand{\arraystretch}{1.2}",
            _tabular(grading, "|p{7cm}|p{10cm}|"),
            "}",
        ]
    parts.append(r"\end{document}")
    return "\n".join(parts) + "\n"
