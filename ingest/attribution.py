"""Attribution: ties between entities and clusters that no source states, from real codes and the graph.

Rules (ids as recorded on every tie; the crosswalks are data/crosswalks/*.csv):
- ``cluster.listed_industry``  a listed firm's 申万 2021 industry (most specific level with a row), else
                               its Tushare industry → IN_CLUSTER
- ``cluster.gbt4754``          an enterprise's GB/T 4754-2017 category (longest code prefix) → IN_CLUSTER
- ``cluster.programme``        a national key R&D project's programme → SERVES_CLUSTER
- ``cluster.keyword``          keywords in the name, field, focus or key terms of labs, centres,
                               infrastructure, carriers, funds, programmes, projects, institutions
- ``cluster.discipline``       a university's strong disciplines (学科评估 A+…B+, 双一流), first-class
                               majors (一流本科专业) and 双高 major groups → SERVES_CLUSTER (talent)
- ``cluster.via_hosted_lab``   an organisation hosting a lab that serves a cluster serves it too
- ``cluster.via_led_projects`` an organisation leading at least two of a cluster's projects serves it
A stated tie always wins (``ingest.build.relationship_rows``); one tie per rule and pair is kept, with
the first evidence found.
"""

from __future__ import annotations

import csv
from collections import defaultdict
from collections.abc import Callable
from pathlib import Path

from graph.ids import match_key
from graph.schema import Schema
from ingest.build import Inference
from ingest.crosswalks import Crosswalks, Row
from ingest.inference import LinkView, inferred_link, name_of
from ingest.records import Link
from ingest.resolve import Entity, EntityIndex

KEYWORD_CLASSES = (
    "Laboratory",
    "InnovationCenter",
    "ResearchInfrastructure",
    "IncubationCarrier",
    "Fund",
    "TalentProgramme",
    "Project",
    "ResearchInstitution",
)
KEYWORD_PROPS = ("name_zh", "name_en", "field", "key_terms", "target_group", "kind", "programme")
STRONG_GRADES = ("A+", "A", "A-", "B+")
HOSTS = ("University", "ResearchInstitution", "Enterprise")
Tie = Callable[[Entity, Row, str, str], None]  # (entity, crosswalk row, rule id, evidence) → a tie per cluster


