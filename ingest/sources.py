"""The sources an ingest reads: the bundled mappings (ingest/mappings/*.yaml, in file-name order), the
policy notice, and any user file with a mapping. Each source yields records and pending links."""

from __future__ import annotations

import math
from collections.abc import Callable
from dataclasses import dataclass, replace
from pathlib import Path

from graph.schema import Schema
from ingest.manifest import CONFIDENCE, read_manifest
from ingest.mapping import SourceMapping, load_mapping
from ingest.mapping_apply import apply_mapping
from ingest.policy import notice_records
from ingest.readers import ReadError, read_table
from ingest.records import NodeRecord, PendingLink
from ingest.report import Level, Report
from ingest.source_standing import bundled_standing, check_high_ratings
from ingest.source_table import SURE_ENCODINGS

MAPPINGS_DIR = Path(__file__).resolve().parent / "mappings"
DATA_DIR = Path(__file__).resolve().parent.parent / "data"
NOTICE_FILE = "policy/gd-notice-2022-895.md"


@dataclass(frozen=True)
class Source:
    name: str
    file: str  # as provenance names it: relative to the data folder, or a curator's file's own name
    collect: Callable[[Path, Report], tuple[list[NodeRecord], list[PendingLink]]]
    mapping: SourceMapping | None = None


def file_label(target: str) -> str:
    """How provenance, reports and RDF name a file: relative to the data folder for the bundled and
    synthetic data, and by its own name for a curator's file given by path (never a local path)."""
    path = Path(target)
    return path.name if path.is_absolute() else path.as_posix()


GUESSED = (
    "文件既非 UTF-8 也非 GB18030，编码系猜测（{0}），请核对名称，最好另存为 UTF-8 / the file is neither UTF-8 nor "
    "GB18030: its encoding is a guess ({0}); check its names, or save it as UTF-8"
)


def mapping_source(mapping: SourceMapping, file: str | None = None) -> Source:
    target = file or mapping.file
    label = file_label(target)

    def collect(data_dir: Path, report: Report) -> tuple[list[NodeRecord], list[PendingLink]]:
        path = Path(target) if Path(target).is_absolute() else data_dir / target
        active = for_dataset(mapping, target, data_dir)
        try:
            table = read_table(path, sheet=active.sheet)
        except ReadError as exc:
            account = report.account(label, active.source)
            account.bounds_ok = False  # a file that cannot be read whole changes nothing
            report.error(label, str(exc))
            return [], []
        for note in table.notes:
            report.add(Level.INFO, label, note)
        if table.encoding not in SURE_ENCODINGS:  # loaded, but a person should look at its names
            report.warning(label, GUESSED.format(table.encoding))
        records, links = apply_mapping(active, table, label, report)
        check_high_ratings(records, label, report, active.provenance.get("confidence"), bundled_standing())
        return records, links

    return Source(name=mapping.source, file=label, collect=collect, mapping=mapping)


def for_dataset(mapping: SourceMapping, file: str, data_dir: Path) -> SourceMapping:
    """The mapping as it applies to this data folder: in a synthetic folder (``ckg synth``), its synthetic
    files' provenance says so and the row-count bounds grow with the scale."""
    manifest = read_manifest(data_dir)
    if manifest is None or file not in manifest.get("files", []):
        return mapping
    scale = float(manifest.get("scale", 1))
    upper = None if mapping.max_rows is None else math.ceil(mapping.max_rows * max(1.0, scale) * 2)
    loaded = None if mapping.max_loaded is None else math.ceil(mapping.max_loaded * max(1.0, scale) * 2)
    provenance = {"url_value": str(manifest.get("source", "ckg synth")), "confidence_value": CONFIDENCE}
    return replace(mapping, min_rows=0, max_rows=upper, min_loaded=0, max_loaded=loaded, provenance=provenance)


def policy_source() -> Source:
    def collect(data_dir: Path, report: Report) -> tuple[list[NodeRecord], list[PendingLink]]:
        path = data_dir / NOTICE_FILE
        notice, records = notice_records(path, NOTICE_FILE, data_dir / "policy" / "measure_stages.yaml")
        account = report.account(NOTICE_FILE, "policy")
        account.read = account.loaded = len(notice.measures)
        if len(notice.measures) != 20:
            account.bounds_ok = False
            report.error(
                NOTICE_FILE,
                f"应有通知的 20 项措施，解析出 {len(notice.measures)} 项 / "
                f"expected the notice's 20 measures, parsed {len(notice.measures)}",
            )
        return records.nodes, records.links

    return Source(name="policy", file=NOTICE_FILE, collect=collect)


def bundled_sources(schema: Schema, only: str | None = None) -> list[Source]:
    sources = [mapping_source(load_mapping(path, schema)) for path in sorted(MAPPINGS_DIR.glob("*.yaml"))]
    sources.append(policy_source())
    if only is not None:
        chosen = [s for s in sources if s.name == only]
        if not chosen:
            names = [s.name for s in sources]
            raise KeyError(
                f"没有名为 {only!r} 的内置来源；已有：{'、'.join(names)} / "
                f"no bundled source named {only!r}; known: {', '.join(names)}"
            )
        return chosen
    return sources
