"""A typed query's column names as Neo4j gives them: a RETURN item without ``AS`` is named by its own text.

LadybugDB names such a column by its plan: ``count(*)`` is ``COUNT_STAR()``, ``m.name + '!'`` is ``+(m.name,!)``,
and ``label(r)`` lists every relationship type of the store. The console shows a reader the text they typed instead.
The scan is one pass over the query (strings, quoted names, comments and brackets skipped), so no text makes it slow.
"""

from __future__ import annotations

import re

from graph.store import QueryResult

_OPENING, _CLOSING = "([{", ")]}"
_QUOTES = "'\"`"
_WORD = re.compile(r"[A-Za-z_][A-Za-z0-9_]*")
# An item's alias: ``AS`` after a blank, then a name (any letters: ``AS 城市``) at the item's end. The blank is looked
# behind, not matched: ``\s+AS`` was tried from each blank of a long run, quadratic in its length.
_ALIAS = re.compile(r"(?<=\s)AS\s+(?:[^\W\d]\w*|`(?:[^`]|``)*`)$", re.IGNORECASE)
_ENDS = ("ORDER", "SKIP", "LIMIT")
# An item that is a variable alone, bracketed or not, backticked or not, is named by the variable: ``(x)`` and
# ``DISTINCT(x)`` give ``x``, a backticked name gives the name without its quotes. An expression keeps its text.
_VARIABLE = re.compile(r"([(\s]*)(?:([^\W\d]\w*)|`((?:[^`]|``)*)`)([)\s]*)")
_LITERALS = ("null", "true", "false")  # words, but values: ``(null)`` keeps its text


def returned_texts(cypher: str) -> list[str] | None:
    """The last RETURN's items as typed, each with its alias if it has one; None where they cannot be told (no
    RETURN, ``RETURN *``, a UNION: its columns are named by its first part)."""
    cypher = _without_comments(cypher)  # a comment is no part of an item: Neo4j leaves it out of the name
    words = _top_level_words(cypher)
    if any(word == "UNION" for word, _, _ in words):
        return None
    starts = [end for word, _, end in words if word == "RETURN"]
    if not starts:
        return None
    start = starts[-1]
    stop = next((at for word, at, _ in words if at > start and word in _ENDS), len(cypher))
    items = _split_top_level(cypher[start:stop].strip().rstrip(";"))
    if items and re.match(r"DISTINCT\b", items[0], re.IGNORECASE):
        items[0] = items[0][len("DISTINCT") :].strip()
    if not items or any(item in ("", "*") for item in items):
        return None
    return items


def named_as_typed(cypher: str, columns: list[str]) -> list[str]:
    """The engine's column names, those of items without an alias replaced by the items' texts (where the items can be
    told and are as many as the columns, and the texts are distinct)."""
    items = returned_texts(cypher)
    if items is None or len(items) != len(columns):
        return columns
    names = [column if _ALIAS.search(item) else _name_of(item) for item, column in zip(items, columns, strict=True)]
    return names if len(set(names)) == len(names) else columns


def _name_of(item: str) -> str:
    variable = _VARIABLE.fullmatch(item)
    if variable is None:
        return item
    opened, bare, quoted, closed = variable.groups()
    if opened.count("(") != closed.count(")") or (bare is not None and bare.lower() in _LITERALS):
        return item
    return bare if bare is not None else quoted.replace("``", "`")


def renamed(cypher: str, result: QueryResult) -> QueryResult:
    """The result with its columns named as Neo4j would name them (``named_as_typed``)."""
    names = named_as_typed(cypher, result.columns)
    if names == result.columns:
        return result
    rows = [{new: row[old] for old, new in zip(result.columns, names, strict=True)} for row in result.rows]
    return QueryResult(names, rows, result.truncated)


def _top_level_words(text: str) -> list[tuple[str, int, int]]:
    """Each word outside strings, quoted names and brackets, and not a property, parameter or label
    (``n.order``, ``$limit``, ``:Return``): (upper-cased, start, end)."""
    words: list[tuple[str, int, int]] = []
    depth, at, size = 0, 0, len(text)
    while at < size:
        char = text[at]
        if char in _QUOTES:
            at = _after_quoted(text, at)
        elif char in _OPENING:
            depth, at = depth + 1, at + 1
        elif char in _CLOSING:
            depth, at = max(depth - 1, 0), at + 1
        elif (match := _WORD.match(text, at)) is not None and (at == 0 or text[at - 1] not in ".$:"):
            if depth == 0:
                words.append((match.group().upper(), at, match.end()))
            at = match.end()
        else:
            at += 1
    return words


def _without_comments(text: str) -> str:
    """The text with each comment (``//`` to the line's end, ``/* … */``) a blank, strings and quoted names kept."""
    parts, begin, at, size = [], 0, 0, len(text)
    while at < size:
        if text[at] in _QUOTES:
            at = _after_quoted(text, at)
        elif text.startswith("//", at) or text.startswith("/*", at):
            parts.append(text[begin:at])
            found = text.find("\n", at) if text[at + 1] == "/" else text.find("*/", at + 2)
            at = begin = size if found == -1 else found + (0 if text[at + 1] == "/" else 2)
            parts.append(" ")
        else:
            at += 1
    parts.append(text[begin:])
    return "".join(parts)


def _after_quoted(text: str, at: int) -> int:
    """Where a string or quoted name that opens at ``at`` ends (a backslash escapes inside a string)."""
    quote, at = text[at], at + 1
    while at < len(text):
        if text[at] == "\\" and quote != "`":
            at += 2
        elif text[at] == quote:
            return at + 1
        else:
            at += 1
    return at


def _split_top_level(text: str) -> list[str]:
    """The text split at its commas outside strings, quoted names and brackets, each part trimmed."""
    parts, depth, begin, at = [], 0, 0, 0
    while at < len(text):
        char = text[at]
        if char in _QUOTES:
            at = _after_quoted(text, at)
            continue
        if char in _OPENING:
            depth += 1
        elif char in _CLOSING:
            depth = max(depth - 1, 0)
        elif char == "," and depth == 0:
            parts.append(text[begin:at].strip())
            begin = at + 1
        at += 1
    parts.append(text[begin:].strip())
    return parts