class Attribution:
    """Every rule above, as one inference step over the resolved graph."""

    def __init__(self, schema: Schema, data_dir: Path) -> None:
        self.schema = schema
        self.data_dir = data_dir
        self.crosswalks = Crosswalks.load(data_dir)
        self.sw_by_stock = _shenwan(data_dir)
        self.studies = _university_studies(data_dir)
        self.outside: set[tuple[str, str]] = set()  # firms whose industry row says: no cluster

    def __call__(self, index: EntityIndex, links: list[Link]) -> list[Link]:
        self.outside = set()
        clusters = {
            str(e.merged_props().get("cluster_code")): e for e in index.entities if e.label == "IndustryCluster"
        }
        ties: dict[tuple[str, str, str, str], Link] = {}

        def tie(entity: Entity, row: Row, rule: str, evidence: str) -> None:
            rel_type = "IN_CLUSTER" if entity.label == "Enterprise" else "SERVES_CLUSTER"
            if not self.schema.rel_type(rel_type).allows(entity.label, "IndustryCluster"):
                return
            for code in row.clusters:
                cluster = clusters.get(code)
                key = (entity.label, entity.id, code, rule)
                if cluster is None or key in ties:
                    continue
                ties[key] = inferred_link(
                    rel_type,
                    entity,
                    cluster,
                    rule=rule,
                    evidence=evidence,
                    confidence=row.confidence,
                    source_file=row.file,
                )

        for entity in index.entities:
            props = entity.merged_props()
            if entity.label == "Enterprise":
                self._enterprise(entity, props, tie)
            if entity.label == "Project":
                row = self.crosswalks.programmes.get(str(props.get("programme") or ""))
                if row is not None:
                    tie(entity, row, "cluster.programme", f"programme {row.evidence}")
            if entity.label in KEYWORD_CLASSES:
                text = " ".join(str(props[p]) for p in KEYWORD_PROPS if props.get(p))
                for row in self.crosswalks.keyword_rows(text):
                    tie(entity, row, "cluster.keyword", f"keyword {row.evidence}")
            if entity.label == "University":
                for scheme, name, detail in self.studies.get(match_key(str(props.get("name_zh") or "")), []):
                    row = self.crosswalks.disciplines.get((scheme, match_key(name)))
                    if row is not None:
                        tie(entity, row, "cluster.discipline", f"{detail} {row.evidence}")
        own = list(ties.values())
        own.extend(self._through_graph(index, [*links, *own], clusters))
        own.extend(self._through_operators(index, [*links, *own], clusters))
        return own

    def _enterprise(self, entity: Entity, props: dict[str, object], tie: Tie) -> None:
        stock = str(props.get("stock_code") or "").split(".")[0]
        sw = self.sw_by_stock.get(stock)
        if sw:
            for code in (sw, sw[:4] + "00", sw[:2] + "0000"):  # level 3, 2, 1
                row = self.crosswalks.listed.get(("sw2021", code))
                if row is not None:
                    tie(entity, row, "cluster.listed_industry", f"申万2021 {row.evidence}")
                    if not row.clusters:
                        self.outside.add((entity.label, entity.id))
                    return
        industry = props.get("listed_industry")
        row = self.crosswalks.listed.get(("tushare", str(industry))) if industry else None
        if row is not None:
            tie(entity, row, "cluster.listed_industry", f"Tushare industry {row.evidence}")
            if not row.clusters:
                self.outside.add((entity.label, entity.id))

    def _through_graph(self, index: EntityIndex, links: list[Link], clusters: dict[str, Entity]) -> list[Link]:
        """Organisations serve the clusters of the labs they host and of the projects they lead."""
        view = LinkView(index, links, ())  # its entities only
        served: dict[tuple[str, str], set[str]] = defaultdict(set)
        cluster_code = {id(c): code for code, c in clusters.items()}
        for link in links:
            if link.rel_type in ("SERVES_CLUSTER", "IN_CLUSTER"):
                target = view.entity.get((link.to_label, link.to_id))
                if target is not None:
                    served[(link.from_label, link.from_id)].add(cluster_code.get(id(target), ""))
        out: list[Link] = []
        led: dict[tuple[str, str], dict[str, list[str]]] = defaultdict(lambda: defaultdict(list))
        for link in links:
            start = view.entity.get((link.from_label, link.from_id))
            end = view.entity.get((link.to_label, link.to_id))
            if start is None or end is None:
                continue
            if link.rel_type == "HOSTED_BY" and start.label == "Laboratory" and end.label in HOSTS:
                for code in sorted(served.get((start.label, start.id), set()) - {""}):
                    evidence = f"hosts {name_of(start)}, which serves {code}"
                    out.extend(self._graph_tie(end, clusters[code], "cluster.via_hosted_lab", evidence))
            if link.rel_type == "LEADS_PROJECT" and start.label in HOSTS:
                for code in served.get((end.label, end.id), set()) - {""}:
                    led[(start.label, start.id)][code].append(name_of(end))
        for (label, node_id), by_code in led.items():
            leader = view.entity[(label, node_id)]
            for code, projects in sorted(by_code.items()):
                if len(projects) >= 2:
                    evidence = f"leads {len(projects)} projects serving {code}, e.g. {sorted(projects)[0]}"
                    out.extend(self._graph_tie(leader, clusters[code], "cluster.via_led_projects", evidence))
        return out

    def _through_operators(self, index: EntityIndex, links: list[Link], clusters: dict[str, Entity]) -> list[Link]:
        """Rule ``cluster.via_operator``: an incubation carrier transfers the research of the organisation
        that operates it, so it serves the clusters that organisation serves through its research (its
        labs, its projects, or a stated tie) — not through the subjects it teaches."""
        research_rules = {"cluster.via_hosted_lab", "cluster.via_led_projects"}
        by_code = {id(c): code for code, c in clusters.items()}
        view = LinkView(index, links, ("OPERATED_BY",))
        research: dict[tuple[str, str], set[str]] = defaultdict(set)
        for link in links:
            if link.rel_type in ("SERVES_CLUSTER", "IN_CLUSTER") and (
                link.rank[0] == 0 or link.props.get("rule") in research_rules
            ):
                target = view.entity.get((link.to_label, link.to_id))
                if target is not None and id(target) in by_code:
                    research[(link.from_label, link.from_id)].add(by_code[id(target)])
        out: list[Link] = []
        for entity in index.entities:
            if entity.label != "IncubationCarrier":
                continue
            for operator in view.targets(entity, "OPERATED_BY"):
                for code in sorted(research.get((operator.label, operator.id), set())):
                    evidence = f"operated by {name_of(operator)}, whose research serves {code}"
                    out.extend(self._graph_tie(entity, clusters[code], "cluster.via_operator", evidence))
        return out

    def _graph_tie(self, entity: Entity, cluster: Entity, rule: str, evidence: str) -> list[Link]:
        if (entity.label, entity.id) in self.outside:
            return []  # its industry row decided: a bank that leads a project is still no cluster member
        rel_type = "IN_CLUSTER" if entity.label == "Enterprise" else "SERVES_CLUSTER"
        if not self.schema.rel_type(rel_type).allows(entity.label, cluster.label):
            return []
        return [
            inferred_link(
                rel_type,
                entity,
                cluster,
                rule=rule,
                evidence=evidence,
                confidence="medium",
                source_file="ingest/attribution.py",
            )
        ]


