"""A day sheet (``planner.daysheets.Sheet``) as an A4 PDF, in DejaVu Sans so that Cyrillic prints.

Every page carries the plan's name and version at the top and its page number at the bottom.
"""

from __future__ import annotations

import datetime as dt
from pathlib import Path

import matplotlib
from fpdf import FPDF

from planner.daysheets import Entry, Part, Sheet

FONT = "DejaVu"
_FONT_DIR = Path(matplotlib.get_data_path()) / "fonts" / "ttf"
_KIND_WIDTH = 22  # mm
_CLOCK_WIDTH = 40  # mm
# The document's date, fixed so that one sheet is always the same bytes.
_CREATED = dt.datetime(2000, 1, 1, tzinfo=dt.UTC)


class _SheetPdf(FPDF):
    def __init__(self, sheet: Sheet) -> None:
        super().__init__(orientation="portrait", unit="mm", format="A4")
        self.sheet = sheet
        self.add_font(FONT, "", str(_FONT_DIR / "DejaVuSans.ttf"))
        self.add_font(FONT, "B", str(_FONT_DIR / "DejaVuSans-Bold.ttf"))
        self.set_margins(15, 20, 15)
        self.set_auto_page_break(auto=True, margin=18)
        self.set_title(f"{sheet.title}, version {sheet.version}")
        self.set_creation_date(_CREATED)
        self.set_creator("delegation-planner")

    def header(self) -> None:
        self.set_y(8)
        self.set_font(FONT, "B", 9)
        self.cell(0, 5, f"{self.sheet.title}  ·  version {self.sheet.version}", align="L")
        self.set_font(FONT, "", 8)
        self.cell(0, 5, "Day sheets", align="R", new_x="LMARGIN", new_y="NEXT")
        self.line(self.l_margin, 14, self.w - self.r_margin, 14)
        self.set_y(18)

    def footer(self) -> None:
        self.set_y(-13)
        self.set_font(FONT, "", 8)
        plan = f"{self.sheet.plan_name}, version {self.sheet.version}"
        self.cell(0, 5, plan, align="L")
        self.cell(0, 5, f"Page {self.page_no()} of {{nb}}", align="R")

    def paragraph(self, text: str, size: float = 9, style: str = "", height: float = 4.6) -> None:
        self.set_font(FONT, style, size)
        self.multi_cell(0, height, text, align="L", new_x="LMARGIN", new_y="NEXT")

    def entry(self, entry: Entry) -> None:
        left = self.l_margin
        width = self.w - self.l_margin - self.r_margin - _CLOCK_WIDTH - _KIND_WIDTH
        lines = 1 + len(entry.details)
        if self.will_page_break(4.8 * lines + 1):
            self.add_page()
        y = self.get_y()
        self.set_font(FONT, "", 9)
        self.cell(_CLOCK_WIDTH, 4.8, "" if entry.clock == "night" else entry.clock)
        self.set_font(FONT, "B", 9)
        self.cell(_KIND_WIDTH, 4.8, entry.kind)
        self.set_font(FONT, "", 9)
        self.multi_cell(width, 4.8, entry.text, align="L", new_x="LMARGIN", new_y="NEXT")
        self.set_font(FONT, "", 8)
        for detail in entry.details:
            self.set_x(left + _CLOCK_WIDTH + _KIND_WIDTH)
            self.multi_cell(width, 4.2, detail, align="L", new_x="LMARGIN", new_y="NEXT")
        self.set_y(max(self.get_y(), y + 4.8) + 0.8)

    def part(self, part: Part) -> None:
        if part.heading:
            self.paragraph(part.heading, size=12, style="B", height=7)
        if not part.days:
            self.paragraph("No seminars, legs or nights in this itinerary.")
        for day in part.days:
            if self.will_page_break(7 + 6):
                self.add_page()
            self.ln(1.5)
            self.set_fill_color(230, 236, 245)
            self.set_font(FONT, "B", 10.5)
            self.cell(0, 6.5, f"{day.date:%A %d %B %Y}", fill=True, new_x="LMARGIN", new_y="NEXT")
            self.ln(1)
            for entry in day.entries:
                self.entry(entry)


def render_pdf(sheet: Sheet) -> bytes:
    """The sheet as PDF bytes: A4, the plan's name and version on every page, pages numbered."""
    pdf = _SheetPdf(sheet)
    pdf.alias_nb_pages()
    pdf.add_page()
    pdf.paragraph(f"Itinerary: {sheet.title}", size=15, style="B", height=8)
    for note in sheet.notes:
        pdf.paragraph(note, size=8.5, height=4.2)
    pdf.ln(2)
    for index, part in enumerate(sheet.parts):
        if index:
            pdf.add_page()
        pdf.part(part)
    return bytes(pdf.output())
