"""A map's colour scale that spreads the cities: quantile bins of the non-zero values, each with the real range it
holds as its legend label, and zero (no entity, no data) in grey, a different hue from the smallest bin.

Why quantiles: counts per city are skewed (深圳 and 广州 hold most entities), so a linear scale leaves nearly every
other city pale; with quantile bins each colour holds about as many cities.
"""

from __future__ import annotations

import math
from collections.abc import Iterable, Sequence
from typing import Any

from app_pages.common import L

NONE_COLOUR = "#e3e3e3"  # grey: no entity; never a pale blue that could be read as "a few"
BIN_COLOURS = ("#c7e9b4", "#7fcdbb", "#41b6c4", "#2c7fb8", "#253494")  # YlGnBu, light to dark
MAX_BINS = len(BIN_COLOURS)


def _number(value: float) -> str:
    return f"{value:,.0f}" if float(value).is_integer() else f"{value:,.2f}"


def bins(values: Iterable[float], max_bins: int = MAX_BINS) -> list[tuple[float, float]]:
    """(lowest, highest) value actually held by each bin, low to high; bins split the non-zero values at their
    quantiles, never splitting equal values, so there are at most as many bins as distinct values."""
    positives = sorted(v for v in values if v > 0)
    if not positives:
        return []
    count = min(max_bins, len(set(positives)))
    tops: list[float] = []
    for i in range(1, count + 1):
        top = positives[math.ceil(i * len(positives) / count) - 1]
        if not tops or top > tops[-1]:
            tops.append(top)
    out, below = [], 0.0
    for top in tops:
        held = [v for v in positives if below < v <= top]
        out.append((held[0], top))
        below = top
    return out


def pieces(values: Iterable[float], max_bins: int = MAX_BINS) -> list[dict[str, Any]]:
    """ECharts piecewise visualMap pieces: zero first (grey), then the bins with their ranges as labels."""
    ranges = bins(values, max_bins)
    colours = _spread(len(ranges))
    out: list[dict[str, Any]] = [{"lte": 0, "label": "0 " + L("无", "none"), "color": NONE_COLOUR}]
    below = 0.0
    for (low, high), colour in zip(ranges, colours, strict=True):
        label = _number(high) if low == high else f"{_number(low)}–{_number(high)}"
        out.append({"gt": below, "lte": high, "label": label, "color": colour})
        below = high
    return out


def _spread(count: int) -> list[str]:
    """``count`` colours from the palette, spread over its whole range (the darkest always for the top bin)."""
    if count <= 0:
        return []
    if count == 1:
        return [BIN_COLOURS[-1]]
    step = (len(BIN_COLOURS) - 1) / (count - 1)
    return [BIN_COLOURS[round(i * step)] for i in range(count)]


def colour_of(value: float, scale: Sequence[dict[str, Any]]) -> str:
    """The colour a value gets on a scale made by ``pieces`` (for the server-drawn SVG)."""
    for piece in scale:
        if value > piece.get("gt", -math.inf) and value <= piece["lte"]:
            return str(piece["color"])
    return str(scale[-1]["color"]) if scale else NONE_COLOUR


def visual_map(scale: list[dict[str, Any]], *, show: bool = True) -> dict[str, Any]:
    """The legend: one swatch per range, the zero swatch included, titled in both languages."""
    return {
        "type": "piecewise",
        "pieces": scale,
        "left": 8,
        "top": 36,  # top left: open sea and empty land on the province's map, clear of 湛江 at the bottom
        "orient": "vertical",
        "itemGap": 6,
        "text": [L("分位数分段", "quantile bins"), ""],
        "showLabel": True,  # with a title (text) ECharts would hide the ranges otherwise
        "textStyle": {"fontSize": 11},
        "show": show,
    }
