"""Write the tables of docs/SCALE.md from the newest run in each bench/results/*.json.

Usage: .venv/bin/python bench/summary.py   (after the benchmarks; the prose around the tables is kept)
The tables sit between ``<!-- tables -->`` and ``<!-- /tables -->`` in docs/SCALE.md.
"""

from __future__ import annotations

import argparse
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
    runs = [r for r in _runs("ingest", scale=150.0) if not r.get("subset")]  # a Neo4j initial load alone: not here
    run = runs[-1]
    # a run with --skip-neo4j measures the embedded store only: Neo4j's figures are the newest run that had them
    with_neo4j = [r for r in runs if "neo4j" in r][-1]
    emb, neo = run["embedded"], with_neo4j["neo4j"]
    rows = emb["pipeline"]["rows"]
    neo_note = "" if with_neo4j is run else f" (Neo4j rows: the run of {with_neo4j['date'][:16]})"
    return [
        f"Ingest, synthetic scale 150 ({rows:,} rows: nodes + relationships), {run['date'][:16]}{neo_note}:",
        "",
        "| store | path | time | rows/s | peak memory | vs. target |",
        "|---|---|---|---|---|---|",
        f"| embedded | pipeline (read, validate, resolve, link, diff, COPY) | {emb['pipeline']['seconds']} s "
        f"(collect {emb['pipeline']['phases_s']['collect']} s, write {emb['pipeline']['phases_s']['write']} s) | "
        f"{emb['pipeline']['rows_per_s']:,} | {emb['pipeline']['peak_rss_mb']:,} MB | "
        f"{emb['pipeline_vs_raw_copy']}× raw COPY (target ≤ 3× with peak ≤ 3 GB) |",
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
        " the import alone (target ≤ 2.5×) |",
    ]


def ingest_runs() -> list[str]:
    """Every recorded scale-150 run's ratios: how much they move between runs on this machine."""
    runs = [r for r in _runs("ingest", scale=150.0) if not r.get("subset")]
    lines = [
        "",
        "The ratios of every recorded run at this scale (they move by tens of percent between runs on this machine):",
        "",
        "| run | embedded pipeline ÷ raw COPY | embedded pipeline: time (write), peak memory | Neo4j naive rows/s | "
        "Neo4j pipeline ÷ naive (end to end / write) | Neo4j initial load ÷ import |",
        "|---|---|---|---|---|---|",
    ]
    for run in runs:
        neo = run.get("neo4j")
        neo_cells = (
            f"{neo['naive_merge']['rows_per_s']:,} | {neo['pipeline_vs_naive_speedup']}× / "
            f"{neo['unwind_write_vs_naive_speedup']}× | {neo['initial_load']['ratio_to_admin_import_alone']}× |"
            if neo
            else "not run | not run | not run |"
        )
        pipeline = run["embedded"]["pipeline"]
        cost = f"{pipeline['seconds']} s ({pipeline['phases_s']['write']} s), {pipeline['peak_rss_mb']:,} MB"
        lines.append(f"| {run['date']} | {run['embedded']['pipeline_vs_raw_copy']}× | {cost} | {neo_cells}")
    return lines


def _runs(name: str, **match: Any) -> list[dict[str, Any]]:
    runs = json.loads((RESULTS / f"{name}.json").read_text(encoding="utf-8"))
    return [r for r in (runs if isinstance(runs, list) else [runs]) if all(r.get(k) == v for k, v in match.items())]


def _cell(x: dict[str, Any] | None, limit: float) -> str:
    if x is None:
        return "—"
    if "error" in x:
        reason = "buffer pool full" if "buffer pool" in x["error"] else "memory limit" if "memory" in x[
            "error"] else "time limit" if "time limit" in x["error"] else x["error"][:60]  # fmt: skip
        return f"**fails: {reason}**"
    text = f"{x['p50_ms']:.0f} / {x['p95_ms']:.0f}" + (" (cap)" if x["truncated"] else "")
    return f"**{text}**" if x["p95_ms"] > limit else text


def _ratio(before: dict[str, Any] | None, after: dict[str, Any] | None) -> str:
    """How many times faster the p95 is now ("—" where either run failed)."""
    if not before or not after or "p95_ms" not in after or "p95_ms" not in before:
        return "—"
    return f"{before['p95_ms'] / max(after['p95_ms'], 0.1):.1f}×"


