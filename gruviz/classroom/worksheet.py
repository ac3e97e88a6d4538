"""Printable worksheets: a PDF laid out with fpdf2, equations typeset by matplotlib's
mathtext (no TeX installation needed), and the LaTeX source of the same sheet.

Everything sits inside 180 × 245 mm from the top-left margin, so the same page
prints uncut on A4 (210 × 297) and US Letter (215.9 × 279.4).

The words are in the current language (`text.use`). DejaVu Sans has no Chinese glyphs: a
Chinese sheet is set in WenQuanYi Micro Hei (Debian's fonts-wqy-microhei), with DejaVu as
the fallback for any symbol it lacks; the formulas are mathtext images in every language.
"""

from __future__ import annotations

import io
import re
import struct
from contextlib import nullcontext
from functools import lru_cache
from pathlib import Path

from ..errors import InputError
from ..text import _, language, ngettext
from .exercises import Exercise
from . import sheet
from .worksheet_tex import tex  # noqa: F401  (the LaTeX source lives beside; re-exported)

MARGIN, WIDTH, HEIGHT = 15.0, 180.0, 245.0  # mm: the box both paper sizes hold
PAPERS = {"a4": "A4", "letter": "Letter"}
DPI = 600
BOX_HEIGHT = 11.0
CJK_FONT = Path("/usr/share/fonts/truetype/wqy/wqy-microhei.ttc")  # fonts-wqy-microhei; face 0 is proportional
CJK_LANGUAGES = ("zh-Hans",)
EQUATION_LABEL = 30.0  # mm of the equations' names before the formulas (more when a name is longer)


@lru_cache(maxsize=1)
def _fonts() -> tuple[str, str]:
    import matplotlib

    folder = Path(matplotlib.get_data_path()) / "fonts" / "ttf"  # DejaVu: every symbol the sheet prints
    return str(folder / "DejaVuSans.ttf"), str(folder / "DejaVuSans-Bold.ttf")


@lru_cache(maxsize=512)
def _math_image(latex: str, size: float) -> tuple[bytes, float, float]:
    """One formula typeset by mathtext: (png, width mm, height mm). A 600 dpi raster prints
    as sharp as the text beside it; fpdf2's SVG import would take ~0.1 s a formula."""
    import matplotlib
    from matplotlib import mathtext
    from matplotlib.font_manager import FontProperties

    matplotlib.use("Agg")
    with matplotlib.rc_context({"mathtext.fontset": "cm"}):
        buffer = io.BytesIO()
        mathtext.math_to_image(f"${latex}$", buffer, prop=FontProperties(size=size), dpi=DPI, format="png")
    png = buffer.getvalue()
    width, height = struct.unpack(">II", png[16:24])  # the PNG header's IHDR: pixels
    return png, width / DPI * 25.4, height / DPI * 25.4


def check_fonts() -> Path | None:
    """The font file the current language's sheet needs beside DejaVu (None: none); InputError,
    in words for a person, when it is not installed. A page may call it where it can show the
    message, before it offers a download."""
    if language() not in CJK_LANGUAGES:
        return None
    if not CJK_FONT.is_file():
        raise InputError(_("A Chinese worksheet needs the font WenQuanYi Micro Hei ({path}), which is not "
                           "installed: install the Debian package fonts-wqy-microhei (sudo apt-get install "
                           "fonts-wqy-microhei, or make fonts), or print the worksheet in another language."
                           ).format(path=CJK_FONT))
    return CJK_FONT


