"""The report as a Word file in the layout of official documents (GB/T 9704-2012, as far as python-docx goes).

A4; margins 37 / 35 / 28 / 26 mm (top, bottom, left, right); the title in 2号 (22 pt) 小标宋 (黑体 where the
machine lacks it); body in 3号 (16 pt) 仿宋 at a fixed 28 pt line pitch; headings numbered 一、 in 黑体 and
（一） in 楷体; tables in 五号 (10.5 pt); the page number as "— 1 —" in the footer. Fonts are named, not
embedded: Word and LibreOffice take the nearest font the machine has.
"""

from __future__ import annotations

import io
from typing import Any

from docx import Document
from docx.enum.table import WD_TABLE_ALIGNMENT
from docx.enum.text import WD_ALIGN_PARAGRAPH, WD_LINE_SPACING
from docx.oxml import OxmlElement
from docx.oxml.ns import qn
from docx.shared import Mm, Pt, RGBColor

from reports import charts as chart_module
from reports import sections as s
from reports.context import ReportContext

TITLE_FONT = "方正小标宋简体"
HEADING_FONT = "黑体"
SUB_HEADING_FONT = "楷体"
BODY_FONT = "仿宋"
LATIN_FONT = "Times New Roman"


def _fonts(run_or_style: Any, east_asia: str, size: float, *, bold: bool = False) -> None:
    font = run_or_style.font
    font.name = LATIN_FONT
    font.size = Pt(size)
    font.bold = bold
    font.color.rgb = RGBColor(0, 0, 0)
    rpr = run_or_style.element.get_or_add_rPr()
    fonts = rpr.find(qn("w:rFonts"))
    if fonts is None:
        fonts = OxmlElement("w:rFonts")
        rpr.append(fonts)
    fonts.set(qn("w:eastAsia"), east_asia)


def _page(doc: Any) -> None:
    section = doc.sections[0]
    section.page_width, section.page_height = Mm(210), Mm(297)
    section.top_margin, section.bottom_margin = Mm(37), Mm(35)
    section.left_margin, section.right_margin = Mm(28), Mm(26)
    normal = doc.styles["Normal"]
    _fonts(normal, BODY_FONT, 16)
    normal.paragraph_format.line_spacing_rule = WD_LINE_SPACING.EXACTLY
    normal.paragraph_format.line_spacing = Pt(28)
    normal.paragraph_format.space_after = Pt(0)
    for name, east_asia in (("Heading 1", HEADING_FONT), ("Heading 2", SUB_HEADING_FONT)):
        _fonts(doc.styles[name], east_asia, 16)
        doc.styles[name].paragraph_format.space_before = Pt(6)
        doc.styles[name].paragraph_format.space_after = Pt(0)
    footer = section.footer.paragraphs[0]
    footer.alignment = WD_ALIGN_PARAGRAPH.CENTER
    _page_number(footer)


def _page_number(paragraph: Any) -> None:
    """ "— N —" with N a PAGE field (4号 宋体 in GB/T 9704)."""
    _fonts(paragraph.add_run("— "), "宋体", 14)
    run = paragraph.add_run()
    _fonts(run, "宋体", 14)
    for kind, text in (("begin", None), (None, " PAGE "), ("end", None)):
        if kind:
            element = OxmlElement("w:fldChar")
            element.set(qn("w:fldCharType"), kind)
        else:
            element = OxmlElement("w:instrText")
            element.set(qn("xml:space"), "preserve")
            element.text = text
        run._r.append(element)
    _fonts(paragraph.add_run(" —"), "宋体", 14)


def _body(doc: Any, text: str, *, indent: bool = True) -> None:
    paragraph = doc.add_paragraph()
    if indent:
        paragraph.paragraph_format.first_line_indent = Pt(32)  # two characters of 3号
    _fonts(paragraph.add_run(text), BODY_FONT, 16)


def _heading(doc: Any, text: str, level: int) -> None:
    heading = doc.add_heading("", level=level)
    _fonts(heading.add_run(text), HEADING_FONT if level == 1 else SUB_HEADING_FONT, 16)


