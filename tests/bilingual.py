"""What "Chinese first with English alongside" means in a test: a Chinese sentence, then " / " and the English."""

from __future__ import annotations

import re

CJK = re.compile(r"[\u3400-\u9fff]")
ENGLISH_PHRASE = re.compile(r"[A-Za-z]+ [a-z]+ [a-z]+")  # three English words in a row
QUOTED = re.compile(r"`[^`]*`")  # a command the Chinese half quotes as it is


def chinese_first(text: str) -> bool:
    """A Chinese half before the first " / ", with no English phrase in it but what it quotes, and an English half."""
    zh, slash, _ = text.partition(" / ")
    return bool(slash and CJK.search(zh) and not ENGLISH_PHRASE.search(QUOTED.sub("", zh)))
