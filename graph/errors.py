"""One root exception for ClusterKG, and the kinds of failure callers handle differently.

    ClusterKGError                      anything ClusterKG raises on purpose (the faces print one line)
    ├── SchemaError                     the ontology is malformed, or data does not fit it   (a caller's fault)
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


class StoreError(ClusterKGError):
    """A store rejected an operation (bad query, constraint violation, read-only, timeout)."""


class StoreUnavailableError(StoreError):
    """The store cannot be reached (server down, wrong address, wrong credentials)."""


class QueryRejectedError(StoreError):
    """The database refused a user query: a write in read-only mode, a timeout, a syntax error."""


CJK = re.compile(r"[\u3400-\u9fff]")  # a Chinese character


def said_in_both(text: str) -> tuple[str, str] | None:
    """(Chinese, English) of a text ClusterKG writes "中文 / English" (one " / ", Chinese before it), else None: a
    message, a reason or a mapping's skip reason in one language only."""
    halves = text.split(" / ")
    return (halves[0], halves[1]) if len(halves) == 2 and CJK.search(halves[0]) else None


class BilingualRejectionError(QueryRejectedError):
    """A user query refused before or while it ran, with the reason in Chinese (``zh``) and English (``en``)."""

    def __init__(self, zh: str, en: str) -> None:
        super().__init__(f"{zh} {en}")
        self.zh, self.en = zh, en


class UnsafeQueryError(BilingualRejectionError):
    """A console query a plan or text check refused before it ran (a write, a command, a file read, a runaway)."""
