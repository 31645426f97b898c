"""Normalising text from curators' files: headers, names and values.

Display values keep Chinese punctuation (（）、〔〕) as written; only what is plainly noise changes:
full-width Latin letters, digits and spaces become half-width, runs of white space inside a value become
one space, control characters go. A line break between two CJK characters vanishes instead: Chinese has no
spaces between words, so a cell wrapped as ``国家重点实\n验室`` means ``国家重点实验室``.
Matching uses the stronger ``graph.ids.match_key``.
"""

from __future__ import annotations

import functools
import re
import unicodedata

from graph.ids import REORDERING

_FULLWIDTH_ALNUM = {
    cp: cp - 0xFEE0 for r in ((0xFF10, 0xFF19), (0xFF21, 0xFF3A), (0xFF41, 0xFF5A)) for cp in range(r[0], r[1] + 1)
}
_SPACES = re.compile(r"\s+")
_LINE_BREAKS = ("\n", "\u2028", "\u2029")
FORMULA_PREFIXES = ("=", "+", "-", "@")


# What a terminal or a text viewer obeys rather than shows: C0 and C1 controls and DEL (an escape sequence retitles a
# window, clears it or makes a link; a line break forges a line), the bidi embeddings, overrides and isolates
# ("恶意公司\u202egnp.exe" shows as ending in "exe.png"), and a lone surrogate. ``visible`` writes each as its escape.
_OTHERS_OBEYED = "\x7f-\x9f\u061c\u200e\u200f\u202a-\u202e\u2066-\u2069\ud800-\udfff"
_OBEYED = f"\\x00-\\x08\\x0a-\\x1f{_OTHERS_OBEYED}"
_OBEYED_BUT_LINES = f"\\x00-\\x08\\x0b\\x0c\\x0e-\\x1f{_OTHERS_OBEYED}"  # a progress bar's carriage return kept
# A backslash that would make the text read as an escape (before x, u, another backslash, or a character written as
# its escape) is doubled: the four characters \x1b and a real ESC then read differently. A backslash elsewhere
# (C:\data) stays as it is.
_TO_ESCAPE = re.compile(f"\\\\(?=[xu\\\\{_OBEYED}])|[{_OBEYED}]")
_TO_ESCAPE_BUT_LINES = re.compile(f"\\\\(?=[xu\\\\{_OBEYED_BUT_LINES}])|[{_OBEYED_BUT_LINES}]")
_HEADER_DROPS = re.compile(f"[{_OBEYED_BUT_LINES}]")  # a header's line breaks become "_"


def visible(text: str, *, lines: bool = False) -> str:
    """The text with every character a terminal or a viewer would obey written as its escape (``\\x1b``,
    ``\\u202e``); a tab kept, and with ``lines`` its line feeds and carriage returns too (a terminal's own). A
    backslash that would start what reads as an escape is written twice (``\\\\x1b`` is the text, ``\\x1b``
    the character)."""
    return (_TO_ESCAPE_BUT_LINES if lines else _TO_ESCAPE).sub(_escape, text)


def _escape(match: re.Match[str]) -> str:
    found = match.group()
    if found == "\\":
        return "\\\\"
    code = ord(found)
    return f"\\x{code:02x}" if code < 0x100 else f"\\u{code:04x}"


def strip_controls(text: str) -> str:
    """The text without control characters (a line feed and a tab kept) and without bidi controls (graph/ids.py:
    ``REORDERING``): a value keeps none, the marks (LRM, RLM, ALM) aside, which reorder nothing."""
    if text.isprintable():  # the common case: no control or format character at all (a fast check in C)
        return text
    return "".join(ch for ch in text if ch in "\n\t" or (unicodedata.category(ch) != "Cc" and ch not in REORDERING))


@functools.lru_cache(maxsize=1 << 16)  # cities, clusters, levels and sources repeat on every row
def clean_value(text: str) -> str:
    """One line, trimmed, half-width Latin letters and digits, no control characters."""
    text = strip_controls(text).replace("\u3000", " ").translate(_FULLWIDTH_ALNUM)
    if "\n" in text or "\u2028" in text or "\u2029" in text:
        # each run of white space that holds a line break, found whole: a pattern of the blanks before a break, then
        # the break, was tried again from each blank (a 30,000-space cell took 6 s)
        text = _SPACES.sub(_fold_line_break, text)
    return _SPACES.sub(" ", text).strip()


def clear_caches() -> None:
    """Forget the cached cleaned values (an ingest, once its rows are made: ingest/collector.give_back)."""
    clean_value.cache_clear()


