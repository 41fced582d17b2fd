"""Expected results of the named queries, computed from the sources themselves (the CSV copy,
the hand-written Turtle of the notes, the packages), never from the queries' own output."""

from __future__ import annotations

import csv
import warnings
from collections import Counter
from itertools import combinations
from pathlib import Path

from rdflib import Graph
from rdflib.namespace import RDF

from iatp_kg.namespaces import IATP

ROOT = Path(__file__).parents[1]
ID = "https://w3id.org/iatp/id/"


def csv_rows() -> list[dict[str, str]]:
    with (ROOT / "pipelines" / "lac_initiatives" / "lac-initiatives.csv").open(
        encoding="utf-8"
    ) as fh:
        return list(csv.DictReader(fh))


def notes() -> Graph:
    return Graph().parse(ROOT / "pipelines" / "community_of_practice" / "community-of-practice.ttl")


def sector_mapping() -> dict[str, list[str]]:
    with (ROOT / "pipelines" / "lac_initiatives" / "sector-mapping.csv").open(
        encoding="utf-8"
    ) as fh:
        return {r["source_text"]: r["isic_codes"].split(";") for r in csv.DictReader(fh)}


def per_country_and_kind() -> Counter:
    kinds = {"cluster": "cluster", "local_productive": "local-productive"}
    counts = Counter((r["country_iso2"], kinds[r["type"]]) for r in csv_rows())
    g = notes()
    for initiative in g.subjects(RDF.type, IATP.ClusterInitiative):
        country = str(g.value(initiative, IATP.country)).rsplit("/", 1)[-1].upper()
        counts[(country, "cluster")] += 1
    return counts


def section_of() -> dict[str, str]:
    from isic import ISIC

    out, section = {}, None
    for code in ISIC:
        if code.isalpha():
            section = code
            out[code] = code
        elif len(code) == 2:
            out[code] = section
    return out


def per_isic_section() -> Counter:
    mapping, sections = sector_mapping(), section_of()
    counts = Counter()
    for row in csv_rows():
        for section in {sections[c] for c in mapping[row["sector"]]}:
            counts[section] += 1
    return counts


def founded_per_year() -> Counter:
    return Counter(r["founded"] for r in csv_rows() if r["founded"])


def rows_in_region(name: str) -> set[str]:
    return {r["name"] for r in csv_rows() if name in r["region_or_city"].split("/")}


def coordinator_pairs() -> int:
    """Pairs of seed-table rows that share the coordinator column (governments split in two)."""
    groups = Counter(r["coordinator"] for r in csv_rows() if r["coordinator"])
    return sum(len(list(combinations(range(n), 2))) for n in groups.values())


def lac_m49() -> dict[str, str]:
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        import country_converter as coco

        data = coco.CountryConverter().data
    rows = data[
        data.UNregion.isin(["Caribbean", "Central America", "South America"])
        & data.UNmember.notna()
    ]
    return {r.ISO2: f"{int(r.UNcode):03d}" for _, r in rows.iterrows()}


SPEAKERS_FIRST_WORKSHOP = {"Silvia Mejía", "Ana Lilia Barbosa", "Daniel Hernández", "Pablo Díaz"}
SPEAKERS_SECOND_WORKSHOP = {"Manuel Montoya", "Karina Barrera", "Carlos Bertone", "Fabiola Flores"}
INTERCLUSTER_COUNTRIES = {
    "AR",
    "CL",
    "CO",
    "CR",
    "EC",
    "MX",
    "PA",
    "PE",
}  # CAF's post, per data/README
