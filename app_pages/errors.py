"""One mapping from error types to plain sentences, Chinese and English, for both faces (the app and the CLI).

Most specific first: each kind of failure gets its own sentence, so that a wrong parameter is never
reported as "the store cannot be used". The tree of types is drawn in graph/errors.py.
"""

from __future__ import annotations

from graph.errors import (
    BilingualRejectionError,
    ClusterKGError,
    QueryRejectedError,
    SchemaError,
    SettingsError,
    StoreError,
    StoreUnavailableError,
    apart,
    in_chinese,
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
    (SettingsError, "环境变量中的设置有误", "A setting in the environment is wrong"),
    (ClusterKGError, "操作失败", "The operation failed"),
)


def explain_error(exc: BaseException) -> tuple[str, str]:
    """(Chinese sentence, English sentence) for an error, with its own detail after the kind."""
    if isinstance(exc, BilingualRejectionError):
        return exc.zh, exc.en
    detail = " ".join(str(exc).split())
    if said_in_both(detail) is not None:  # ours: each half its own language (a place it starts with, in both)
        detail_zh, detail = apart(detail)
    else:  # a library's words: in Chinese where known, else as they came
        detail_zh = in_chinese(detail) or detail
    for kind, zh, en in KINDS:
        if isinstance(exc, kind):
            return f"{zh}：{detail_zh}", f"{en}: {detail}"
    return f"出现意外错误：{type(exc).__name__}", f"Unexpected error: {type(exc).__name__}: {detail}"


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
