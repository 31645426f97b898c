"""Write the tables of docs/SCALE.md from the newest run in each bench/results/*.json.

Usage: .venv/bin/python bench/summary.py   (after the benchmarks; the prose around the tables is kept)
The tables sit between ``<!-- tables -->`` and ``<!-- /tables -->`` in docs/SCALE.md.
"""

from __future__ import annotations

import json
from typing import Any

from common import REPO, RESULTS

DOC = REPO / "docs" / "SCALE.md"
P95_TARGET_MS = 300
PATH_TARGET_MS = 1000


def newest(name: str, **match: Any) -> dict[str, Any]:
    runs = json.loads((RESULTS / f"{name}.json").read_text(encoding="utf-8"))
    runs = runs if isinstance(runs, list) else [runs]
    chosen = [r for r in runs if all(r.get(k) == v for k, v in match.items())]
    return dict(chosen[-1])


def ingest_table() -> list[str]:
    run = newest("ingest", scale=150.0)
    emb, neo = run["embedded"], run["neo4j"]
    rows = emb["pipeline"]["rows"]
    return [
        f"Ingest, synthetic scale 150 ({rows:,} rows: nodes + relationships), {run['date'][:10]}:",
        "",
        "| store | path | time | rows/s | peak memory | vs. target |",
        "|---|---|---|---|---|---|",
        f"| embedded | pipeline (read, validate, resolve, link, diff, COPY) | {emb['pipeline']['seconds']} s "
        f"(collect {emb['pipeline']['phases_s']['collect']} s, write {emb['pipeline']['phases_s']['write']} s) | "
        f"{emb['pipeline']['rows_per_s']:,} | {emb['pipeline']['peak_rss_mb']:,} MB | "
        f"{emb['pipeline_vs_raw_copy']}× raw COPY (target ≤ 5×) |",
        f"| embedded | raw `COPY` of the final tables from Parquet | {emb['raw_copy']['seconds']} s | "
        f"{emb['raw_copy']['rows_per_s']:,} | {emb['raw_copy']['peak_rss_mb']:,} MB | — |",
        f"| embedded | naive: one `MERGE` per row ({emb['naive_merge']['rows']:,} rows) | "
        f"{emb['naive_merge']['seconds']} s | {emb['naive_merge']['rows_per_s']:,} | — | "
        f"pipeline {emb['pipeline_vs_naive_speedup']}× faster |",
        f"| Neo4j | pipeline, batched `UNWIND` (constraints in place, Rust extension) | "
        f"{neo['pipeline_unwind']['seconds']} s (write {neo['pipeline_unwind']['phases_s']['write']} s) | "
        f"{neo['pipeline_unwind']['rows_per_s']:,} (write phase {neo['pipeline_unwind']['write_rows_per_s']:,}) | "
        f"{neo['pipeline_unwind']['peak_rss_mb']:,} MB | {neo['pipeline_vs_naive_speedup']}× naive end to end, "
        f"{neo['unwind_write_vs_naive_speedup']}× in the write phase (target ≥ 30×) |",
        f"| Neo4j | naive: one auto-commit `MERGE` per row ({neo['naive_merge']['rows']:,} rows) | "
        f"{neo['naive_merge']['seconds']} s | {neo['naive_merge']['rows_per_s']:,} | — | — |",
        f"| Neo4j | initial load: pipeline → files {neo['initial_load']['pipeline_to_files_s']} s, "
        f"`neo4j-admin database import` {neo['initial_load']['neo4j_admin_import_s']} s, start "
        f"{neo['initial_load']['server_start_s']} s, constraints {neo['initial_load']['constraints_and_indexes_s']} s"
        f" | {neo['initial_load']['total_s']} s | {neo['initial_load']['rows_per_s']:,} | "
        f"{neo['initial_load']['pipeline_peak_rss_mb']:,} MB | {neo['initial_load']['ratio_to_admin_import_alone']}×"
        " the import alone (target ≤ 4×) |",
    ]


