"""The worksheet as LaTeX source, for teachers who edit their handouts: the same
content as the PDF (`sheet`), with the equations exactly as gruviz writes them."""

from __future__ import annotations

from . import sheet
from .exercises import Exercise

_TEXT = {"\\": r"\textbackslash{}", "&": r"\&", "%": r"\%", "$": r"\$", "#": r"\#", "_": r"\_", "{": r"\{",
         "}": r"\}", "~": r"\textasciitilde{}", "^": r"\textasciicircum{}", "−": "$-$", "⊙": r"$\odot$",
         "Σ": r"$\Sigma$", "σ": r"$\sigma$", "φ": r"$\varphi$", "·": r"$\cdot$", "×": r"$\times$",
         "…": r"\ldots{}", "—": "---", "≤": r"$\le$", "→": r"$\to$"}


def text(words: str) -> str:
    """Plain words made safe for LaTeX."""
    return "".join(_TEXT.get(ch, ch) for ch in words)


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
    unit = f"\\textbf{{Unit {j + 1}}}\\\\[1mm]\n" if exercise.units > 1 else ""
    return unit + r"{\small " + _tabular(key, "|" + "c|" * len(key.header)) + r"}\\[3mm]"


def tex(exercise: Exercise, answers: bool = False) -> str:
    """A complete document: `pdflatex worksheet.tex` prints the same sheet."""
    parts = [
        r"\documentclass[11pt]{article}",
        r"\usepackage[paperwidth=210mm,paperheight=279.4mm,margin=15mm]{geometry}  % fits A4 and Letter",
        r"\usepackage{amsmath,array,tabularx}",
        r"\setlength{\parindent}{0pt}\pagestyle{empty}",
        r"\begin{document}",
        f"{{\\Large\\bfseries {text(sheet.title(exercise))}}}\\\\[2mm]",
        r"Name: \rule{6cm}{0.4pt}\qquad Date: \rule{3cm}{0.4pt}\\[2mm]",
        *(text(fact) + r"\\" for fact in sheet.facts(exercise)),
        r"\subsection*{The weights}",
        *(_math_row(row) for row in sheet.matrices(exercise)),
        text(sheet.bias_note(exercise)),
        r"\subsection*{The input sequence and the initial state}",
        _math_row(sheet.sequence(exercise)),
        r"\subsection*{The equations (for $t = 1, 2, \ldots$)}",
        r"\begin{align*}",
        " \\\\\n".join(e.latex.replace(" = ", " &= ", 1)
                       + f" && \\text{{{text(e.label)}}}" for e in sheet.equations(exercise)),
        r"\end{align*}",
        f"\\subsection*{{Your answers ({exercise.answer_decimals} decimal places)}}",
    ]
    header = sheet.box_header(exercise)
    blank = sheet.Table(header, tuple((str(t + 1),) + ("",) * (len(header) - 1) for t in range(exercise.steps)))
    width = f"{15.5 / (len(header) - 1):.2f}cm"
    parts.append(_tabular(blank, "|c|" + f"p{{{width}}}|" * (len(header) - 1), "[9mm]"))
    if answers:
        grading = sheet.grading_table(exercise)
        parts += [
            r"\newpage",
            f"{{\\Large\\bfseries Answer key --- {text(sheet.title(exercise))}}}\\\\[2mm]",
            r"For the teacher. $a_z$, $a_r$, $a_h$ are the values inside $\sigma$ and $\varphi$.\\[2mm]",
            *(_key_table(exercise, j, key) for j, key in enumerate(sheet.key_tables(exercise))),
            r"\subsection*{Grading: what each classic mistake gives}",
            r"{\small\renewcommand{\arraystretch}{1.2}",
            _tabular(grading, "|p{7cm}|p{10cm}|"),
            "}",
        ]
    parts.append(r"\end{document}")
    return "\n".join(parts) + "\n"
