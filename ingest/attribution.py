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

import itertools
from collections import defaultdict
from collections.abc import Callable, Collection, Iterator
from pathlib import Path

from graph.ids import match_key
from graph.schema import Schema
from ingest.build import Inference
from ingest.crosswalks import Crosswalks, Row
from ingest.inference import LinkView, inferred_link, name_of
from ingest.link_columns import Starts, TieKey, Ties, keys_of_types, of_types
from ingest.records import Link
from ingest.reference_rows import reference_rows
from ingest.report import Report
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

    def __init__(self, schema: Schema, data_dir: Path, report: Report | None = None) -> None:
        self.schema = schema
        self.data_dir = data_dir
        self.crosswalks = Crosswalks.load(data_dir, report)
        self.sw_by_stock = _shenwan(data_dir, report)
        self.studies = _university_studies(data_dir, report)
        self.outside: set[tuple[str, str]] = set()  # firms whose industry row says: no cluster

    def __call__(self, index: EntityIndex, links: Ties) -> list[Link]:
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
        own.extend(self._through_graph(index, (links, own), clusters))
        own.extend(self._through_operators(index, (links, own), clusters))
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

    def _through_graph(self, index: EntityIndex, parts: Parts, clusters: dict[str, Entity]) -> list[Link]:
        """Organisations serve the clusters of the labs they host and of the projects they lead."""
        hosting, leading = [], []  # the ties the rules follow, with their ends
        walked = ("HOSTED_BY", "LEADS_PROJECT")
        for rel_type, from_label, from_id, to_label, to_id in _every_key(parts, walked):
            start, end = index.by_node_id(from_label, from_id), index.by_node_id(to_label, to_id)
            if start is None or end is None:
                continue
            if rel_type == "HOSTED_BY" and start.label == "Laboratory" and end.label in HOSTS:
                hosting.append((start, end))
            if rel_type == "LEADS_PROJECT" and start.label in HOSTS:
                leading.append((start, end))
        # the clusters of those labs and projects only, not of every firm (with the views' change, this rule's peak
        # at scale 150 fell 3,146 → 2,731 MB)
        asked = {(lab.label, lab.id) for lab, _ in hosting} | {(p.label, p.id) for _, p in leading}
        served = _served(index, parts, clusters, asked, lambda link: True)
        out: list[Link] = []
        for lab, host in hosting:
            for code in sorted(served.get((lab.label, lab.id), set()) - {""}):
                evidence = f"hosts {name_of(lab)}, which serves {code}"
                out.extend(self._graph_tie(host, clusters[code], "cluster.via_hosted_lab", evidence))
        led: dict[tuple[str, str], dict[str, list[str]]] = defaultdict(lambda: defaultdict(list))
        leaders: dict[tuple[str, str], Entity] = {}
        for leader, project in leading:
            for code in served.get((project.label, project.id), set()) - {""}:
                led[(leader.label, leader.id)][code].append(name_of(project))
                leaders[(leader.label, leader.id)] = leader
        for key, by_code in led.items():
            for code, projects in sorted(by_code.items()):
                if len(projects) >= 2:
                    evidence = f"leads {len(projects)} projects serving {code}, e.g. {sorted(projects)[0]}"
                    out.extend(self._graph_tie(leaders[key], clusters[code], "cluster.via_led_projects", evidence))
        return out

    def _through_operators(self, index: EntityIndex, parts: Parts, clusters: dict[str, Entity]) -> list[Link]:
        """Rule ``cluster.via_operator``: an incubation carrier transfers the research of the organisation
        that operates it, so it serves the clusters that organisation serves through its research (its
        labs, its projects, or a stated tie) — not through the subjects it teaches."""
        research_rules = {"cluster.via_hosted_lab", "cluster.via_led_projects"}
        view = LinkView(index, parts, ("OPERATED_BY",))
        carriers = [entity for entity in index.entities if entity.label == "IncubationCarrier"]
        operators = {(o.label, o.id) for carrier in carriers for o in view.targets(carrier, "OPERATED_BY")}

        def through_research(link: Link) -> bool:  # a stated tie, or one a research rule inferred
            return link.provenance is not None or link.extra.get("rule") in research_rules

        research = _served(index, parts, clusters, operators, through_research)
        out: list[Link] = []
        for entity in carriers:
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