def _is_wide(ch: str) -> bool:
    """CJK ideographs, kana, hangul and full-width punctuation: the scripts written without spaces."""
    return unicodedata.east_asian_width(ch) in ("W", "F")


def _fold_line_break(match: re.Match[str]) -> str:
    run = match.group()
    if not any(brk in run for brk in _LINE_BREAKS):
        return run  # blanks only: one space later, as any other run
    text, start, end = match.string, match.start(), match.end()
    before = text[start - 1] if start else ""
    after = text[end] if end < len(text) else ""
    # An opening bracket keeps its space: ``公司\n（深圳）`` reads as a name and a note, as written.
    if before and after and _is_wide(before) and _is_wide(after) and unicodedata.category(after) != "Ps":
        return ""
    return " "


def clean_header(text: str) -> str:
    """Headers compare loosely: BOMs, case, full-width forms and inner spaces do not matter. What a terminal would
    obey goes (``visible``'s characters: a control, a bidi control, a lone surrogate), as a header is printed (``ckg
    mapping new``) and written into a mapping; a zero-width joiner or space stays, as it did."""
    text = _HEADER_DROPS.sub("", text.replace("\ufeff", ""))
    text = unicodedata.normalize("NFKC", text)
    return _SPACES.sub("_", text.strip()).lower()


def split_list(text: str, separators: str = ";；") -> list[str]:
    """Split a cell holding several values; empty parts are dropped."""
    parts = re.split("[" + re.escape(separators) + "]", text)
    return [p.strip() for p in parts if p.strip()]


def strip_note(text: str) -> str:
    """Drop a trailing half-width parenthetical note, as in ``深圳大学 (transitional host)``.

    Full-width （…） stays: in Chinese names it is part of the name (``华为投资控股有限公司（华为）``).
    """
    end = len(text)
    while True:  # from the end, a note at a time, by index: a pattern searched again for each note was quadratic
        while end and text[end - 1].isspace():  # what \s matches
            end -= 1
        if not end or text[end - 1] != ")":
            break
        opening = text.rfind("(", 0, end - 1)
        if opening == -1 or text.find(")", opening + 1, end - 1) != -1:
            break
        end = opening
    return text[:end].strip()


# A trailing bracket that says where or which part, not what: ``中芯国际（深圳）``, ``…实验室（广州）``,
# ``…中心（深圳综合平台）``, ``招商银行（深圳分行）``, ``…（二期）``, ``…研究院（筹）``. Its text is no name of the
# whole, and the name without it is not the whole's name either (the Guangzhou and Zhuhai parts of one lab would
# become one node). A part the lists below miss is caught where two rows of a file share the name before it
# (``mapping_apply._with_bracket_names``).
_PLACES = re.compile(
    "广州|深圳|珠海|汕头|佛山|韶关|河源|梅州|惠州|汕尾|东莞|中山|江门|阳江|湛江|茂名|肇庆|清远|潮州|揭阳|云浮"
    "|广东|北京|上海|天津|重庆|香港|澳门|南沙|前海|横琴|松山湖|中国|全国|国际|亚太|大中华|华南|华东|华北|华中|西南"
    "|西北|东北|大湾区|粤港澳大湾区"
)
_QUALIFIER = re.compile(
    r"(?:省|市|区|县|镇|校区|分校|分院|分部|分所|分中心|分公司|分行|支行|营业部|办事处|代表处|基地|平台|园区|总部|本部"
    r"|[一二三四五六七八九十\d]+期|培育|培育建设|筹|筹建|筹建中|筹备|筹备组|建设中|试行|暂行)$"
)
_LAST_BRACKET = re.compile(r"[（(]([^（）()]+)[）)]$")


def bracket_names(name: str) -> list[str]:
    """The names a source writes as one, the second in brackets at the end: ``华为投资控股有限公司（华为）`` →
    ``华为`` and ``华为投资控股有限公司``; ``鹏城实验室（深圳网络空间科学与技术广东省实验室）`` → both names;
    ``视源股份（视源, CVTE）`` → each name in the bracket and the one before it. None where the bracket qualifies
    rather than names (``_QUALIFIER``, ``_PLACES``)."""
    match = _LAST_BRACKET.search(name)
    if not match:
        return []
    inner = [part.strip() for part in re.split(r"[,，、]", match.group(1)) if part.strip()]
    outer = name[: match.start()].strip()
    if not inner or not outer or any(_PLACES.fullmatch(part) or _QUALIFIER.search(part) for part in inner):
        return []
    return [*inner, outer]


def looks_like_formula(text: str) -> bool:
    return text.startswith(FORMULA_PREFIXES)
