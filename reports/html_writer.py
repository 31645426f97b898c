"""The report as one self-contained HTML file: charts inlined as PNG data, no request leaves the machine."""

from __future__ import annotations

import base64
import html

from reports import charts as chart_module
from reports import sections as s
from reports.context import ReportContext

STYLE = """
body{font-family:"FangSong","仿宋","WenQuanYi Micro Hei",serif;max-width:60em;margin:2em auto;line-height:1.7}
h1{text-align:center;font-family:"SimHei","黑体","WenQuanYi Micro Hei",sans-serif}
h2{font-family:"SimHei","黑体","WenQuanYi Micro Hei",sans-serif;font-size:1.2em}
table{border-collapse:collapse;margin:.5em 0 1em;font-size:.9em}
td,th{border:1px solid #999;padding:2px 6px;overflow-wrap:anywhere}caption{font-weight:bold}
img{max-width:100%}.note{font-size:.85em;color:#555}
"""


def _table(table: s.Table) -> str:
    if not table.rows:
        return f"<p><b>{html.escape(table.title)}</b>：无数据 No data.</p>"
    head = "".join(f"<th>{html.escape(c)}</th>" for c in table.columns)
    body = "".join(
        "<tr>" + "".join(f"<td>{html.escape('—' if v is None else str(v))}</td>" for v in row) + "</tr>"
        for row in table.rows
    )
    note = f"<p class='note'>{html.escape(table.note)}</p>" if table.note else ""
    return f"<table><caption>{html.escape(table.title)}</caption><tr>{head}</tr>{body}</table>{note}"


def _img(png: bytes | None, alt: str) -> str:
    if png is None:
        return ""
    return f"<p><img alt='{html.escape(alt)}' src='data:image/png;base64,{base64.b64encode(png).decode()}'></p>"


def html_bytes(ctx: ReportContext, *, charts: bool = True) -> bytes:
    h = [f"{zh} {en}" for zh, en in s.HEADINGS]
    parts = [
        f"<!doctype html><html lang='zh'><head><meta charset='utf-8'><title>{html.escape(ctx.title_zh)}</title>",
        f"<style>{STYLE}</style></head><body>",
        f"<h1>{html.escape(ctx.title_zh)}</h1><p style='text-align:center'>{html.escape(ctx.title_en)}</p>",
        f"<h2>{h[0]}</h2>",
        *[f"<p>{html.escape(line)}</p>" for line in s.summary_lines(ctx)],
        f"<h2>{h[1]}</h2>",
        _table(s.stage_table(ctx)),
    ]
    if charts:
        parts += [_img(chart_module.stage_chart(ctx), "stages"), _img(chart_module.map_chart(ctx), "map")]
    parts += [f"<h2>{h[2]}</h2>", _table(s.target_table(ctx)), f"<h2>{h[3]}</h2>", _table(s.gap_table(ctx))]
    parts += [f"<h2>{h[4]}</h2>", *[_table(t) for t in s.list_tables(ctx)], f"<h2>{h[5]}</h2>"]
    changes = s.change_table(ctx)
    if changes is None:
        parts.append("<p>无可比较的早期版本。 No earlier edition to compare with.</p>")
    else:
        parts.append(_table(changes))
        if charts:
            parts.append(_img(chart_module.change_chart(ctx), "changes"))
    parts += [f"<h2>{h[6]}</h2>", _table(s.source_table(ctx)), "</body></html>"]
    return "\n".join(parts).encode("utf-8")
