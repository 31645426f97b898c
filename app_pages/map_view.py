"""A choropleth of Guangdong drawn as SVG from the bundled GeoJSON: no map tiles, no requests; coloured on the
same quantile scale as the page's map (app_pages/map_scale.py), with its legend."""

from __future__ import annotations

import html as html_lib
import json
from functools import cache
from pathlib import Path
from typing import Any

from app_pages.map_scale import colour_of, pieces

DATA_DIR = Path(__file__).resolve().parent.parent / "data" / "raw" / "geo-guangdong"
FILES = {"city": "guangdong_cities_datav.geojson", "district": "guangdong_districts_datav.geojson"}


@cache
def features(level: str) -> list[dict[str, Any]]:
    doc = json.loads((DATA_DIR / FILES[level]).read_text(encoding="utf-8"))
    return [f for f in doc["features"] if f.get("geometry")]


def _rings(geometry: dict[str, Any]) -> list[list[list[float]]]:
    if geometry["type"] == "Polygon":
        return list(geometry["coordinates"])
    return [ring for polygon in geometry["coordinates"] for ring in polygon]


def choropleth(values: dict[str, float], *, level: str = "city", width: int = 760, title: str = "") -> str:
    """SVG of the cities (or districts) coloured by ``values`` (by 6-digit admin code), with labels and hover titles."""
    shapes = features(level)
    xs = [pt[0] for f in shapes for ring in _rings(f["geometry"]) for pt in ring]
    ys = [pt[1] for f in shapes for ring in _rings(f["geometry"]) for pt in ring]
    min_x, max_x, min_y, max_y = min(xs), max(xs), min(ys), max(ys)
    scale = width / (max_x - min_x)
    legend = pieces(values.values())
    map_height = int((max_y - min_y) * scale) + 40
    height = map_height + 18 * len(legend) + 10

    def project(pt: list[float]) -> str:
        return f"{(pt[0] - min_x) * scale:.1f},{(max_y - pt[1]) * scale + 20:.1f}"

    parts = [f'<svg xmlns="http://www.w3.org/2000/svg" width="{width}" height="{height}" font-family="sans-serif">']
    if title:
        parts.append(f'<text x="8" y="14" font-size="13">{html_lib.escape(title)}</text>')
    for feature in shapes:
        props = feature["properties"]
        code = str(props.get("adcode"))
        value = values.get(code, 0)
        path = " ".join("M" + " L".join(project(pt) for pt in ring) + " Z" for ring in _rings(feature["geometry"]))
        name = html_lib.escape(str(props.get("name", code)))
        parts.append(
            f'<path d="{path}" fill="{colour_of(value, legend)}" stroke="#555" stroke-width="0.6">'
            f"<title>{name}: {value:g}</title></path>"
        )
        if level == "city" and props.get("center"):
            x, y = project(props["center"]).split(",")
            parts.append(f'<text x="{x}" y="{y}" font-size="10" text-anchor="middle">{name} {value:g}</text>')
    for i, piece in enumerate(legend):  # the scale's ranges, as on the page
        row = map_height + 18 * i
        parts.append(f'<rect x="8" y="{row}" width="14" height="12" fill="{piece["color"]}" stroke="#555"/>')
        parts.append(f'<text x="28" y="{row + 10}" font-size="11">{html_lib.escape(str(piece["label"]))}</text>')
    parts.append("</svg>")
    return "".join(parts)
