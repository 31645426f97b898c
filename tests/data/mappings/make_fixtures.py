"""Regenerates the mapping fixtures: a few real rows of each bundled source plus one bad row at the end.

Run from the repository root: ``.venv/bin/python tests/data/mappings/make_fixtures.py``. The bad row
empties the column of the mapping's first required property, so the mapping must reject it.
"""

from __future__ import annotations

import csv
import io
import json
from pathlib import Path

from graph.schema import default_schema
from ingest.mapping import load_mapping
from ingest.readers import read_table
from ingest.sources import DATA_DIR, MAPPINGS_DIR

HERE = Path(__file__).resolve().parent
GOOD_ROWS = 4


def main() -> None:
    schema = default_schema()
    for path in sorted(MAPPINGS_DIR.glob("*.yaml")):
        mapping = load_mapping(path, schema)
        source = DATA_DIR / mapping.file
        table = read_table(source)
        keep = [r for r in table.rows if not any(s.matches(r) for s in mapping.skips)][:GOOD_ROWS]
        skipped = [r for r in table.rows if any(s.matches(r) for s in mapping.skips)][:1]
        required = next(rule for rule in mapping.properties if rule.required and rule.column)
        bad = dict(keep[0].values)
        bad[required.column] = ""  # type: ignore[index]
        rows = [r.values for r in keep + skipped] + [bad]
        target = HERE / f"{mapping.source}{source.suffix}"
        if source.suffix in (".json", ".geojson"):
            features = [{"type": "Feature", "properties": _unflatten(r), "geometry": None} for r in rows]
            target.write_text(
                json.dumps({"type": "FeatureCollection", "features": features}, ensure_ascii=False, indent=1),
                encoding="utf-8",
            )
        else:
            out = io.StringIO()
            writer = csv.DictWriter(out, fieldnames=table.header)
            writer.writeheader()
            writer.writerows(rows)
            target.write_text(out.getvalue(), encoding="utf-8")


def _unflatten(row: dict[str, str]) -> dict[str, object]:
    """Back to DataV's shape: ``centroid_lon``/``centroid_lat`` → ``centroid: [lon, lat]``."""
    out: dict[str, object] = {}
    for key, value in row.items():
        if key.endswith("_lon"):
            out[key[:-4]] = [float(value), float(row[key[:-4] + "_lat"])] if value else None
        elif key.endswith("_lat"):
            continue
        elif key.startswith("parent_"):
            out["parent"] = {"adcode": value}
        else:
            out[key] = value
    return out


if __name__ == "__main__":
    main()