def _table(doc: Any, table: s.Table) -> None:
    caption = doc.add_paragraph()
    caption.alignment = WD_ALIGN_PARAGRAPH.CENTER
    _fonts(caption.add_run(table.title), HEADING_FONT, 12)
    if not table.rows:
        _body(doc, "无数据 No data.", indent=False)
        return
    grid = doc.add_table(rows=1, cols=len(table.columns))
    grid.style = "Table Grid"
    grid.alignment = WD_TABLE_ALIGNMENT.CENTER
    for cell, text in zip(grid.rows[0].cells, table.columns, strict=True):
        _cell(cell, text, bold=True)
    for row in table.rows:
        cells = grid.add_row().cells
        for cell, value in zip(cells, row, strict=True):
            _cell(cell, "—" if value is None else str(value))
    if table.note:
        note = doc.add_paragraph()
        _fonts(note.add_run(table.note), BODY_FONT, 10.5)


def _cell(cell: Any, text: str, *, bold: bool = False) -> None:
    paragraph = cell.paragraphs[0]
    paragraph.paragraph_format.line_spacing_rule = WD_LINE_SPACING.SINGLE
    _fonts(paragraph.add_run(text), BODY_FONT, 10.5, bold=bold)


def _picture(doc: Any, png: bytes | None, width_mm: float = 150) -> None:
    if png is None:
        return
    paragraph = doc.add_paragraph()
    paragraph.alignment = WD_ALIGN_PARAGRAPH.CENTER
    paragraph.paragraph_format.line_spacing_rule = WD_LINE_SPACING.SINGLE
    paragraph.add_run().add_picture(io.BytesIO(png), width=Mm(width_mm))


def docx_bytes(ctx: ReportContext, *, charts: bool = True) -> bytes:
    doc = Document()
    _page(doc)
    title = doc.add_paragraph()
    title.alignment = WD_ALIGN_PARAGRAPH.CENTER
    title.paragraph_format.line_spacing = Pt(36)
    _fonts(title.add_run(ctx.title_zh), TITLE_FONT, 22)
    sub = doc.add_paragraph()
    sub.alignment = WD_ALIGN_PARAGRAPH.CENTER
    _fonts(sub.add_run(ctx.title_en), BODY_FONT, 12)
    _body(
        doc,
        "依据《关于加快构建广东省战略性新兴产业集群创新体系支撑产业集群高质量发展的通知》（粤科函高字〔2022〕895号）。",
    )

    _heading(doc, s.HEADINGS[0][0] + " " + s.HEADINGS[0][1], 1)
    for line in s.summary_lines(ctx):
        _body(doc, line)
    _heading(doc, s.HEADINGS[1][0] + " " + s.HEADINGS[1][1], 1)
    _table(doc, s.stage_table(ctx))
    if charts:
        _picture(doc, chart_module.stage_chart(ctx))
        _picture(doc, chart_module.map_chart(ctx), 120)
    _heading(doc, s.HEADINGS[2][0] + " " + s.HEADINGS[2][1], 1)
    _table(doc, s.target_table(ctx))
    _heading(doc, s.HEADINGS[3][0] + " " + s.HEADINGS[3][1], 1)
    _table(doc, s.gap_table(ctx))
    _heading(doc, s.HEADINGS[4][0] + " " + s.HEADINGS[4][1], 1)
    for n, table in enumerate(s.list_tables(ctx)):
        _heading(doc, f"（{'一二三'[n]}）{table.title.split(' ', 1)[1]}", 2)
        _table(doc, table)
    _heading(doc, s.HEADINGS[5][0] + " " + s.HEADINGS[5][1], 1)
    changes = s.change_table(ctx)
    if changes is None:
        _body(doc, "无可比较的早期版本。 No earlier edition to compare with.")
    else:
        _table(doc, changes)
        if charts:
            _picture(doc, chart_module.change_chart(ctx), 120)
    _heading(doc, s.HEADINGS[6][0] + " " + s.HEADINGS[6][1], 1)
    _table(doc, s.source_table(ctx))
    out = io.BytesIO()
    doc.save(out)
    return out.getvalue()
