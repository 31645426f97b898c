"""A synthetic ecosystem in the bundled dataset's own file formats, for scale tests and benchmarks.

``write_synthetic(out, scale)`` copies the bundled data folder (real reference tables: cities, districts,
clusters, agencies, GB/T 4754, the notice and the small official lists) and replaces the entity tables with
synthetic rows: enterprises, universities and institutes, labs, infrastructure, innovation centres,
incubation carriers, funds, talent programmes and national key R&D projects. Scale 1 has about as many nodes
as the bundled data; scale 150 about a million nodes and three million relationships.

The proportions and skew are chosen to look like a real regional ecosystem: enterprises dominate; cities
follow a Zipf law (深圳 and 广州 hold most firms); a few big universities host most labs and lead most
projects; a few guidance funds manage most sub-funds; every chain stage gets relationships. Every row says
it is synthetic (``confidence = synthetic``, ``source = ckg synth …``), names carry 合成 ("synthetic"), and a
``SYNTHETIC.json`` manifest marks the folder, so it is never mistaken for, or mixed into, the real dataset.
The ingest pipeline reads such a folder like the bundled one (``ckg ingest --data-dir``); the manifest
scales the mappings' row-count bounds and relabels provenance of the synthetic files.
"""

from __future__ import annotations

import csv
import itertools
import json
import logging
import math
import random
import shutil
from collections.abc import Callable, Iterator, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from stdnum.cn import uscc

from ingest.manifest import CONFIDENCE, MANIFEST, read_manifest

log = logging.getLogger(__name__)


# Rows per unit of scale. Scale 1 ≈ the bundled data's node count, with a regional ecosystem's proportions.
PER_SCALE = {
    "enterprises": 5500,
    "universities": 30,
    "institutes": 15,
    "labs": 40,
    "infrastructure": 4,
    "innovation_centers": 25,
    "incubation": 50,
    "funds": 15,
    "talent_programs": 4,
    "projects": 700,
}

FILES = {
    "enterprises": "facts/enterprises.csv",
    "universities": "facts/universities.csv",
    "labs": "facts/labs.csv",
    "infrastructure": "facts/infrastructure.csv",
    "innovation_centers": "facts/innovation_centers.csv",
    "incubation": "facts/incubation.csv",
    "funds": "facts/funds.csv",
    "talent_programs": "facts/talent_programs.csv",
    "projects": "raw/techme-most-stats/nkrdp_projects_2018_2020_wide.csv",
}

LAB_LEVELS = ["provincial_key_lab", "municipal_lab", "state_key_lab", "provincial_lab", "national_lab"]
CARRIER_KINDS = ["incubator", "maker_space", "new_rd_institution", "pilot_platform", "accelerator"]
ROLES = ["专精特新", "高新技术企业", "单项冠军", "链主", "龙头企业"]
FIELDS = ["新材料", "集成电路", "生物医药", "人工智能", "精密仪器", "新能源", "海洋工程", "智能制造", "信息通信"]
WORDS = ["华", "创", "智", "芯", "科", "新", "远", "达", "瑞", "星", "海", "云", "光", "电", "联", "博", "康", "源"]


@dataclass(frozen=True)
class Reference:
    """The real tables a synthetic ecosystem is placed on."""

    cities: list[tuple[str, str]]  # (name_zh, admin code), biggest economies first
    clusters: list[str]
    agencies: list[str]

    @classmethod
    def load(cls, data_dir: Path) -> Reference:
        cities = [(r["name_zh"], r["admin_code"]) for r in _rows(data_dir / "facts/cities.csv")]
        order = ["深圳市", "广州市", "东莞市", "佛山市", "珠海市", "惠州市", "中山市", "江门市"]
        cities.sort(key=lambda c: order.index(c[0]) if c[0] in order else len(order))
        clusters = [r["name_zh"] for r in _rows(data_dir / "facts/clusters.csv")]
        agencies = [r["name_zh"] for r in _rows(data_dir / "facts/agencies.csv")]
        return cls(cities=cities, clusters=clusters, agencies=agencies)


