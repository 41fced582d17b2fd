"""Every row of ``lac-initiatives.csv`` as an initiative citing its row's source.

Mapping (see ``pipelines/lac_initiatives/README.md``): the name without a disambiguating
place in a trailing parenthesis is the label; the type picks the class; ``region_or_city``
gives the municipality and/or subdivisions; the free-text sector maps to ISIC through
``sector-mapping.csv``; the coordinator becomes an organisation with a coordinator membership.
"""

from __future__ import annotations

import csv
import re
from dataclasses import dataclass
from functools import cache

from rdflib import Graph, Literal, URIRef
from rdflib.namespace import DCTERMS, ORG, RDF, RDFS, SKOS, XSD
from slugify import slugify

from iatp_kg.namespaces import IATP, ID
from iatp_kg.pipelines import PipelineOutput, pipeline_dir, sector_mapping, with_provenance
from iatp_kg.pipelines.territories import (
    _decimal,
    country_iri,
    find_municipality,
    find_subdivision,
    fold,
    municipality_iri,
    point_geometry,
    subdivision_iri,
)

KIND = {
    "cluster": (IATP.ClusterInitiative, ID["initiative-kind/cluster"]),
    "local_productive": (IATP.LocalProductiveInitiative, ID["initiative-kind/local-productive"]),
}
COUNTRY_LANG = {"BR": "pt"}
TRAILING = re.compile(r"^(?P<name>.*?)\s*\((?P<inner>[^()]*)\)\s*$")


@dataclass(frozen=True)
class Coordinator:
    """An organisation named in the ``coordinator`` column, and what the column says of it."""

    label: str
    lang: str | None
    role: str  # a code of the role scheme
    sector: str | None = None  # a code of the actor-sector scheme, only where it is definitional
    acronym: str | None = None


# The coordinator column is free text; these readings of it are documented in the README.
COORDINATORS: dict[str, list[Coordinator]] = {
    "Agencia Competitividad Córdoba (co-funds manager)": [
        Coordinator("Agencia Competitividad Córdoba", "es", "funder")
    ],
    "Córdoba Technology Cluster (asociación civil)": [
        Coordinator("Córdoba Technology Cluster", "en", "coordinator")
    ],
    "Governments of Puebla and Tlaxcala + private sector": [
        Coordinator("Government of Puebla", "en", "coordinator", "public"),
        Coordinator("Government of Tlaxcala", "en", "coordinator", "public"),
    ],
    "Governo do Estado de São Paulo (recognition)": [
        Coordinator("Governo do Estado de São Paulo", "pt", "recognising-body", "public")
    ],
    "MPCEIP (Ecuador Compite)": [Coordinator("MPCEIP", "es", "coordinator", "public")],
    "Núcleo de Gestão do Porto Digital (NGPD)": [
        Coordinator("Núcleo de Gestão do Porto Digital", "pt", "coordinator", acronym="NGPD")
    ],
    "Red de Clústers de Nuevo León (network)": [
        Coordinator("Red de Clústers de Nuevo León", "es", "coordinator")
    ],
}


def initiative_iri(name: str) -> URIRef:
    return ID[f"initiative/{slugify(name)}"]


def organization_iri(label: str) -> URIRef:
    return ID[f"organization/{slugify(label)}"]


@cache
def rows() -> list[dict[str, str]]:
    path = pipeline_dir("lac_initiatives") / "lac-initiatives.csv"
    with path.open(encoding="utf-8", newline="") as fh:
        return list(csv.DictReader(fh))


@cache
def _name_languages() -> dict[str, str]:
    path = pipeline_dir("lac_initiatives") / "name-languages.csv"
    with path.open(encoding="utf-8", newline="") as fh:
        return {r["name"]: r["lang"] for r in csv.DictReader(fh)}


def split_name(name: str, region: str) -> tuple[str, str | None]:
    """``(label, acronym)``: a trailing place in parentheses is dropped, an acronym kept.

    >>> split_name("Clúster Turismo (Medellín)", "Medellín/Antioquia")
    ('Clúster Turismo', None)
    >>> split_name("Clúster Sistema Moda (Valle)", "Cali/Valle del Cauca")
    ('Clúster Sistema Moda', None)
    >>> split_name("Clúster Impulso Tecnológico (CIT)", "Villa María/Córdoba")
    ('Clúster Impulso Tecnológico (CIT)', 'CIT')
    """
    m = TRAILING.match(name)
    if not m:
        return name, None
    inner = m["inner"]
    if re.fullmatch(r"[A-Z]{2,}", inner):
        return name, inner
    places = [fold(p) for p in re.split(r"[/;]", region)]
    if any(p.startswith(fold(inner)) for p in places):
        return m["name"], None
    return name, None


def coordinators_of(text: str) -> list[Coordinator]:
    if not text:
        return []
    if text in COORDINATORS:
        return COORDINATORS[text]
    label = text
    acronym = None
    if label.endswith(" A.C."):
        acronym = label.removesuffix(" A.C.")
    return [Coordinator(label, "es", "coordinator", acronym=acronym)]


