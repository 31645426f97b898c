"""Why a relationship table too large for one COPY loads slowly into the embedded store: LadybugDB merges the rows
each later COPY adds into the node groups the earlier ones wrote, and a list column (every tie's ``source_refs``)
makes that merge several times slower.

Usage:
  .venv/bin/python bench/rel_copy.py              # ≈ 7 min: 1.5 M ties
  .venv/bin/python bench/rel_copy.py --firms 250000 --ways one each   # a quick look

Each way runs in its own process on a fresh store with the project's schema (graph/embedded_store.py
``setup_schema``): the firms and the 20 clusters, then ``IN_CLUSTER`` ties, three a firm (three clusters in a row
from a random one), with the columns a synthetic run gives them. The ties go in through LadybugDB itself:

- ``one``: one COPY into the empty table (what the store does when the buffer pool carries the table);
- ``each``: COPY_CHUNK-row parts, LadybugDB checkpointing after each (what the store does otherwise);
- ``held``: the same parts with LadybugDB's checkpoints turned off (``CALL auto_checkpoint=false``), one at the end;
- ``fwd``: the same parts as ``each`` into a table stored from the firms' side only (``storage_direction='fwd'``:
  no node group of the clusters' side to merge into), which a cluster's members then cost a scan to find.

and each way twice: with every tie's ``source_refs`` (a list holding its own ``file#row``) and with the column null.
The 20 clusters' node group holds every tie, so each later part is merged into all the ties before it. Each run then
times a count of one cluster's members from the cluster (the median of 5), and the update of UPDATED ties' row,
``source_refs`` and run stamp as a re-run writes them (5,000 a statement, then a checkpoint). Results:
bench/results/rel_copy.json.
"""

from __future__ import annotations

import argparse
import json
import logging
import resource
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

from common import REPO, json_child, record

log = logging.getLogger("bench.rel_copy")
CLUSTERS = 20
TIES_PER_FIRM = 3
WAYS = ("one", "each", "held", "fwd")
MEMBERS = "MATCH (c:IndustryCluster {id: 'cluster/C3'})<-[:IN_CLUSTER]-(e:Enterprise) RETURN count(e)"
UPDATED = 50_000  # ties a re-run changes afterwards: a row taken out above them shifts their row and reference
# as the store writes a changed tie (graph/embedded_writes.py: _merge_rels_cypher, WRITE_BATCH rows a statement)
UPDATE = (
    "LOAD FROM $t MATCH (a:Enterprise {id: v_from_id}) MATCH (b:IndustryCluster {id: v_to_id}) "
    "MERGE (a)-[e:IN_CLUSTER]->(b) SET e.source_row = v_source_row, e.source_refs = v_source_refs, "
    "e.ingest_run = v_ingest_run RETURN count(e)"
)