def _read(path: Path) -> list[dict[str, str]]:
    if not path.exists():
        return []
    with path.open(encoding="utf-8-sig", newline="") as handle:
        return list(csv.DictReader(handle))


def _shenwan(data_dir: Path) -> dict[str, str]:
    """Stock code (six digits) → its newest 申万 2021 code."""
    newest: dict[str, tuple[str, str]] = {}
    for row in _read(data_dir / "raw" / "shenwan-2021" / "sw_stock_classification.csv"):
        stock, date = row["stock_code"].zfill(6), row["effective_date"]
        if stock not in newest or date > newest[stock][0]:
            newest[stock] = (date, row["sw_code"])
    return {stock: code for stock, (_, code) in newest.items()}


def _university_studies(data_dir: Path) -> dict[str, list[tuple[str, str, str]]]:
    """University (match key) → (scheme, discipline/major name, where it is stated) of its strong studies."""
    folder = data_dir / "raw"
    studies: dict[str, list[tuple[str, str, str]]] = defaultdict(list)
    for row in _read(folder / "university-disciplines" / "eval4_official.csv"):
        if row["grade"] in STRONG_GRADES:
            detail = f"学科评估 {row['discipline_code']} {row['discipline_name']} {row['grade']};"
            studies[match_key(row["school_name"])].append(("discipline", row["discipline_code"], detail))
    for row in _read(folder / "university-disciplines" / "dfc2022.csv"):
        if row["discipline_name"]:
            detail = f"双一流 {row['discipline_name']};"
            studies[match_key(row["school_name"])].append(("discipline", row["discipline_name"], detail))
    for row in _read(folder / "university-disciplines" / "swyc_batches.csv"):
        detail = f"一流本科专业 {row['major_name']};"
        studies[match_key(row["school_name"])].append(("major", row["major_name"], detail))
    for row in _read(folder / "vocational-shuanggao" / "shuanggao_2019.csv"):
        for group in filter(None, row["major_groups"].split("|")):
            studies[match_key(row["school_name"])].append(("major_group", group, f"双高专业群 {group};"))
    return studies


def attribution(schema: Schema, data_dir: Path) -> Inference:
    return Attribution(schema, data_dir)
