"""Time to write all 21 city reports (Word, with charts) and all 20 cluster reports from one store.

.venv/bin/python bench/reports.py --embedded-path /tmp/x.lbdb      # a store holding the bundled data
"""

from __future__ import annotations

import argparse
import tempfile
import time
from pathlib import Path

from common import record

from graph.embedded_store import EmbeddedStore
from graph.schema import default_schema
from reports.build import Reporter, file_name, render


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--embedded-path", required=True, type=Path)
    parser.add_argument("--format", default="docx", choices=["docx", "html", "xlsx"])
    args = parser.parse_args()
    figures = {"format": args.format}
    out = Path(tempfile.mkdtemp(prefix="reports-"))
    with EmbeddedStore(args.embedded_path, default_schema(), read_only=True) as store, Reporter(store, since=None) as r:
        for scope, keys in (("city", r.cities()), ("cluster", list(r.queries.clusters()))):
            started = time.perf_counter()
            size = 0
            for key in keys:
                ctx = r.context(scope, key)
                blob = render(ctx, args.format)
                (out / file_name(ctx, args.format)).write_bytes(blob)
                size += len(blob)
            figures[f"all_{scope}_reports_s"] = round(time.perf_counter() - started, 2)
            figures[f"{scope}_reports"] = len(keys)
            figures[f"{scope}_bytes"] = size
    print(figures)
    print(record("editions_reports", figures))


if __name__ == "__main__":
    main()
