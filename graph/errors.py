"""One root exception for ClusterKG, and the kinds of failure callers handle differently.

    ClusterKGError                      anything ClusterKG raises on purpose (the faces print one line)
    ├── SchemaError                     the ontology is malformed, or data does not fit it   (a caller's fault)
    ├── SettingsError                   a setting in the environment cannot be used
    ├── StoreError                      a store refused an operation                        (an infrastructure fault)
    │   ├── StoreUnavailableError       cannot be reached: server down, wrong address or credentials
    │   └── QueryRejectedError          the database refused a user's query (syntax, timeout, read-only)
    │       └── BilingualRejectionError refused with the reason in Chinese and English
    │           └── UnsafeQueryError    a console query the plan or text checks refused before it ran
    └── (elsewhere) MappingError (ingest.mapping), ReadError (ingest.readers), QueryError (queries.catalog),
        ExportError (graph.exports), UnknownSourceError and UnfoundEndsError, a StoreError (ingest.pipeline),
        UsageError (cli_commands.common), SpillError (ingest.row_tables)

A face maps each branch to its own sentence (cli.py's ``main``; the app's ``app_pages.common.explain_error``).
"""

import re


class ClusterKGError(Exception):
    """Root of every error ClusterKG raises on purpose."""


class SchemaError(ClusterKGError):
    """The ontology is malformed, or data does not fit the schema derived from it."""


class SettingsError(ClusterKGError, ValueError):
    """A setting in the environment cannot be used (a number that is not one, an unknown backend)."""


class StoreError(ClusterKGError):
    """A store rejected an operation (bad query, constraint violation, read-only, timeout)."""


class StoreUnavailableError(StoreError):
    """The store cannot be reached (server down, wrong address, wrong credentials)."""


class QueryRejectedError(StoreError):
    """The database refused a user query: a write in read-only mode, a timeout, a syntax error."""


CJK = re.compile(r"[\u3400-\u9fff]")  # a Chinese character


# The database's own words for the refusals a busy store gives, said in Chinese too (the English detail follows).
DETAILS_ZH: tuple[tuple[str, str], ...] = (
    ("while it waited for one of", "查询在排队等待其他查询完成时超过了时间上限，已停止；请稍后重试"),
    ("time limit", "查询超过时间上限，已停止；请缩小范围（选一个环节或城市）后重试"),
    ("buffer pool is full", "数据库缓冲池已满（同时运行的大查询过多）；请稍后重试"),
    ("Lock is held", "另一个进程正以读写方式打开该文件"),
    ("No space left", "磁盘已满"),
)


def in_chinese(words: str) -> str | None:
    """What a library's or a database's English words say, in Chinese, where ClusterKG knows it (else None)."""
    return next((zh for known, zh in DETAILS_ZH if known in words), None)


def apart(detail: object) -> tuple[str, str]:
    """A detail ready for a sentence in each language: ClusterKG's own ("中文 / English") split in two; a library's
    words in English only (the Chinese half gets what ``in_chinese`` knows of them, else nothing)."""
    text = " ".join(str(detail).split())
    halves = said_in_both(text)
    if halves is None:
        return in_chinese(text) or "", text
    return halves[0], with_place(*halves)


def with_place(zh: str, en: str) -> str:
    """The English half with the place the Chinese half starts with ("file.csv:3: 不是… / not…" names the file once,
    before the Chinese)."""
    first = CJK.search(zh)
    cut = zh.rfind(": ", 0, first.start()) if first else -1
    place = zh[: cut + 2] if cut >= 0 else ""
    return en if not place or en.startswith(place) else place + en


def noted(detail: object) -> tuple[str, str]:
    """A detail for a logged line's two halves: ``（中文）`` or nothing for the Chinese, and the English words."""
    zh, en = apart(detail)
    return (f"（{zh}）" if zh else "", en)


def led(zh: str, en: str, detail: object) -> str:
    """ "中文 / English" of a lead sentence and a detail: ``zh：细节 / en: detail``, or ``zh / en: detail`` where the
    detail is a library's words with no Chinese (they follow once, after the English)."""
    zh_detail, en_detail = apart(detail)
    return f"{zh}：{zh_detail} / {en}: {en_detail}" if zh_detail else f"{zh} / {en}: {en_detail}"


def said_in_both(text: str) -> tuple[str, str] | None:
    """(Chinese, English) of a text ClusterKG writes "中文 / English" (Chinese before the " / "), else None: a message,
    a reason or a mapping's skip reason in one language only. A value holding " / " itself (a file "a / b.csv") is
    given in both halves, so the halves are split at the middle one of an odd number of them."""
    parts = text.split(" / ")
    if len(parts) % 2:  # one part, or an even number of separators: not two halves alike
        return None
    middle = len(parts) // 2
    zh, en = " / ".join(parts[:middle]), " / ".join(parts[middle:])
    return (zh, en) if CJK.search(zh) else None


class BilingualRejectionError(QueryRejectedError):
    """A user query refused before or while it ran, with the reason in Chinese (``zh``) and English (``en``)."""

    def __init__(self, zh: str, en: str) -> None:
        super().__init__(f"{zh} {en}")
        self.zh, self.en = zh, en


class UnsafeQueryError(BilingualRejectionError):
    """A console query a plan or text check refused before it ran (a write, a command, a file read, a runaway)."""