class _Sheet:
    """An fpdf2 document with the few drawing moves a worksheet needs."""

    def __init__(self, paper: str):
        from fpdf import FPDF

        cjk_font = check_fonts()  # before any work: a missing font is a message
        self.cjk = cjk_font is not None
        self.pdf = FPDF(format=PAPERS[paper], unit="mm")
        self.pdf.set_margins(MARGIN, MARGIN, MARGIN)
        self.pdf.set_auto_page_break(True, margin=self.pdf.h - MARGIN - HEIGHT)
        regular, bold = _fonts()
        self.pdf.add_font("DejaVu", "", regular)
        self.pdf.add_font("DejaVu", "B", bold)
        self.family = "DejaVu"
        if cjk_font is not None:
            # One face and no bold one: bold words are that face drawn heavier (see `bold`), so the
            # PDF embeds one subset of it. DejaVu draws any symbol the Chinese font lacks.
            self.pdf.add_font("WenQuanYi", "", cjk_font, collection_font_number=0)
            self.pdf.set_fallback_fonts(["DejaVu"])
            self.family = "WenQuanYi"
        self.lowest = 0.0  # the lowest point drawn on any page, mm from its top
        self.rightmost = 0.0  # the rightmost point of what does not wrap (formulas, matrices, names), mm

    def font(self, size: float, bold: bool = False) -> None:
        self.pdf.set_font(self.family, "B" if bold and not self.cjk else "", size)

    def bold(self, size: float):
        """Where bold words are drawn: the Chinese font has no bold face, so its outline is
        stroked as well as filled, about 3 % of the font size thick."""
        if not self.cjk:
            return nullcontext()
        return self.pdf.local_context(text_mode="FILL_STROKE", line_width=size * 0.03 * 25.4 / 72)

    def page(self, heading: str, sub: str = "") -> None:
        self.pdf.add_page()
        self.text(heading, 15, bold=True)
        if sub:
            self.text(sub, 9)
        self.pdf.ln(1)

    def text(self, words: str, size: float = 10, bold: bool = False) -> None:
        self.font(size, bold)
        with self.bold(size) if bold else nullcontext():
            self.pdf.multi_cell(WIDTH, size * 0.5, words, new_x="LMARGIN", new_y="NEXT")
        self._mark()

    def section(self, heading: str) -> None:
        self.pdf.ln(2.5)
        self.text(heading, 11.5, bold=True)
        self.pdf.ln(0.5)

    def math(self, latex: str, x: float, y: float, size: float = 11) -> tuple[float, float]:
        png, width, height = _math_image(latex, size)
        self.pdf.image(io.BytesIO(png), x=x, y=y, w=width, h=height)
        self.lowest = max(self.lowest, y + height)
        self.rightmost = max(self.rightmost, x + width)
        return width, height

    def matrix(self, m: sheet.Matrix, x: float, y: float) -> tuple[float, float]:
        """`name = [numbers]` with brackets; returns its width and height."""
        rows, columns = m.values.shape
        cell_w, cell_h = 12.5, 5.5
        label_w, label_h = self.math(f"{m.latex} =", x, y + rows * cell_h / 2 - 2.2)
        left = x + label_w + 1.5
        self.font(9.5)
        for i in range(rows):
            for k in range(columns):
                self.pdf.set_xy(left + 1 + k * cell_w, y + i * cell_h)
                self.pdf.cell(cell_w, cell_h, _number(m.values[i, k]), align="R")
        right = left + 2 + columns * cell_w + 1
        bottom = y + rows * cell_h
        for edge, tick in ((left, 1.2), (right, -1.2)):  # square brackets
            self.pdf.line(edge, y, edge, bottom)
            self.pdf.line(edge, y, edge + tick, y)
            self.pdf.line(edge, bottom, edge + tick, bottom)
        self.lowest = max(self.lowest, bottom)
        self.rightmost = max(self.rightmost, right)
        return right - x, max(rows * cell_h, label_h)

    def matrix_row(self, row: list[sheet.Matrix], gap: float = 8.0) -> None:
        x, y, tallest = MARGIN, self.pdf.get_y(), 0.0
        for m in row:
            width, height = self.matrix(m, x, y)
            x, tallest = x + width + gap, max(tallest, height)
        self.pdf.set_y(y + tallest + 3)

    def table(self, header: tuple[str, ...], rows, math_header: bool, widths=None, line_height: float = 4.5,
              size: float = 9.5, align="CENTER") -> None:
        """A ruled table; math headers are typeset, blank rows become boxes to write in."""
        pdf = self.pdf
        widths = widths or [WIDTH / len(header)] * len(header)
        y = pdf.get_y()
        pdf.set_draw_color(90)
        for k, label in enumerate(header):
            x = MARGIN + sum(widths[:k])
            pdf.rect(x, y, widths[k], 8)
            if math_header and label != "t":
                label_w = _math_image(label, 10.5)[1]
                self.math(label, x + (widths[k] - label_w) / 2, y + 1.5, 10.5)
            else:
                self.font(9, bold=True)
                pdf.set_xy(x, y)
                with self.bold(9):
                    pdf.cell(widths[k], 8, label, align="C")
                self.rightmost = max(self.rightmost, x + (widths[k] + pdf.get_string_width(label)) / 2)
        pdf.set_y(y + 8)
        self.font(size)
        with pdf.table(col_widths=widths, width=WIDTH, first_row_as_headings=False, line_height=line_height,
                       text_align=align, padding=1.2) as table:
            for row in rows:
                cells = table.row()
                for value in row:
                    cells.cell(value)
        self._mark()

    def boxes(self, header: tuple[str, ...], steps: int) -> None:
        widths = [12.0] + [(WIDTH - 12.0) / (len(header) - 1)] * (len(header) - 1)
        self.table(header, [(str(t + 1),) + ("",) * (len(header) - 1) for t in range(steps)], True, widths,
                   line_height=BOX_HEIGHT)

    def _mark(self) -> None:
        self.lowest = max(self.lowest, self.pdf.get_y())

    def output(self) -> bytes:
        return bytes(self.pdf.output())


