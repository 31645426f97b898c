"""What ``ckg`` writes to a terminal: a value's control characters shown as escapes, never sent as they are.

A source's file name, a header or a value can hold an escape sequence (``ESC ] 0 ; … BEL`` retitles the window, ``ESC
[ 2 J`` clears it, ``ESC ] 8`` makes a link) or a bidi override (U+202E shows ``恶意公司\u202egnp.exe`` as ending in
``exe.png``). Written to a terminal, the terminal obeys them. ``guard`` wraps the standard streams that are terminals
so that every such character is written as its escape (``\\x1b``, ``\\u202e``); a stream that is a file or a pipe
gets the text as it is, since there it is data.
"""

from __future__ import annotations

import io
import sys
from typing import TextIO

from ingest.normalize import visible


def shown(text: str) -> str:
    """The text with every character a terminal would obey written as its escape (its line breaks its own)."""
    return visible(text, lines=True)


class _Guarded(io.TextIOBase):
    """A terminal's stream that writes every text through ``shown``."""

    def __init__(self, stream: TextIO) -> None:
        self._stream = stream

    def write(self, text: str) -> int:
        self._stream.write(shown(text))
        return len(text)

    def flush(self) -> None:
        self._stream.flush()

    def isatty(self) -> bool:
        return True

    def fileno(self) -> int:
        return self._stream.fileno()

    @property
    def encoding(self) -> str:  # type: ignore[override]
        return self._stream.encoding


def unguarded(stream: TextIO) -> TextIO:
    """The stream under a guard (for text already made visible: ``visible`` twice would double its backslashes)."""
    return stream._stream if isinstance(stream, _Guarded) else stream


def guard() -> None:
    """Standard output and error, where each is a terminal, write through ``shown`` from now on."""
    if sys.stdout.isatty() and not isinstance(sys.stdout, _Guarded):
        sys.stdout = _Guarded(sys.stdout)
    if sys.stderr.isatty() and not isinstance(sys.stderr, _Guarded):
        sys.stderr = _Guarded(sys.stderr)