def _rows(path: Path) -> list[dict[str, str]]:
    with path.open(encoding="utf-8-sig", newline="") as f:
        return list(csv.DictReader(f))


class Zipf:
    """Draws items with weight 1/rank^s: a few hubs, a long tail."""

    def __init__(self, items: Sequence[Any], exponent: float, rng: random.Random) -> None:
        self.items = list(items)
        self.cum = list(itertools.accumulate(1 / (rank + 1) ** exponent for rank in range(len(self.items))))
        self.rng = rng

    def one(self) -> Any:
        return self.rng.choices(self.items, cum_weights=self.cum)[0]

    def some(self, low: int, high: int) -> list[Any]:
        wanted = self.rng.randint(low, high)
        picked = dict.fromkeys(self.rng.choices(self.items, cum_weights=self.cum, k=wanted))
        return list(picked)


# Memory and disk grow with the scale (about 0.6 MB of memory and 1.3 MB of files per unit, measured):
# 1000 is seven million nodes and 1.3 GB of CSV, far past the benchmarks' 150; beyond it a typo (1e9)
# would fill the disk and the memory before it said anything.
MAX_SCALE = 1000.0


def check_scale(scale: float) -> float:
    """The scale, if it is a finite number in (0, MAX_SCALE]; otherwise ValueError saying why."""
    if not math.isfinite(scale) or not 0 < scale <= MAX_SCALE:
        raise ValueError(
            f"--scale {scale:g} 超出范围：请给出大于 0、至多 {MAX_SCALE:g} 的数"
            "（1 约等于随附数据，150 约一百万个节点） / "
            f"--scale {scale:g} is out of range: give a number above 0 and at most {MAX_SCALE:g} "
            "(1 ≈ the bundled data, 150 ≈ a million nodes, 1000 ≈ seven million nodes and 1.3 GB of files)"
        )
    return scale


def counts_for(scale: float) -> dict[str, int]:
    return {kind: max(2, round(per * scale)) for kind, per in PER_SCALE.items()}


def write_synthetic(out_dir: Path, scale: float, *, seed: int = 42, data_dir: Path | None = None) -> dict[str, Any]:
    """Write a synthetic data folder at ``out_dir``; returns its manifest."""
    from ingest.sources import DATA_DIR

    check_scale(scale)  # before anything is deleted or written
    source_dir = data_dir or DATA_DIR
    out_dir = out_dir.resolve()
    if out_dir == source_dir.resolve() or source_dir.resolve() in out_dir.parents:
        raise ValueError(
            f"不会把合成数据写进真实数据文件夹 {source_dir} / "
            f"refusing to write synthetic data inside the real data folder {source_dir}"
        )
    if out_dir.exists():
        # replace only an earlier synthetic folder or an empty one, never whatever else the path names
        if read_manifest(out_dir) is None and any(out_dir.iterdir()):
            raise ValueError(
                f"{out_dir} 已存在且不是合成数据文件夹（没有 {MANIFEST}），不替换 / "
                f"{out_dir} exists and is not a synthetic data folder (no {MANIFEST}); not replacing it"
            )
        shutil.rmtree(out_dir)
    shutil.copytree(source_dir, out_dir)
    rng = random.Random(seed)
    ref = Reference.load(source_dir)
    counts = counts_for(scale)
    label = f"ckg synth --scale {scale:g} --seed {seed} (synthetic, not real data)"
    gen = _Generator(ref, counts, rng, label)
    for kind, rows in gen.writers().items():
        _write_csv(out_dir / FILES[kind], rows)
        log.info("wrote %s", FILES[kind])
    manifest = {
        "synthetic": True,
        "generator": "ckg synth",
        "scale": scale,
        "seed": seed,
        "source": label,
        "files": sorted(set(FILES.values())),
        "rows": counts,
        "note": "Synthetic entities on Guangdong's real cities, clusters and agencies; never real data.",
    }
    (out_dir / MANIFEST).write_text(json.dumps(manifest, ensure_ascii=False, indent=2), encoding="utf-8")
    return manifest