def _read(
    data_dir: Path, file: str, columns: tuple[str, ...], report: Report | None, filled: tuple[str, ...] = ()
) -> Iterator[dict[str, str]]:
    """A raw list's rows (ingest/reference_rows.py: its problems reported, its good rows used); a row with an empty
    ``filled`` cell is reported and not used."""
    return (row for _, row in reference_rows(data_dir / "raw" / file, data_dir, columns, report, filled))


Parts = tuple[Ties, ...]  # the resolved ties, then the rules' own so far: walked in turn, not copied into one


def _every(parts: Parts, rel_types: Collection[str], starts: Starts | None = None) -> Iterator[Link]:
    """The ties of these types (from ``starts`` only, if given) in every part (of the resolved ties' columns, only
    theirs are made)."""
    return itertools.chain.from_iterable(of_types(part, rel_types, starts) for part in parts)


def _every_key(parts: Parts, rel_types: Collection[str]) -> Iterator[TieKey]:
    """The keys of the ties of these types in every part (no ``Link`` is made for a tie of the columns)."""
    return itertools.chain.from_iterable(keys_of_types(part, rel_types) for part in parts)


def _served(
    index: EntityIndex,
    parts: Parts,
    clusters: dict[str, Entity],
    asked: set[tuple[str, str]],
    counts: Callable[[Link], bool],
) -> dict[tuple[str, str], set[str]]:
    """The codes of the clusters each ``asked`` entity is tied to (IN_CLUSTER or SERVES_CLUSTER) by the ties
    ``counts`` accepts."""
    code_of = {id(c): code for code, c in clusters.items()}
    served: dict[tuple[str, str], set[str]] = defaultdict(set)
    for link in _every(parts, ("SERVES_CLUSTER", "IN_CLUSTER"), asked):
        target = index.by_node_id(link.to_label, link.to_id)
        if target is not None and id(target) in code_of and counts(link):
            served[(link.from_label, link.from_id)].add(code_of[id(target)])
    return served


def _shenwan(data_dir: Path, report: Report | None = None) -> dict[str, str]:
    """Stock code (six digits) → its newest 申万 2021 code."""
    newest: dict[str, tuple[str, str]] = {}
    columns = ("stock_code", "effective_date", "sw_code")
    for row in _read(data_dir, "shenwan-2021/sw_stock_classification.csv", columns, report, ("stock_code", "sw_code")):
        stock, date = row["stock_code"].zfill(6), row["effective_date"]
        if stock not in newest or date > newest[stock][0]:
            newest[stock] = (date, row["sw_code"])
    return {stock: code for stock, (_, code) in newest.items()}


def _university_studies(data_dir: Path, report: Report | None = None) -> dict[str, list[tuple[str, str, str]]]:
    """University (match key) → (scheme, discipline/major name, where it is stated) of its strong studies."""
    studies: dict[str, list[tuple[str, str, str]]] = defaultdict(list)
    grades = ("school_name", "discipline_code", "discipline_name", "grade")
    for row in _read(data_dir, "university-disciplines/eval4_official.csv", grades, report, grades[:2]):
        if row["grade"] in STRONG_GRADES:
            detail = f"学科评估 {row['discipline_code']} {row['discipline_name']} {row['grade']};"
            studies[match_key(row["school_name"])].append(("discipline", row["discipline_code"], detail))
    first_class = ("school_name", "discipline_name")  # a school on the list without a named discipline: none to match
    for row in _read(data_dir, "university-disciplines/dfc2022.csv", first_class, report, first_class[:1]):
        if row["discipline_name"]:
            detail = f"双一流 {row['discipline_name']};"
            studies[match_key(row["school_name"])].append(("discipline", row["discipline_name"], detail))
    majors = ("school_name", "major_name")
    for row in _read(data_dir, "university-disciplines/swyc_batches.csv", majors, report, majors):
        detail = f"一流本科专业 {row['major_name']};"
        studies[match_key(row["school_name"])].append(("major", row["major_name"], detail))
    groups = ("school_name", "major_groups")
    for row in _read(data_dir, "vocational-shuanggao/shuanggao_2019.csv", groups, report, groups[:1]):
        for group in filter(None, row["major_groups"].split("|")):
            studies[match_key(row["school_name"])].append(("major_group", group, f"双高专业群 {group};"))
    return studies


def attribution(schema: Schema, data_dir: Path, report: Report | None = None) -> Inference:
    return Attribution(schema, data_dir, report)