def ingest_runs() -> list[str]:
    """Every recorded scale-150 run's ratios: how much they move between runs on this machine."""
    runs = [r for r in json.loads((RESULTS / "ingest.json").read_text(encoding="utf-8")) if r.get("scale") == 150]
    lines = [
        "",
        "The ratios of every recorded run at this scale (they move by tens of percent between runs on this machine):",
        "",
        "| run | embedded pipeline ÷ raw COPY | Neo4j naive rows/s | Neo4j pipeline ÷ naive (end to end / write) | "
        "Neo4j initial load ÷ import |",
        "|---|---|---|---|---|",
    ]
    for run in runs:
        neo = run["neo4j"]
        lines.append(
            f"| {run['date']} | {run['embedded']['pipeline_vs_raw_copy']}× | {neo['naive_merge']['rows_per_s']:,} | "
            f"{neo['pipeline_vs_naive_speedup']}× / {neo['unwind_write_vs_naive_speedup']}× | "
            f"{neo['initial_load']['ratio_to_admin_import_alone']}× |"
        )
    return lines


def query_table() -> list[str]:
    run = newest("queries")
    sizes = run["sizes"]["embedded"]
    lines = [
        f"Named queries, p50 / p95 in ms ({sizes['nodes']:,} nodes, {sizes['relationships']:,} relationships; "
        f"row cap {run['row_cap']:,}, (cap) = the cap cut the answer; target p95 ≤ {P95_TARGET_MS} ms, paths ≤ "
        f"{PATH_TARGET_MS} ms; **bold** = over target), {run['date'][:10]}:",
        "",
        "| query | embedded | Neo4j |",
        "|---|---|---|",
    ]
    for name, result in run["queries"].items():
        limit = PATH_TARGET_MS if result["path_query"] else P95_TARGET_MS
        cells = []
        for backend in ("embedded", "neo4j"):
            x = result[backend]
            if "error" in x:
                reason = "buffer pool full" if "buffer pool" in x["error"] else "memory limit" if "memory" in x[
                    "error"] else x["error"][:60]  # fmt: skip
                cells.append(f"**fails: {reason}**")
                continue
            text = f"{x['p50_ms']:.0f} / {x['p95_ms']:.0f}" + (" (cap)" if x["truncated"] else "")
            cells.append(f"**{text}**" if x["p95_ms"] > limit else text)
        lines.append(f"| {name}{' (path)' if result['path_query'] else ''} | {cells[0]} | {cells[1]} |")
    for backend, summary in run["summary"].items():
        within = summary["queries"] - len(summary["over_target"])
        lines.append("")
        lines.append(f"{backend}: {within} of {summary['queries']} queries within target; failed: "
                     f"{', '.join(summary['failed']) or 'none'}.")  # fmt: skip
    return lines


def app_table() -> list[str]:
    run = newest("app_render", data="synthetic scale 150")
    pages = run["seconds"]["embedded"]
    lines = [
        f"App pages, server-side render (AppTest, median of {run['runs']}), seconds, scale 150, {run['date'][:10]}:",
        "",
        "| page | embedded | Neo4j |",
        "|---|---|---|",
    ]
    lines += [f"| {p} | {pages[p]:.2f} | {run['seconds']['neo4j'][p]:.2f} |" for p in pages]
    return lines


def rdf_table() -> list[str]:
    runs = json.loads((RESULTS / "rdf_export.json").read_text(encoding="utf-8"))
    lines = ["RDF export (N-Triples), each method in its own process:", "", "| data | method | triples | "
             "triples/s | peak memory |", "|---|---|---|---|---|"]  # fmt: skip
    for run in runs:
        for r in run["results"]:
            lines.append(f"| {run['data']} | {r['method']} | {r['triples']:,} | {r['triples_per_s']:,} | "
                         f"{r['peak_rss_mb']:,} MB |")  # fmt: skip
    return lines


def main() -> None:
    tables = [*ingest_table(), *ingest_runs(), "", *query_table(), "", *app_table(), "", *rdf_table()]
    text = DOC.read_text(encoding="utf-8")
    head, rest = text.split("<!-- tables -->", 1)
    _, tail = rest.split("<!-- /tables -->", 1)
    DOC.write_text(head + "<!-- tables -->\n" + "\n".join(tables) + "\n<!-- /tables -->" + tail, encoding="utf-8")
    print(f"updated {DOC.relative_to(REPO)}")


if __name__ == "__main__":
    main()