def _write_csv(path: Path, rows: Callable[[], Iterator[dict[str, Any]]]) -> None:
    """Rows in the columns of the real file they replace (its header is kept; absent columns stay empty)."""
    with path.open(encoding="utf-8-sig", newline="") as f:
        header = next(csv.reader(f))
    with path.open("w", encoding="utf-8", newline="") as f:
        writer = csv.DictWriter(f, fieldnames=header, restval="")
        writer.writeheader()
        writer.writerows(rows())


class _Generator:
    def __init__(self, ref: Reference, counts: dict[str, int], rng: random.Random, label: str) -> None:
        self.ref = ref
        self.n = counts
        self.rng = rng
        self.label = label
        self.cities = Zipf(ref.cities, 1.1, rng)
        self.clusters = Zipf(ref.clusters, 0.6, rng)
        self.universities = [f"合成{self._city_short(i)}大学{i:05d}" for i in range(counts["universities"])]
        self.institutes = [f"合成{self._city_short(i)}研究院{i:05d}" for i in range(counts["institutes"])]
        self.enterprises = [self._enterprise_name(i) for i in range(counts["enterprises"])]
        self.funds = [f"合成产业投资基金{i:05d}" for i in range(counts["funds"])]
        # Hubs: big universities and institutes host labs and lead projects; big firms lead centres.
        self.academic_hubs = Zipf(self.universities + self.institutes, 1.2, rng)
        self.firm_hubs = Zipf(self.enterprises[: max(10, len(self.enterprises) // 50)], 1.0, rng)
        self.guidance_funds = Zipf(self.funds[: max(2, len(self.funds) // 20)], 1.0, rng)

    def writers(self) -> dict[str, Callable[[], Iterator[dict[str, Any]]]]:
        return {
            "enterprises": self.enterprise_rows,
            "universities": self.university_rows,
            "labs": self.lab_rows,
            "infrastructure": self.infrastructure_rows,
            "innovation_centers": self.center_rows,
            "incubation": self.incubation_rows,
            "funds": self.fund_rows,
            "talent_programs": self.talent_rows,
            "projects": self.project_rows,
        }

    def _city_short(self, i: int) -> str:
        return self.ref.cities[i % len(self.ref.cities)][0].removesuffix("市")

    def _enterprise_name(self, i: int) -> str:
        word = WORDS[i % len(WORDS)] + WORDS[(i // len(WORDS)) % len(WORDS)]
        return f"合成{word}科技有限公司{i:07d}"

    def _clusters(self, low: int, high: int) -> str:
        return ";".join(self.clusters.some(low, high))

    def _year(self, low: int = 1985) -> int:
        return self.rng.randint(low, 2023)

    def _labelled(self, **row: Any) -> dict[str, Any]:
        return {**row, "source": self.label, "confidence": CONFIDENCE}

    def enterprise_rows(self) -> Iterator[dict[str, Any]]:
        for i, name in enumerate(self.enterprises):
            city, code = self.cities.one()
            listed = self.rng.random() < 0.01
            yield self._labelled(
                name_zh=name,
                name_en=f"Synthetic Tech Co. {i}",
                city=city,
                clusters=self._clusters(1, 5),
                roles=";".join(r for r in ROLES if self.rng.random() < 0.04),
                unified_social_credit_code=_uscc(code, i) if self.rng.random() < 0.7 else "",
                stock_code=f"{(600000 + i) % 1000000:06d}.SZ" if listed else "",
                list_date=f"20{self.rng.randint(10, 23)}0{self.rng.randint(1, 9)}15" if listed else "",
                founded_year=self._year(),
            )

    def university_rows(self) -> Iterator[dict[str, Any]]:
        for kind, names, english in (
            ("university", self.universities, "Synthetic University"),
            ("research_institute", self.institutes, "Synthetic Institute"),
        ):
            for i, name in enumerate(names):
                yield self._labelled(
                    name=name,
                    name_en=f"{english} {i}",
                    kind=kind,
                    city=self.cities.one()[0],
                    year_founded=self._year(1900),
                )

    def lab_rows(self) -> Iterator[dict[str, Any]]:
        levels = Zipf(LAB_LEVELS, 1.3, self.rng)
        for i in range(self.n["labs"]):
            field = self.rng.choice(FIELDS)
            yield self._labelled(
                name_zh=f"合成{field}重点实验室{i:05d}",
                name_en=f"Synthetic Lab {i}",
                level=levels.one(),
                city=self.cities.one()[0],
                host_institution=self.academic_hubs.one() if self.rng.random() < 0.8 else self.firm_hubs.one(),
                field=field,
                year_founded=self._year(1990),
                related_clusters=self._clusters(1, 2),
            )

    def infrastructure_rows(self) -> Iterator[dict[str, Any]]:
        for i in range(self.n["infrastructure"]):
            yield self._labelled(
                name=f"合成大科学装置{i:05d}",
                name_en=f"Synthetic Facility {i}",
                city=self.cities.one()[0],
                host=self.academic_hubs.one(),
                status=self.rng.choice(["operating", "under construction"]),
                field=self.rng.choice(FIELDS),
                year=self._year(2000),
                related_clusters=self._clusters(1, 3),
            )

    def center_rows(self) -> Iterator[dict[str, Any]]:
        for i in range(self.n["innovation_centers"]):
            yield self._labelled(
                name=f"合成制造业创新中心{i:05d}",
                kind=self.rng.choice(["manufacturing_innovation_center", "technology_innovation_center"]),
                level=self.rng.choice(["national", "provincial"]),
                city=self.cities.one()[0],
                lead_or_host=self.firm_hubs.one() if self.rng.random() < 0.7 else self.academic_hubs.one(),
                year=self._year(2015),
                related_clusters=self._clusters(1, 2),
            )

    def incubation_rows(self) -> Iterator[dict[str, Any]]:
        for i in range(self.n["incubation"]):
            yield self._labelled(
                name=f"合成孵化器{i:05d}",
                kind=self.rng.choice(CARRIER_KINDS),
                level=self.rng.choice(["national", "provincial"]),
                city=self.cities.one()[0],
                host_or_operator=self.academic_hubs.one() if self.rng.random() < 0.5 else self.firm_hubs.one(),
                year=self._year(2005),
                related_clusters=self._clusters(1, 3),
            )

    def fund_rows(self) -> Iterator[dict[str, Any]]:
        guidance = set(self.funds[: max(2, len(self.funds) // 20)])
        for name in self.funds:
            # guidance funds belong to a department; the others are managed by a guidance fund (the hubs)
            is_guidance = name in guidance
            yield self._labelled(
                name=name,
                kind="guidance_fund" if is_guidance else "sub_fund",
                city=self.cities.one()[0],
                size=f"{self.rng.randint(1, 500)}亿元",
                focus_clusters=self._clusters(1, 4),
                manager_or_owner=self.rng.choice(self.ref.agencies) if is_guidance else self.guidance_funds.one(),
                year=self._year(2010),
            )

    def talent_rows(self) -> Iterator[dict[str, Any]]:
        for i in range(self.n["talent_programs"]):
            yield self._labelled(
                name=f"合成人才计划{i:05d}",
                level=self.rng.choice(["provincial", "municipal"]),
                year=self._year(2008),
                target_group="innovation teams",
                administering_department=self.rng.choice(self.ref.agencies),
            )

    def project_rows(self) -> Iterator[dict[str, Any]]:
        for i in range(self.n["projects"]):
            year = 2018 + i % 3
            yield {
                "year": year,
                "date": f"{year + 1}1015",
                "NO": f"SYN{year}{i:08d}",
                "index": i + 1,
                "title": f"合成重点研发项目{i:07d}",
                "institution": self.academic_hubs.one() if self.rng.random() < 0.6 else self.firm_hubs.one(),
                "funds": self.rng.randint(100, 5000),
                "type": self.rng.choice(FIELDS),
                "duration": self.rng.choice(["3", "4", "5"]),
            }


def _uscc(admin_code: str, i: int) -> str:
    """A well-formed 统一社会信用代码 (valid check digit) that is unique per i; not a real company's."""
    body = f"91{admin_code}{i:08d}X"  # 2 + 6 + 8 + 1 = 17 characters
    return body + uscc.calc_check_digit(body)
