"""The manifest a synthetic data folder carries (``ckg synth``): what the pipeline and the generator share.

The pipeline reads it to know a folder is synthetic (its rows' provenance says so, and its mappings'
row-count bounds grow with the scale); the generator writes it. Neither imports the other.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

MANIFEST = "SYNTHETIC.json"
CONFIDENCE = "synthetic"  # the confidence every synthetic row carries


def read_manifest(data_dir: Path) -> dict[str, Any] | None:
    path = data_dir / MANIFEST
    if not path.is_file():
        return None
    manifest: dict[str, Any] = json.loads(path.read_text(encoding="utf-8"))
    return manifest