def query_table(before_date: str | None = None) -> list[str]:
    """The newest scale-150 run beside an earlier one: the one before it, or the newest run older than
    ``before_date`` (to compare with the last stop's figures rather than a run taken while working)."""
    runs = _runs("queries", data="synthetic scale 150")
    full = [r for r in runs if not r.get("subset")]
    after = full[-1]
    before = [r for r in full[:-1] if before_date is None or r["date"] < before_date][-1]
    # runs of a few queries (re-runs, or with the topology snapshot built first) taken since the "after" run
    subsets = [r for r in runs if r.get("subset") and r["date"] > after["date"]]
    sizes = after["sizes"]["embedded"]
    lines = [
        f"Named queries at scale 150, p50 / p95 in ms ({sizes['nodes']:,} nodes, {sizes['relationships']:,} "
        f"relationships; row cap {after['row_cap']:,}, (cap) = the cap cut the answer; target p95 ≤ "
        f"{P95_TARGET_MS} ms, paths ≤ {PATH_TARGET_MS} ms; **bold** = over target). Before: {before['date'][:16]}; "
        f"after: {after['date'][:16]}; × = p95 before ÷ p95 after:",
        "",
        "| query | embedded before | embedded after | × | Neo4j before | Neo4j after | × |",
        "|---|---|---|---|---|---|---|",
    ]
    for name, result in after["queries"].items():
        limit = PATH_TARGET_MS if result["path_query"] else P95_TARGET_MS
        old = before["queries"].get(name, {})
        cells = []
        for backend in ("embedded", "neo4j"):
            cells += [_cell(old.get(backend), limit), _cell(result.get(backend), limit)]
            cells.append(_ratio(old.get(backend), result.get(backend)))
        lines.append(f"| {name}{' (path)' if result['path_query'] else ''} | " + " | ".join(cells) + " |")
        for extra in subsets:  # the same query again with the in-memory topology built first
            if name in extra["queries"]:
                again = extra["queries"][name]
                cells = []
                for backend in ("embedded", "neo4j"):
                    cells += [_cell(old.get(backend), limit), _cell(again.get(backend), limit)]
                    cells.append(_ratio(old.get(backend), again.get(backend)))
                built = ", ".join(f"{b} {t} s" for b, t in (extra.get("topology_build_s") or {}).items())
                how = f"snapshot built first: {built}" if built else f"re-run {extra['date'][:16]}"
                lines.append(f"| {name} ({how}) | " + " | ".join(cells) + " |")
    for backend, summary in after["summary"].items():
        within = summary["queries"] - len(summary["over_target"])
        lines.append("")
        lines.append(f"{backend}: {within} of {summary['queries']} queries within target; over: "
                     f"{', '.join(summary['over_target']) or 'none'}; failed: "
                     f"{', '.join(summary['failed']) or 'none'}.")  # fmt: skip
    return lines


def rewrite_table() -> list[str]:
    """The newest run that timed query texts against an earlier tree's (bench/queries.py --baseline-queries): old
    and new text on the same store in one run, taking turns."""
    runs = [r for r in _runs("queries", data="synthetic scale 150") if r.get("baseline_queries")]
    if not runs:
        return []
    run = runs[-1]
    lines = [
        f"Query texts rewritten, old beside new on the same scale-150 stores in one run ({run['date'][:16]}; p50 / "
        "p95 in ms; same = the two answers compared equal, — = the cap cut an unordered answer, not compared):",
        "",
        "| query | store | old text | new text | × | same |",
        "|---|---|---|---|---|---|",
    ]
    return lines + _beside_rows(run)


def _beside_rows(run: dict[str, Any]) -> list[str]:
    """Table rows of a run that timed two ways of each query in turns: query, store, the baseline, the timed one,
    the p95 ratio, whether the answers were the same."""
    rows = []
    for name, result in run["queries"].items():
        limit = PATH_TARGET_MS if result["path_query"] else P95_TARGET_MS
        for backend in ("embedded", "neo4j"):
            old, new = result.get(f"{backend}_baseline"), result.get(backend)
            if old is None or new is None:
                continue
            same = {True: "yes", False: "**no**", None: "—"}[new.get("same_answer")]
            rows.append(
                f"| {name} | {backend} | {_cell(old, limit)} | {_cell(new, limit)} | {_ratio(old, new)} | {same} |"
            )
    return rows


