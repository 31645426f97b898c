"""One mapping from error types to plain sentences, Chinese and English, for both faces (the app and the CLI).

Most specific first: each kind of failure gets its own sentence, so that a wrong parameter is never
reported as "the store cannot be used". The tree of types is drawn in graph/errors.py.
"""

from __future__ import annotations

from graph.errors import (
    CJK,
    BilingualRejectionError,
    ClusterKGError,
    QueryRejectedError,
    SchemaError,
    StoreError,
    StoreUnavailableError,
    said_in_both,
)
from graph.exports import ExportError
from ingest.mapping_schema import MappingError
from ingest.readers import ReadError
from ingest.reference_rows import RuleTableError
from ingest.row_tables import SpillError
from queries.catalog import QueryError

KINDS: tuple[tuple[type[BaseException], str, str], ...] = (
    (
        StoreUnavailableError,
        "无法连接数据库（地址、服务或用户名密码有误）",
        "The store cannot be reached (address, server or credentials)",
    ),
    (QueryRejectedError, "数据库拒绝了这个查询", "The database refused the query"),
    (StoreError, "数据库执行出错", "The store failed to carry out the operation"),
    (QueryError, "查询参数有误", "A query parameter is wrong"),
    (MappingError, "映射文件有误", "The mapping file is wrong"),
    (ReadError, "数据文件无法读取", "The data file cannot be read"),
    (
        SpillError,
        "临时文件夹放不下本次导入的数据表（可将 TMPDIR 设为空间更大的文件夹）",
        "The temporary folder cannot hold the run's tables (set TMPDIR to a folder with room)",
    ),
    (ExportError, "导出失败", "The export failed"),
    (SchemaError, "数据与本体不符", "The data does not fit the ontology"),
    (RuleTableError, "推断规则用表无法使用", "A table of the inference rules cannot be used"),
    (ClusterKGError, "操作失败", "The operation failed"),
)


# The database's own words for the refusals a busy store gives, said in Chinese too (the English detail follows).
DETAILS_ZH: tuple[tuple[str, str], ...] = (
    ("while it waited for one of", "查询在排队等待其他查询完成时超过了时间上限，已停止；请稍后重试"),
    ("time limit", "查询超过时间上限，已停止；请缩小范围（选一个环节或城市）后重试"),
    ("buffer pool is full", "数据库缓冲池已满（同时运行的大查询过多）；请稍后重试"),
)


def explain_error(exc: BaseException) -> tuple[str, str]:
    """(Chinese sentence, English sentence) for an error, with its own detail after the kind."""
    if isinstance(exc, BilingualRejectionError):
        return exc.zh, exc.en
    detail = " ".join(str(exc).split())
    halves = said_in_both(detail)
    detail_zh, detail = (halves[0], _with_place(*halves)) if halves else (detail, detail)
    known = next((zh for words, zh in DETAILS_ZH if words in detail), None)  # the database's words, in Chinese
    if known is not None and known.split("，")[0] not in detail_zh:  # unless our own Chinese says it already
        detail_zh = f"{detail_zh}：{known}" if halves else known
    for kind, zh, en in KINDS:
        if isinstance(exc, kind):
            return f"{zh}：{detail_zh}", f"{en}: {detail}"
    return f"出现意外错误：{type(exc).__name__}", f"Unexpected error: {type(exc).__name__}: {detail}"


def _with_place(zh: str, en: str) -> str:
    """The English half with the place the Chinese half starts with ("file.csv:3: 不是… / not…" names the file once,
    before the Chinese)."""
    first = CJK.search(zh)
    cut = zh.rfind(": ", 0, first.start()) if first else -1
    place = zh[: cut + 2] if cut >= 0 else ""
    return en if not place or en.startswith(place) else place + en


def one_line(exc: BaseException) -> str:
    """The error in one line, Chinese first with English alongside (the CLI's): the detail once, where no Chinese
    sentence stands for it."""
    zh, en = explain_error(exc)
    detail = " ".join(str(exc).split())
    if zh == en:
        return en
    if not isinstance(exc, BilingualRejectionError) and zh.endswith(f"：{detail}"):  # the detail is not translated
        return f"{zh.removesuffix(f'：{detail}')} / {en}"
    return f"{zh} / {en}"