def _number(value: float) -> str:
    text = f"{value:.4f}".rstrip("0").rstrip(".")
    return "0" if text in ("", "-0") else text.replace("-", "−")


def _student_page(doc: _Sheet, exercise: Exercise) -> None:
    doc.page(sheet.title(exercise), _("Name: {name}    Date: {date}").format(name="_" * 30, date="_" * 14))
    for fact in sheet.facts(exercise):
        doc.text(fact, 9.5)
    doc.section(_("The weights"))
    for row in sheet.matrices(exercise):
        doc.matrix_row(row)
    if sheet.bias_note(exercise):
        doc.text(sheet.bias_note(exercise), 9)
    doc.section(_("The input sequence and the initial state"))
    items = sheet.sequence(exercise)
    for start in range(0, len(items), 3):
        doc.matrix_row(items[start:start + 3], gap=10)
    doc.section(_("The equations (for {steps})").format(steps="t = 1, 2, …"))
    equations = sheet.equations(exercise)
    doc.font(9)
    # The formulas start 2 mm past the longest name (a translated name may be longer than 30 mm).
    label_width = max([EQUATION_LABEL] + [doc.pdf.get_string_width(e.label) + 1 for e in equations])
    for equation in equations:
        y = doc.pdf.get_y()
        doc.font(9)
        doc.pdf.set_xy(MARGIN, y + 1)
        doc.pdf.cell(label_width, 5, equation.label)
        doc.rightmost = max(doc.rightmost, MARGIN + doc.pdf.get_string_width(equation.label))
        _width, height = doc.math(equation.latex, MARGIN + label_width + 2, y, 12)
        doc.pdf.set_y(y + max(height, 6) + 2)
    k = exercise.answer_decimals
    doc.section(ngettext("Your answers ({decimals} decimal place)", "Your answers ({decimals} decimal places)", k
                         ).format(decimals=k))
    doc.boxes(sheet.box_header(exercise), exercise.steps)
    doc.pdf.ln(2)
    doc.text(_("Work each step in order: h_t needs z_t and h~_t, and step t+1 needs h_t."), 8.5)


def _key_pages(doc: _Sheet, exercise: Exercise) -> None:
    doc.page(_("Answer key — {title}").format(title=sheet.title(exercise)),
             _("For the teacher. {names} are the values inside σ and φ.").format(names="a_z, a_r, a_h"))
    for j, key in enumerate(sheet.key_tables(exercise)):
        if exercise.units > 1:
            doc.text(_("Unit {unit}").format(unit=j + 1), 9.5, bold=True)
        doc.table(key.header, key.rows, True)
        doc.pdf.ln(2)
    doc.section(_("Grading: what each classic mistake gives"))
    grading = sheet.grading_table(exercise)
    doc.table(grading.header, grading.rows, False, widths=[62.0, 118.0], size=8.5, align=("CENTER", "LEFT"))


def pdf(exercise: Exercise, answers: bool = False, paper: str = "a4") -> bytes:
    """The worksheet; with `answers`, the answer key and the grading table follow it."""
    return build(exercise, answers, paper).output()


def build(exercise: Exercise, answers: bool = False, paper: str = "a4") -> _Sheet:
    doc = _Sheet(paper)
    _student_page(doc, exercise)
    if answers:
        _key_pages(doc, exercise)
    return doc


def page_count(content: bytes) -> int:
    return len(re.findall(rb"/Type\s*/Page\b", content))


__all__ = ["build", "check_fonts", "page_count", "pdf", "tex"]