def hooks_table() -> list[str]:
    """Each run that timed the catalogue's hooked answers (the in-memory topology, indexes) beside their bare Cypher
    (bench/queries.py --cypher-beside-hooks), newest per data: the two in turns, in one run."""
    runs = [r for r in _runs("queries") if r.get("cypher_beside_hooks")]
    newest = {r["data"]: r for r in runs}
    if not newest:
        return []
    lines = [
        "Queries the catalogue answers past their Cypher (the in-memory topology, indexes: `catalog.INDEXED`), the "
        "bare Cypher beside the hooked answer, taking turns in one run (bench/queries.py --cypher-beside-hooks; p50 "
        "/ p95 in ms; same = the two answers compared equal, — = the cap cut an unordered answer, not compared)."
    ]
    for data, run in newest.items():
        built = ", ".join(f"{b} {t} s" for b, t in (run.get("topology_build_s") or {}).items())
        lines += [
            "",
            f"{data}, {run['date'][:16]} (the snapshots built first: {built}):",
            "",
            "| query | store | Cypher | hooked | × | same |",
            "|---|---|---|---|---|---|",
        ]
        lines += _beside_rows(run)
        if not run.get("subset"):  # every named query was timed in this run: how many are within target
            for backend, summary in run["summary"].items():
                within = summary["queries"] - len(summary["over_target"])
                over, failed = ", ".join(summary["over_target"]) or "none", ", ".join(summary["failed"]) or "none"
                lines += [
                    "",
                    f"{backend}, every named query in this run: {within} of {summary['queries']} within target; "
                    f"over: {over}; failed: {failed}.",
                ]
    return lines


def app_table() -> list[str]:
    # a run of some pages or one store (--pages, --skip-neo4j) is recorded but not tabled
    runs = [r for r in _runs("app_render", data="synthetic scale 150") if "neo4j" in r["seconds"]]
    before, after = runs[0], max(runs, key=lambda r: (len(r["seconds"]["embedded"]), r["date"]))
    lines = [
        f"App pages at scale 150, server-side render (AppTest), seconds. Before: median of {before['runs']} "
        f"({before['date'][:10]}); after ({after['date'][:10]}): the first render, which reads the store, and the "
        f"median of {after['runs']} (later renders reuse the answers the first kept until the graph changes):",
        "",
        "| page | embedded before | embedded after: first / median | Neo4j before | Neo4j after: first / median |",
        "|---|---|---|---|---|",
    ]
    for page in after["seconds"]["embedded"]:
        cells = [_page_cell(run, backend, page) for backend in ("embedded", "neo4j") for run in (before, after)]
        lines.append(f"| {page} | " + " | ".join(cells) + " |")
    return lines


def _page_cell(run: dict[str, Any], backend: str, page: str, over: float | None = None) -> str:
    """A page's render time in one run: its first render / the median (the median alone in runs before first renders
    were recorded); bold when the first render is over ``over`` seconds."""
    median = run["seconds"].get(backend, {}).get(page)
    first = run.get("first_seconds", {}).get(backend, {}).get(page)
    if median is None:
        return "—"
    text = f"{median:.2f}" if first is None else f"{first:.2f} / {median:.2f}"
    return f"**{text}**" if over is not None and first is not None and first > over else text


def app_warm_table() -> list[str]:
    """Pages timed once the in-memory snapshot was built (bench/app_render.py --warm-topology): the latest run of a
    tree from before a change beside the latest after it, on the same stores."""
    runs = [r for r in _runs("app_render", warm_topology=True) if "neo4j" in r["seconds"]]
    before = [r for r in runs if ": before" in r["data"]]
    after = [r for r in runs if ": after" in r["data"]]
    if not before or not after:
        return []
    old, new = before[-1], after[-1]
    lines = [
        f"App pages at scale 150 with the snapshot built, server-side render (AppTest), seconds: first render (it "
        f"reads the store) / median of {new['runs']}. {old['data']} ({old['date'][:16]}) beside "
        f"{new['data'].rsplit(': ', 1)[-1]} ({new['date'][:16]}):",
        "",
        "| page | embedded before | embedded after | Neo4j before | Neo4j after |",
        "|---|---|---|---|---|",
    ]
    for page in new["seconds"]["embedded"]:
        cells = [_page_cell(run, backend, page, over=1.0) for backend in ("embedded", "neo4j") for run in (old, new)]
        lines.append(f"| {page} | " + " | ".join(cells) + " |")
    return lines