def _locations(row: dict[str, str]) -> tuple[list[URIRef], dict | None, bool]:
    """``(located-in IRIs, municipality or None, national?)`` from ``region_or_city``."""
    iso2, region = row["country_iso2"], row["region_or_city"].strip()
    if region.startswith("national"):
        return [], None, True
    parts = [p.strip() for p in region.split("/")]
    if len(parts) == 2:
        city, subdivision_names = parts[0], [parts[1]]
    elif ";" in region:
        city, subdivision_names = None, region.split(";")
    else:
        single = parts[0]
        if find_subdivision(iso2, single):
            city, subdivision_names = None, [single]
        else:
            city, subdivision_names = single, []
    located: list[URIRef] = []
    municipality = None
    if city:
        municipality = find_municipality(iso2, city)
        if municipality is None:
            raise ValueError(f"{row['name']}: municipality {city!r} is not in municipalities.csv")
        located.append(municipality_iri(iso2, slugify(municipality["name"])))
    else:
        for name in subdivision_names:
            sub = find_subdivision(iso2, name)
            if sub is None:
                raise ValueError(f"{row['name']}: no ISO 3166-2 subdivision {name!r} in {iso2}")
            located.append(subdivision_iri(sub.code))
    return located, municipality, False


def build() -> Graph:
    g = Graph()
    orgs_seen: set[URIRef] = set()
    for row in rows():
        name, iso2 = row["name"], row["country_iso2"]
        iri = initiative_iri(name)
        cls, kind = KIND[row["type"]]
        label, acronym = split_name(name, row["region_or_city"])
        lang = _name_languages().get(label) or COUNTRY_LANG.get(iso2, "es")
        source = URIRef(row["source_url"])
        g.add((iri, RDF.type, cls))
        g.add((iri, IATP.initiativeKind, kind))
        g.add((iri, RDFS.label, Literal(label, lang=lang)))
        if label != name:
            g.add((iri, SKOS.hiddenLabel, Literal(name, lang=lang)))
        if acronym:
            g.add((iri, SKOS.altLabel, Literal(acronym)))
        if label.endswith(" A.C.") or " A.C. (" in label:
            g.add((iri, IATP.legalForm, ID["legal-form/civil-association"]))
        g.add((iri, IATP.country, country_iri(iso2)))
        located, municipality, national = _locations(row)
        for place in located:
            g.add((iri, IATP.locatedIn, place))
        if national:
            g.add((iri, IATP.scope, IATP.nationalScope))
        if municipality and municipality["geonames"]:
            gn = URIRef(f"https://sws.geonames.org/{municipality['geonames']['geonameid']}/")
            point_geometry(
                g,
                iri,
                _decimal(municipality["geonames"]["latitude"]),
                _decimal(municipality["geonames"]["longitude"]),
                gn,
            )
        sector_text = row["sector"]
        g.add((iri, IATP.sourceSector, sector_mapping.source_sector_iri(sector_text)))
        for code in sector_mapping.isic_codes_for(sector_text):
            g.add((iri, IATP.sector, sector_mapping.isic_iri(code)))
        if row["founded"]:
            g.add((iri, IATP.foundingYear, Literal(row["founded"], datatype=XSD.gYear)))
        g.add((iri, DCTERMS.source, source))
        g.add((source, RDF.type, IATP.Source))
        for coord in coordinators_of(row["coordinator"]):
            org = organization_iri(coord.label)
            if org not in orgs_seen:
                orgs_seen.add(org)
                g.add((org, RDF.type, IATP.Organization))
                g.add((org, RDFS.label, Literal(coord.label, lang=coord.lang)))
                if coord.acronym:
                    g.add((org, SKOS.altLabel, Literal(coord.acronym)))
                if coord.sector:
                    g.add((org, IATP.actorSector, ID[f"actor-sector/{coord.sector}"]))
                if "Cámara de Comercio" in coord.label or coord.label.startswith("Govern"):
                    g.add((org, IATP.country, country_iri(iso2)))
            if "Cámara de Comercio" in coord.label:
                g.add((iri, IATP.legalForm, ID["legal-form/chamber-of-commerce-hosted"]))
            if "asociación civil" in row["coordinator"] or coord.label.endswith(" A.C."):
                g.add((iri, IATP.legalForm, ID["legal-form/civil-association"]))
            membership = ID[f"membership/{slugify(name)}--{slugify(coord.label)}--{coord.role}"]
            g.add((membership, RDF.type, ORG.Membership))
            g.add((membership, ORG.organization, iri))
            g.add((membership, ORG.member, org))
            g.add((membership, ORG.role, ID[f"role/{coord.role}"]))
            g.add((membership, DCTERMS.source, source))
            if coord.role == "coordinator":
                g.add((iri, IATP.coordinator, org))
    return g


def run() -> PipelineOutput:
    return PipelineOutput(public=with_provenance("lac_initiatives", "lac-initiatives", build()))
