"""Stable, meaningful identifiers: USCC checks, admin codes, minted keys, and the IRIs made from them."""

from __future__ import annotations

import functools
import hashlib
import operator
import re
import unicodedata

from stdnum.cn import uscc as _uscc
from stdnum.exceptions import ValidationError

ADMIN_CODE = re.compile(r"^\d{6}$")
DEFAULT_BASE_IRI = "https://w3id.org/clusterkg/id/"


_USCC_ALPHABET = "0123456789ABCDEFGHJKLMNPQRTUWXY"
_USCC_VALUE = {c: i for i, c in enumerate(_USCC_ALPHABET)}
_USCC_WEIGHTS = (1, 3, 9, 27, 19, 26, 16, 17, 20, 29, 25, 13, 8, 24, 10, 30, 28)
_USCC_SHAPE = re.compile(r"^[0-9]{8}[0-9A-HJ-NP-RTUWXY]{10}$")  # ASCII digits: \d takes ٩ too


# python-stdnum's kinds of invalid code, in Chinese (its own messages are English)
_USCC_PROBLEMS_ZH = {"InvalidChecksum": "校验位不对", "InvalidLength": "长度不对", "InvalidFormat": "格式不对"}


def uscc_problem(code: str) -> tuple[str, str] | None:
    """None when ``code`` is a valid 统一社会信用代码 (GB 32100-2015, check character included), else why not, in
    Chinese and in English (python-stdnum's words)."""
    if _USCC_SHAPE.match(code):  # fast path for well-formed codes; python-stdnum explains the others
        total = sum(map(operator.mul, map(_USCC_VALUE.__getitem__, code[:17]), _USCC_WEIGHTS))  # a loop in C
        if code[-1] == _USCC_ALPHABET[(31 - total % 31) % 31]:
            return None
    try:
        _uscc.validate(code)
    except ValidationError as exc:
        return _USCC_PROBLEMS_ZH.get(type(exc).__name__, "无效"), str(exc) or type(exc).__name__
    return None


# The bidi embeddings, overrides and isolates: no name or note of a Chinese or English list needs one, and each makes
# the text after it show in another order on every page, terminal and export ("恶意公司\u202egnp.exe" reads as ending
# in "exe.png"). A value read loses them (ingest/normalize.py); a matching key too, so that a statement stored with one
# before that still names the same node and mints the same id.
REORDERING = frozenset(map(chr, [*range(0x202A, 0x202F), *range(0x2066, 0x206A)]))


@functools.lru_cache(maxsize=1 << 18)
def match_key(text: str) -> str:
    """A key for matching names: NFKC (full-width → half-width), lower case, no spaces, punctuation or bidi
    controls."""
    folded = unicodedata.normalize("NFKC", text).lower()
    # dropping a spacing mark can leave a combining one next to a letter: compose again, so the key is stable
    key = unicodedata.normalize("NFKC", folded.translate(_KEPT))
    return text if key == text else key  # a name already in matching form (most Chinese names) is its own key


KEPT_CHARACTERS_MAX = 1 << 16


class _KeptCharacters(dict[int, int | None]):
    """``str.translate``'s table for matching keys, filled as characters are met: a space, punctuation or a symbol
    maps to None (dropped), any other character to itself. Looked up in C, where a Python test for each character
    took 2.3–2.9 times as long (400,000 firms' names, a one-off)."""

    def __missing__(self, code: int) -> int | None:
        if len(self) >= KEPT_CHARACTERS_MAX:  # bounded, as the cache it replaced: text of every script refills it
            self.clear()
        char = chr(code)
        dropped = char.isspace() or unicodedata.category(char).startswith(("P", "S")) or char in REORDERING
        kept = None if dropped else code
        self[code] = kept
        return kept


_KEPT = _KeptCharacters()


def clear_caches() -> None:
    """Forget the cached matching keys (an ingest, once its rows are made: ingest/collector.give_back)."""
    match_key.cache_clear()
    _KEPT.clear()


def mint_key(*parts: str) -> str:
    """A short stable key from the matching form of the parts (same name → same key, on any machine)."""
    digest = hashlib.sha1("|".join(match_key(p) for p in parts).encode("utf-8")).hexdigest()
    return digest[:12]


def split_ref(ref: str) -> tuple[str, str]:
    """A source record's reference (``file#row``) as its file and its row. Split at the last ``#``: a file's own name
    may hold one (``名单#2.csv``), a row number never does."""
    file, mark, row = ref.rpartition("#")
    return (file, row) if mark else (ref, "")