def paths_table() -> list[str]:
    lines = ["Paths and neighbourhoods against networkx on the same graph (bench/paths.py; answers checked equal):", ""]
    lines += [
        "| data | store | cases | within 2× networkx | the walk alone within 2× | median ratio | max ratio | slowest |"
    ]
    lines += ["|---|---|---|---|---|---|---|---|"]
    for run in _runs("paths"):
        by_store = run["summary"] if "embedded" in run["summary"] else {"embedded": run["summary"]}  # the first run's
        for backend, x in by_store.items():
            cells = [
                x["measured"],
                x["within_2x"],
                f"{x['walk_within_2x']} of {x['walks_measured']}" if "walks_measured" in x else "—",
                f"{x['median_ratio']}×",
                f"{x['max_ratio']}×",
                f"{x['max_ms']} ms" if "max_ms" in x else "—",
            ]
            data = f"{run['data'].split(' (')[0]} ({run['date'][:16]})"
            lines.append(f"| {data} | {backend} | " + " | ".join(map(str, cells)) + " |")
    return lines


def concurrency_table() -> list[str]:
    lines = ["Many sessions at once (bench/concurrency.py; AppTest sessions walking chain → explore → map):", ""]
    lines += ["| data | sessions | page renders | p50 | p95 | errors |", "|---|---|---|---|---|---|"]
    for run in _runs("concurrency"):
        sessions = run.get("sessions") or {}
        pages = sessions.get("pages", {})
        if not pages:
            continue
        lines.append(f"| {run['data']} ({run['date'][:16]}) | {sessions.get('sessions', '—')} | "
                     f"{pages.get('n', '—')} | {pages.get('p50_ms', '—')} ms | {pages.get('p95_ms', '—')} ms | "
                     f"{sessions.get('errors', '—')} |")  # fmt: skip
    return lines


def report_table() -> list[str]:
    lines = ["A yearly report's first build (bench/report_context.py: `Reporter.context`, every number the report "
             "says; each build in a fresh process, the two trees on one store):", "",
             "| data | report | before | after | × | same answer | peak memory before / after |",
             "|---|---|---|---|---|---|---|"]  # fmt: skip
    for run in _runs("report_context"):
        for b in run["builds"]:
            before, after = b.get("before", {}), b["after"]

            def cell(x: dict[str, Any]) -> str:
                return f"{x['wall_s']:.2f} s (CPU {x['cpu_s']:.2f} s)" if "wall_s" in x else x.get("failed", "—")

            memory = " / ".join(f"{x['peak_rss_mb']:,} MB" if "peak_rss_mb" in x else "—" for x in (before, after))
            same = {True: "yes", False: "**no**"}.get(b.get("same_answer"), "—")
            speedup = f"{b['speedup']}×" if "speedup" in b else "—"
            warm = ", snapshot built" if run.get("warm_topology") else ""
            lines.append(f"| {run['data'].split(' (')[0]} ({run['date'][:16]}{warm}) | {b['scope']} {b['key']} | "
                         f"{cell(before)} | {cell(after)} | {speedup} | {same} | {memory} |")  # fmt: skip
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
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--queries-before", help="compare the newest query run with the newest older than this date")
    args = parser.parse_args()
    tables = [*ingest_table(), *ingest_runs(), "", *query_table(args.queries_before), ""]
    rewrites = rewrite_table()
    tables += [*rewrites, ""] if rewrites else []
    hooks = hooks_table()
    tables += [*hooks, ""] if hooks else []
    tables += [*app_table(), ""]
    warm = app_warm_table()
    tables += [*warm, ""] if warm else []
    tables += [*report_table(), "", *paths_table(), ""]
    tables += [*concurrency_table(), "", *rdf_table()]
    text = DOC.read_text(encoding="utf-8")
    head, rest = text.split("<!-- tables -->", 1)
    _, tail = rest.split("<!-- /tables -->", 1)
    DOC.write_text(head + "<!-- tables -->\n" + "\n".join(tables) + "\n<!-- /tables -->" + tail, encoding="utf-8")
    print(f"updated {DOC.relative_to(REPO)}")


if __name__ == "__main__":
    main()