def measure(way: str, refs: bool, firms: int, pool_mb: int) -> dict[str, Any]:
    """In a child: the seconds of each COPY of the ties and of the last checkpoint, the ties stored, a cluster's
    members' count, the update's seconds and the ties it changed, and the peak RSS (of the whole child: the nodes'
    load and the tables' making too)."""
    import ladybug
    import numpy as np
    import pyarrow as pa
    import pyarrow.compute as pc

    from graph.arrow_rows import relationship_schema
    from graph.embedded_results import all_rows
    from graph.embedded_store import COPY_CHUNK, EmbeddedStore
    from graph.embedded_writes import WRITE_BATCH
    from graph.schema import default_schema

    def texts(prefix: str, numbers: Any) -> pa.Array:
        return pc.binary_join_element_wise(prefix, pc.cast(pa.array(numbers), pa.string()), "")

    ties = firms * TIES_PER_FIRM
    firm = np.repeat(np.arange(firms), TIES_PER_FIRM)
    cluster = (np.repeat(np.random.default_rng(42).integers(0, CLUSTERS, firms), TIES_PER_FIRM)
               + np.tile(np.arange(TIES_PER_FIRM), firms)) % CLUSTERS  # fmt: skip
    row = pa.array(firm + 2)
    columns = {
        "from_id": texts("enterprise/", firm),
        "to_id": texts("cluster/C", cluster),
        "confidence": pa.repeat(pa.scalar("synthetic"), ties),
        "match_confidence": pa.repeat(pa.scalar(1.0), ties),
        "match_rule": pa.repeat(pa.scalar("cluster name or code"), ties),
        "source_file": pa.repeat(pa.scalar("facts/enterprises.csv"), ties),
        "source_refs": pa.ListArray.from_arrays(
            pa.array(np.arange(ties + 1, dtype=np.int32)), texts("facts/enterprises.csv#", row)
        ),
        "source_row": row,
        "source_url": pa.repeat(pa.scalar("ckg synth --scale 450 --seed 42 (synthetic, not real data)"), ties),
    }
    if not refs:
        columns["source_refs"] = pa.nulls(ties, pa.list_(pa.string()))
    expected = relationship_schema(default_schema())
    table = pa.table([columns.get(f.name, pa.nulls(ties, f.type)) for f in expected], schema=expected)
    with tempfile.TemporaryDirectory() as folder:
        path = Path(folder) / "graph.lbdb"
        store = EmbeddedStore(path, default_schema(), buffer_pool_mb=pool_mb)
        store.setup_schema()
        store.upsert_node_table("IndustryCluster", pa.table({"id": texts("cluster/C", np.arange(CLUSTERS))}))
        store.upsert_node_table("Enterprise", pa.table({"id": texts("enterprise/", np.arange(firms))}))
        store.close()
        connection = ladybug.Connection(ladybug.Database(str(path), buffer_pool_size=pool_mb << 20), num_threads=2)
        if way == "fwd":
            columns_ddl = ", ".join(f"{p.name} {p.store_type}" for p in default_schema().relationship_properties)
            connection.execute("DROP TABLE IN_CLUSTER")
            connection.execute(
                f"CREATE REL TABLE IN_CLUSTER(FROM Enterprise TO IndustryCluster, {columns_ddl}) "
                "WITH (storage_direction='fwd')"
            )
        if way == "held":
            connection.execute("CALL auto_checkpoint=false")
        rows = ties if way == "one" else COPY_CHUNK
        copies = []
        for start in range(0, ties, rows):
            started = time.perf_counter()
            part = {"t": table.slice(start, rows)}
            connection.execute("COPY IN_CLUSTER FROM $t (from='Enterprise', to='IndustryCluster')", part)
            copies.append(round(time.perf_counter() - started, 2))
        started = time.perf_counter()
        connection.execute("CHECKPOINT")
        checkpoint_s = time.perf_counter() - started
        stored = all_rows(connection.execute("MATCH ()-[e:IN_CLUSTER]->() RETURN count(e)"))[0][0]
        members = []
        for _ in range(5):
            started = time.perf_counter()
            all_rows(connection.execute(MEMBERS))
            members.append(time.perf_counter() - started)
        changed = min(UPDATED, ties)
        shifted = pc.add(table["source_row"].slice(0, changed), 1)
        update = pa.table(
            {
                "v_from_id": table["from_id"].slice(0, changed),
                "v_to_id": table["to_id"].slice(0, changed),
                "v_source_row": shifted,
                "v_source_refs": pa.ListArray.from_arrays(
                    pa.array(np.arange(changed + 1, dtype=np.int32)), texts("facts/enterprises.csv#", shifted)
                ),
                "v_ingest_run": pa.repeat(pa.scalar("run/2"), changed),
            }
        )
        started = time.perf_counter()
        for start in range(0, changed, WRITE_BATCH):
            all_rows(connection.execute(UPDATE, {"t": update.slice(start, WRITE_BATCH).combine_chunks()}))
        connection.execute("CHECKPOINT")
        update_s = time.perf_counter() - started
        count = "MATCH ()-[e:IN_CLUSTER]->() WHERE e.ingest_run = 'run/2' RETURN count(e)"
        updated = all_rows(connection.execute(count))[0][0]
    return {
        "way": way,
        "source_refs": refs,
        "ties": ties,
        "seconds": round(sum(copies) + checkpoint_s, 1),
        "copies_s": copies,
        "last_checkpoint_s": round(checkpoint_s, 2),
        "peak_rss_mb": round(resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024),
        "stored": stored,
        "members_ms": round(sorted(members)[2] * 1000, 1),
        "update_s": round(update_s, 1),
        "updated": updated,
    }


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--firms", type=int, default=500_000, help="three ties each")
    parser.add_argument("--pool-mb", type=int, default=3072, help="the store's buffer pool")
    parser.add_argument("--ways", nargs="+", choices=WAYS, default=list(WAYS))
    parser.add_argument("--child", help=argparse.SUPPRESS)
    parser.add_argument("--refs", type=int, default=1, help=argparse.SUPPRESS)
    args = parser.parse_args()
    logging.basicConfig(level=logging.INFO, format="%(asctime)s %(message)s")
    if args.child:
        print(json.dumps(measure(args.child, bool(args.refs), args.firms, args.pool_mb)))
        return
    runs = []
    for refs in (1, 0):
        for way in args.ways:
            command = [sys.executable, __file__, "--child", way, "--refs", str(refs), "--firms", str(args.firms)]
            runs.append(json_child([*command, "--pool-mb", str(args.pool_mb)], f"{way}, source_refs {refs}", REPO))
    path = record("rel_copy", {"firms": args.firms, "pool_mb": args.pool_mb, "runs": runs})
    for run in runs:
        log.info("%-4s source_refs=%-5s %6.1f s  (copies %s, last checkpoint %.1f s); a cluster's members %.1f ms; "
                 "%d ties updated in %.1f s", run["way"], run["source_refs"], run["seconds"], run["copies_s"],
                 run["last_checkpoint_s"], run["members_ms"], UPDATED, run["update_s"])  # fmt: skip
    log.info("written to %s", path)


if __name__ == "__main__":
    main()
