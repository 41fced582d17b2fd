"""Synthetic data for benchmarks: a seed and a size give the same N-Quads, byte for byte.

Initiatives of the five kinds, organisations of the four sectors (firms with sizes),
memberships with roles and periods, managers, workshops with speakers, attendance figures and
regional projects, all in the named graph ``.../graph/synthetic``. Territories, ISIC divisions
and SKOS concepts are the real ones of the seed graphs. About 60 triples per initiative.

Lines are written as they are made (``write_nquads``), so memory stays flat whatever the size;
``ingest`` bulk-loads the file through :class:`~iatp_kg.store.Store`. A ``defects`` fraction of
initiative blocks carries one known defect each (``DEFECT_KINDS``), every one causing exactly
one SHACL result, listed in the returned :class:`Summary`.

>>> import io
>>> a, b = io.StringIO(), io.StringIO()
>>> write_nquads(a, size=3, seed=7).triples == write_nquads(b, size=3, seed=7).triples
True
>>> a.getvalue() == b.getvalue()
True
"""

from __future__ import annotations

import os
import random
import tempfile
import time
from dataclasses import dataclass, field
from datetime import date, timedelta
from functools import cache
from pathlib import Path
from typing import TextIO

from rdflib import Literal, URIRef
from rdflib.namespace import DCTERMS, GEO, ORG, PROV, RDF, RDFS, SKOS, TIME, XSD

from iatp_kg.namespaces import GRAPH, IATP, ID, SCHEMA, WGS84
from iatp_kg.pipelines import PipelineOutput, provenance, source_info

__all__ = [
    "DEFECT_KINDS",
    "GRAPH_IRI",
    "Defect",
    "Summary",
    "ingest",
    "run",
    "write_nquads",
]

GRAPH_IRI = str(GRAPH["synthetic"])
_G = f"<{GRAPH_IRI}>"

# ---- what a defect is, and the kinds the generator injects -----------------------------------
SH = "http://www.w3.org/ns/shacl#"


@dataclass(frozen=True)
class Defect:
    """One injected defect: the SHACL result it must cause (path ``None`` for SPARQL ones)."""

    kind: str
    focus: str
    path: str | None
    constraint: str  # the local name of the constraint component


# kind -> (entity it applies to, path, constraint component)
DEFECT_KINDS: dict[str, tuple[str, str | None, str]] = {
    "initiative-without-country": ("initiative", str(IATP.country), "MinCountConstraintComponent"),
    "founding-year-not-a-year": (
        "initiative",
        str(IATP.foundingYear),
        "DatatypeConstraintComponent",
    ),
    "member-firm-count-negative": (
        "initiative",
        str(IATP.memberFirmCount),
        "MinInclusiveConstraintComponent",
    ),
    "website-not-an-iri": ("initiative", str(SCHEMA.url), "NodeKindConstraintComponent"),
    "kind-not-matching-class": ("initiative", None, "SPARQLConstraintComponent"),
    "coordinates-outside-country": ("initiative", None, "SPARQLConstraintComponent"),
    "membership-with-unknown-role": ("membership", str(ORG.role), "NodeConstraintComponent"),
    "membership-period-not-a-date": (
        "membership",
        str(ORG.memberDuring),
        "NodeConstraintComponent",
    ),
    "organization-with-email": ("organization", str(SCHEMA.email), "MaxCountConstraintComponent"),
    "person-with-two-names": ("person", str(RDFS.label), "MaxCountConstraintComponent"),
    "participation-without-person": (
        "participation",
        str(IATP.participant),
        "MinCountConstraintComponent",
    ),
    "workshop-session-number-zero": (
        "workshop",
        str(IATP.sessionNumber),
        "MinInclusiveConstraintComponent",
    ),
    "statement-value-not-integer": ("statement", str(IATP.value), "DatatypeConstraintComponent"),
    "project-without-countries": (
        "project",
        str(IATP.spansCountry),
        "MinCountConstraintComponent",
    ),
}


@dataclass
class Summary:
    """What ``write_nquads`` wrote."""

    triples: int = 0
    initiatives: int = 0
    organizations: int = 0
    memberships: int = 0
    persons: int = 0
    workshops: int = 0
    projects: int = 0
    defects: list[Defect] = field(default_factory=list)
    seconds: float = 0.0

    def defects_by_kind(self) -> dict[str, int]:
        out: dict[str, int] = {}
        for d in self.defects:
            out[d.kind] = out.get(d.kind, 0) + 1
        return out


# ---- the real reference data the synthetic data links to -------------------------------------
@dataclass(frozen=True)
class _Country:
    iri: str
    iso2: str
    bbox: tuple[float, float, float, float] | None  # south, north, west, east
    subdivisions: tuple[tuple[str, str], ...]  # (iri, label)


@dataclass(frozen=True)
class _Reference:
    countries: tuple[_Country, ...]
    weights: tuple[float, ...]
    divisions: tuple[tuple[str, str, str], ...]  # (iri, title es, title en)
    concepts: dict[str, tuple[str, ...]]  # scheme code -> concept IRIs, sorted
    kind_class: dict[str, str]  # initiative-kind concept -> its OWL class


# Where initiatives are: the larger economies weigh more; every other country weighs 1.
_COUNTRY_WEIGHT = {"BR": 20, "MX": 18, "CO": 16, "AR": 10, "CL": 8, "PE": 6, "EC": 4, "UY": 3}
_LANG = {"BR": "pt"} | dict.fromkeys(
    ("AG", "BB", "BS", "BZ", "DM", "GD", "GY", "JM", "KN", "LC", "TT", "VC"), "en"
)


@cache
def _reference() -> _Reference:
    from iatp_kg.pipelines import isic, territories, vocabularies

    terr = territories.build()
    countries = []
    for c in sorted(terr.subjects(RDF.type, IATP.Country), key=str):
        iso2 = str(terr.value(c, IATP.iso3166Alpha2))
        box = terr.value(c, GEO.hasBoundingBox)
        bbox = None
        if box is not None:
            bbox = tuple(
                float(terr.value(box, p))
                for p in (IATP.minLatitude, IATP.maxLatitude, IATP.minLongitude, IATP.maxLongitude)
            )
        subs = sorted(
            (str(s), str(terr.value(s, RDFS.label)))
            for s in terr.subjects(GEO.sfWithin, c)
            if (s, RDF.type, IATP.Subdivision) in terr
        )
        countries.append(_Country(str(c), iso2, bbox, tuple(subs)))
    weights = tuple(float(_COUNTRY_WEIGHT.get(c.iso2, 1)) for c in countries)

    ig = isic.build()
    divisions = []
    for concept in ig.subjects(SKOS.broader, None):
        labels = {lab.language: str(lab) for lab in ig.objects(concept, SKOS.prefLabel)}
        divisions.append((str(concept), labels.get("es", ""), labels.get("en", "")))
    divisions.sort()

    vg = vocabularies.build_vocabularies()
    concepts: dict[str, list[str]] = {}
    for concept, scheme in vg.subject_objects(SKOS.inScheme):
        code = str(scheme).rsplit("/", 1)[-1]
        concepts.setdefault(code, []).append(str(concept))
    kind_class = {str(k): str(c) for k, c in vg.subject_objects(IATP.correspondingClass)}
    return _Reference(
        tuple(countries),
        weights,
        tuple(divisions),
        {k: tuple(sorted(v)) for k, v in concepts.items()},
        kind_class,
    )


# ---- N-Quads terms -------------------------------------------------------------------------
_ESCAPES = str.maketrans({"\\": "\\\\", '"': '\\"', "\n": "\\n", "\r": "\\r"})
_XSD = str(XSD)


def _iri(value: str) -> str:
    return f"<{value}>"


def _lit(text: str, lang: str | None = None, datatype: str | None = None) -> str:
    body = '"' + str(text).translate(_ESCAPES) + '"'
    if lang:
        return f"{body}@{lang}"
    if datatype:
        return f"{body}^^<{datatype}>"
    return body


def _typed(value: object, xsd_name: str) -> str:
    return _lit(str(value), datatype=_XSD + xsd_name)


_T = {
    name: _iri(str(term))
    for name, term in {
        "type": RDF.type,
        "label": RDFS.label,
        "altLabel": SKOS.altLabel,
        "kind": IATP.initiativeKind,
        "country": IATP.country,
        "locatedIn": IATP.locatedIn,
        "hasGeometry": GEO.hasGeometry,
        "Geometry": GEO.Geometry,
        "asWKT": GEO.asWKT,
        "lat": WGS84.lat,
        "long": WGS84.long,
        "sector": IATP.sector,
        "status": IATP.status,
        "maturity": IATP.maturityLevel,
        "governance": IATP.governanceModel,
        "legalForm": IATP.legalForm,
        "lineOfAction": IATP.lineOfAction,
        "challenge": IATP.addressesChallenge,
        "foundingYear": IATP.foundingYear,
        "memberFirmCount": IATP.memberFirmCount,
        "url": SCHEMA.url,
        "email": SCHEMA.email,
        "description": DCTERMS.description,
        "source": DCTERMS.source,
        "title": DCTERMS.title,
        "coordinator": IATP.coordinator,
        "Source": IATP.Source,
        "Organization": IATP.Organization,
        "Firm": IATP.Firm,
        "Person": IATP.Person,
        "actorSector": IATP.actorSector,
        "firmSize": IATP.firmSize,
        "Membership": ORG.Membership,
        "organization": ORG.organization,
        "member": ORG.member,
        "role": ORG.role,
        "memberDuring": ORG.memberDuring,
        "Interval": TIME.Interval,
        "Instant": TIME.Instant,
        "hasBeginning": TIME.hasBeginning,
        "hasEnd": TIME.hasEnd,
        "inXSDDate": TIME.inXSDDate,
        "EventSeries": IATP.EventSeries,
        "Workshop": IATP.Workshop,
        "partOfSeries": IATP.partOfSeries,
        "sessionNumber": IATP.sessionNumber,
        "startDate": SCHEMA.startDate,
        "eventStatus": SCHEMA.eventStatus,
        "EventCompleted": URIRef("https://schema.org/EventCompleted"),
        "EventScheduled": URIRef("https://schema.org/EventScheduled"),
        "guidingQuestion": IATP.guidingQuestion,
        "organiser": IATP.organiser,
        "Participation": IATP.Participation,
        "event": IATP.event,
        "participant": IATP.participant,
        "participationRole": IATP.participationRole,
        "affiliation": IATP.affiliation,
        "jobTitle": SCHEMA.jobTitle,
        "Statement": IATP.Statement,
        "about": IATP.about,
        "measure": IATP.measure,
        "value": IATP.value,
        "qualifier": IATP.qualifier,
        "date": DCTERMS.date,
        "Project": IATP.RegionalIntegrationProject,
        "spansCountry": IATP.spansCountry,
        "involvesInitiative": IATP.involvesInitiative,
        "promotedBy": IATP.promotedBy,
    }.items()
}

# ---- words ---------------------------------------------------------------------------------
_KIND_WEIGHTS = {
    "cluster": 45,
    "local-productive": 20,
    "production-chain": 15,
    "business-network": 12,
    "supplier-development": 8,
}
_KIND_NAME = {
    "cluster": {"es": "Clúster", "pt": "Cluster", "en": "Cluster"},
    "local-productive": {"es": "Arreglo Productivo Local", "pt": "APL", "en": "Local Cluster"},
    "production-chain": {"es": "Cadena Productiva", "pt": "Cadeia Produtiva", "en": "Value Chain"},
    "business-network": {"es": "Red Empresarial", "pt": "Rede Empresarial", "en": "Network"},
    "supplier-development": {
        "es": "Programa de Proveedores",
        "pt": "Programa de Fornecedores",
        "en": "Supplier Programme",
    },
}
_PRODUCTS = {
    "es": (
        "del Café", "Lácteo", "Automotriz", "de Software", "del Cacao", "Textil", "de Turismo",
        "Aeroespacial", "de Energía", "Agroindustrial", "del Cuero", "Metalmecánico", "Minero",
        "de Salud", "Logístico", "de la Madera", "Acuícola", "de Alimentos", "Creativo", "Químico",
    ),
    "pt": (
        "do Café", "Lácteo", "Automotivo", "de Software", "do Cacau", "Têxtil", "de Turismo",
        "Aeroespacial", "de Energia", "Agroindustrial", "do Couro", "Metalmecânico", "Mineral",
        "de Saúde", "Logístico", "da Madeira", "Aquícola", "de Alimentos", "Criativo", "Químico",
    ),
    "en": (
        "Coffee", "Dairy", "Automotive", "Software", "Cocoa", "Textile", "Tourism", "Aerospace",
        "Energy", "Agribusiness", "Leather", "Metalworking", "Mining", "Health", "Logistics",
        "Timber", "Aquaculture", "Food", "Creative", "Chemicals",
    ),
}  # fmt: skip
_SURNAMES = (
    "García", "Rodríguez", "Martínez", "Hernández", "López", "González", "Pérez", "Sánchez",
    "Ramírez", "Torres", "Flores", "Rivera", "Gómez", "Díaz", "Silva", "Souza", "Costa",
    "Oliveira", "Morales", "Ortiz", "Castro", "Vargas", "Rojas", "Mendoza", "Herrera", "Medina",
)  # fmt: skip
_GIVEN = (
    "Ana", "Carlos", "María", "José", "Lucía", "Jorge", "Camila", "Andrés", "Valentina", "Pedro",
    "Fernanda", "Diego", "Paula", "Ricardo", "Sofía", "Mateus", "Juliana", "Tomás", "Isabel", "Raúl",
)  # fmt: skip
_ORG_FORMS = {
    "private": ("S.A.", "S.A.S.", "Ltda.", "S.A. de C.V.", "Cía."),
    "public": ("Secretaría de Desarrollo Económico", "Agencia de Fomento", "Ministerio de Producción"),
    "academic": ("Universidad", "Instituto Tecnológico", "Centro de Investigación"),
    "civil-society": ("Fundación", "Asociación", "Cámara de Comercio"),
}  # fmt: skip
_SECTOR_WEIGHTS = {"private": 55, "public": 20, "academic": 15, "civil-society": 10}
_QUESTIONS = (
    "How can a cluster initiative engage more companies?",
    "What makes a cluster initiative's governance last?",
    "How do cluster initiatives measure their results?",
    "How can initiatives from different countries work together?",
    "What role should universities play in a cluster initiative?",
)
_JOBS = ("director", "manager", "coordinator", "researcher", "president", "consultant")
_MEMBER_ROLES = ("member", "member", "member", "funder", "technical-partner", "host")
_PARTICIPATION_ROLES = ("speaker", "speaker", "speaker", "moderator", "lecturer")
_START = date(2000, 1, 1)

WORKSHOP_EVERY = 20  # one workshop per this many initiatives
PROJECT_EVERY = 100  # one regional project per this many initiatives
SOURCE_EVERY = 10  # one source per this many initiatives
SERIES_SIZE = 12  # workshops per event series


# ---- the generator -------------------------------------------------------------------------
class _Writer:
    """Buffers N-Quads lines of the synthetic graph and counts them."""

    def __init__(self, out: TextIO) -> None:
        self.out = out
        self.lines: list[str] = []
        self.count = 0

    def __call__(self, s: str, p: str, o: str) -> None:
        self.lines.append(f"{s} {p} {o} {_G} .\n")
        if len(self.lines) >= 20_000:
            self.flush()

    def flush(self) -> None:
        self.count += len(self.lines)
        self.out.write("".join(self.lines))
        self.lines.clear()


def _id(kind: str, key: str) -> str:
    return f"<{ID}{kind}/synthetic-{key}>"


def _round(x: float) -> str:
    return f"{x:.5f}"


class _Generator:
    def __init__(self, out: TextIO, size: int, seed: int, defects: float) -> None:
        self.w = _Writer(out)
        self.ref = _reference()
        self.size = size
        self.rng = random.Random(seed)
        self.defect_rng = random.Random(f"{seed}-defects")
        self.defect_rate = defects
        self.defect_order = {k: n for n, k in enumerate(DEFECT_KINDS)}
        self.summary = Summary()
        self.c = self.ref.concepts
        self.kinds = sorted(_KIND_WEIGHTS)
        self.kind_weights = [_KIND_WEIGHTS[k] for k in self.kinds]
        self.sectors = sorted(_SECTOR_WEIGHTS)
        self.sector_weights = [_SECTOR_WEIGHTS[s] for s in self.sectors]

    # -- choosing --------------------------------------------------------------------------
    def _concept(self, scheme: str, code: str) -> str:
        return _iri(f"{ID}{scheme}/{code}")

    def _pick(self, scheme: str) -> str:
        return _iri(self.rng.choice(self.c[scheme]))

    def _sample(self, scheme: str, lo: int, hi: int) -> list[str]:
        pool = self.c[scheme]
        return [_iri(v) for v in self.rng.sample(pool, self.rng.randint(lo, hi))]

    def _date(self, lo_year: int, hi_year: int) -> date:
        start = date(lo_year, 1, 1)
        return start + timedelta(days=self.rng.randrange((date(hi_year, 12, 31) - start).days))

    def _defect_for(self, entities: list[tuple[str, str]]) -> tuple[str, str] | None:
        """Whether this block carries a defect: ``(kind, focus)`` for one of its entities."""
        if self.defect_rate <= 0 or self.defect_rng.random() >= self.defect_rate:
            return None
        present = {category: focus for category, focus in entities}
        applicable = [k for k, (category, _, _) in DEFECT_KINDS.items() if category in present]
        # the kind injected least so far, so that every kind appears as soon as it can
        counts = self.summary.defects_by_kind()
        kind = min(applicable, key=lambda k: (counts.get(k, 0), self.defect_order[k]))
        category, path, constraint = DEFECT_KINDS[kind]
        focus = present[category]
        self.summary.defects.append(Defect(kind, focus[1:-1], path, constraint))
        return kind, focus

    # -- entities --------------------------------------------------------------------------
    def source(self, n: int) -> None:
        w, s = self.w, _id("source", str(n))
        w(s, _T["type"], _T["Source"])
        w(s, _T["title"], _lit(f"Registro sintético de iniciativas, lote {n}", "es"))

    def organization(self, n: int, country: _Country, defect: str | None) -> str:
        w, rng = self.w, self.rng
        org = _id("organization", str(n))
        sector = rng.choices(self.sectors, self.sector_weights)[0]
        form = rng.choice(_ORG_FORMS[sector])
        surname = rng.choice(_SURNAMES)
        if sector == "private":
            label = f"{surname} {rng.choice(_PRODUCTS['es'])} {form}".replace(" del ", " ")
            w(org, _T["type"], _T["Firm"])
            w(org, _T["firmSize"], self._pick("firm-size"))
        else:
            sub = rng.choice(country.subdivisions)[1] if country.subdivisions else country.iso2
            label = f"{form} {surname} de {sub}" if sector == "civil-society" else f"{form} {sub}"
            w(org, _T["type"], _T["Organization"])
        w(org, _T["label"], _lit(f"{label} ({n})", _LANG.get(country.iso2, "es")))
        w(org, _T["actorSector"], self._concept("actor-sector", sector))
        w(org, _T["country"], _iri(country.iri))
        if rng.random() < 0.5:
            w(org, _T["url"], _iri(f"https://org-{n}.example.org/"))
        w(org, _T["source"], _id("source", str(n // SOURCE_EVERY // 2)))
        if defect == "organization-with-email":
            w(org, _T["email"], _lit(f"contacto@org-{n}.example.org"))
        self.summary.organizations += 1
        return org

    def person(self, n: int, defect: str | None, source: str) -> str:
        w, rng = self.w, self.rng
        p = _id("person", str(n))
        w(p, _T["type"], _T["Person"])
        name = f"{rng.choice(_GIVEN)} {rng.choice(_SURNAMES)} {rng.choice(_SURNAMES)}"
        other = rng.choice(_SURNAMES)  # drawn always: a defect never shifts the random stream
        w(p, _T["label"], _lit(name))
        if defect == "person-with-two-names":
            w(p, _T["label"], _lit(f"{name.split(' ', 1)[0]} {other}"))
        w(p, _T["source"], source)
        self.summary.persons += 1
        return p

    def membership(
        self, key: str, initiative: str, member: str, role: str, source: str, defect: str | None
    ) -> str:
        w, rng = self.w, self.rng
        m = _id("membership", key)
        w(m, _T["type"], _T["Membership"])
        w(m, _T["organization"], initiative)
        w(m, _T["member"], member)
        if defect == "membership-with-unknown-role":
            w(m, _T["role"], _iri(f"{ID}role/synthetic-unknown"))
        else:
            w(m, _T["role"], self._concept("role", role))
        w(m, _T["source"], source)
        # every number is drawn whether used or not, so a defect changes only its own node
        has_period, began = rng.random() < 0.6, self._date(2005, 2023)
        has_end, days = rng.random() < 0.3, rng.randrange(90, 3000)
        if has_period or defect == "membership-period-not-a-date":
            period, start = m[:-1] + "#period>", m[:-1] + "#start>"
            w(m, _T["memberDuring"], period)
            w(period, _T["type"], _T["Interval"])
            w(period, _T["hasBeginning"], start)
            w(start, _T["type"], _T["Instant"])
            if defect == "membership-period-not-a-date":
                w(start, _T["inXSDDate"], _lit(began.isoformat()))
            else:
                w(start, _T["inXSDDate"], _typed(began.isoformat(), "date"))
            if has_end:
                end = m[:-1] + "#end>"
                w(period, _T["hasEnd"], end)
                w(end, _T["type"], _T["Instant"])
                ended = began + timedelta(days=days)
                w(end, _T["inXSDDate"], _typed(ended.isoformat(), "date"))
        self.summary.memberships += 1
        return m

    def initiative(self, i: int, country: _Country, source: str, defect: str | None) -> str:
        w, rng, ref = self.w, self.rng, self.ref
        it = _id("initiative", str(i))
        kind = rng.choices(self.kinds, self.kind_weights)[0]
        kind_iri = f"{ID}initiative-kind/{kind}"
        cls = ref.kind_class[kind_iri]
        if defect == "kind-not-matching-class":
            cls = ref.kind_class[
                f"{ID}initiative-kind/{'cluster' if kind != 'cluster' else 'business-network'}"
            ]
        lang = _LANG.get(country.iso2, "es")
        sub = rng.choice(country.subdivisions) if country.subdivisions else None
        product = rng.randrange(len(_PRODUCTS["es"]))
        place = sub[1] if sub else country.iso2
        name = f"{_KIND_NAME[kind][lang]} {_PRODUCTS[lang][product]}"
        name = f"{name} de {place}" if lang != "en" else f"{place} {name}"
        w(it, _T["type"], _iri(cls))
        w(it, _T["kind"], _iri(kind_iri))
        w(it, _T["label"], _lit(name, lang))
        if rng.random() < 0.5:
            acronym = "".join(word[0] for word in name.split() if word[0].isupper())
            w(it, _T["altLabel"], _lit(f"{acronym}{i}"))
        if defect != "initiative-without-country":
            w(it, _T["country"], _iri(country.iri))
        if sub:
            w(it, _T["locatedIn"], _iri(sub[0]))
        has_point = rng.random() < 0.7
        if country.bbox:
            s, n, west, east = country.bbox
            lat = rng.uniform(s + 1, n - 1) if n - s > 2 else (s + n) / 2
            lon = rng.uniform(west + 1, east - 1) if east - west > 2 else (west + east) / 2
        if country.bbox and (has_point or defect == "coordinates-outside-country"):
            if defect == "coordinates-outside-country":
                lat = min(n + 5.0, 89.0)
            geom = it[:-1] + "#geometry>"
            w(it, _T["hasGeometry"], geom)
            w(geom, _T["type"], _T["Geometry"])
            w(
                geom,
                _T["asWKT"],
                _lit(f"POINT({_round(lon)} {_round(lat)})", datatype=str(GEO.wktLiteral)),
            )
            w(geom, _T["lat"], _typed(_round(lat), "decimal"))
            w(geom, _T["long"], _typed(_round(lon), "decimal"))
            w(geom, _T["source"], source)
        divisions = rng.sample(ref.divisions, rng.randint(1, 2))
        for division in divisions:
            w(it, _T["sector"], _iri(division[0]))
        w(it, _T["status"], self._pick("status"))
        w(it, _T["maturity"], self._pick("maturity"))
        if rng.random() < 0.6:
            w(it, _T["governance"], self._pick("governance-model"))
        if rng.random() < 0.7:
            w(it, _T["legalForm"], self._pick("legal-form"))
        for line in self._sample("line-of-action", 1, 3):
            w(it, _T["lineOfAction"], line)
        for challenge in self._sample("challenge", 0, 2):
            w(it, _T["challenge"], challenge)
        year = rng.randint(1990, 2024)
        if rng.random() < 0.8 or defect == "founding-year-not-a-year":
            if defect == "founding-year-not-a-year":
                w(it, _T["foundingYear"], _lit(str(year)))  # a string, not an xsd:gYear
            else:
                w(it, _T["foundingYear"], _typed(year, "gYear"))
        firms = rng.randint(5, 400)
        if rng.random() < 0.8 or defect == "member-firm-count-negative":
            value = -firms if defect == "member-firm-count-negative" else firms
            w(it, _T["memberFirmCount"], _typed(value, "integer"))
        has_url = rng.random() < 0.6
        if defect == "website-not-an-iri":
            w(it, _T["url"], _lit(f"www.iniciativa-{i}.example.org"))
        elif has_url:
            w(it, _T["url"], _iri(f"https://iniciativa-{i}.example.org/"))
        title_es, title_en = divisions[0][1], divisions[0][2]
        w(
            it,
            _T["description"],
            _lit(f"Articula {firms} empresas de «{title_es}» en {place}.", "es"),
        )
        w(
            it,
            _T["description"],
            _lit(f'Brings together {firms} firms in "{title_en}" in {place}.', "en"),
        )
        w(it, _T["source"], source)
        self.summary.initiatives += 1
        return it

    def workshop(self, k: int, i: int, source: str, defects: dict[str, str]) -> None:
        w, rng = self.w, self.rng
        series_n, session = divmod(k, SERIES_SIZE)
        series = _id("event-series", str(series_n))
        if session == 0:
            w(series, _T["type"], _T["EventSeries"])
            w(series, _T["label"], _lit(f"Comunidad de práctica sintética {series_n}", "es"))
            w(series, _T["label"], _lit(f"Synthetic community of practice {series_n}", "en"))
            w(series, _T["source"], source)
        ev = _id("community-event", str(k))
        day = _START + timedelta(days=7 * k)
        w(ev, _T["type"], _T["Workshop"])
        w(
            ev,
            _T["label"],
            _lit(f"Comunidad de práctica sintética {series_n}, taller {session + 1}", "es"),
        )
        w(
            ev,
            _T["label"],
            _lit(f"Synthetic community of practice {series_n}, workshop {session + 1}", "en"),
        )
        w(ev, _T["partOfSeries"], series)
        number = 0 if defects.get("workshop") == "workshop-session-number-zero" else session + 1
        w(ev, _T["sessionNumber"], _typed(number, "integer"))
        w(ev, _T["startDate"], _typed(day.isoformat(), "date"))
        done = day < date(2025, 6, 1)
        w(
            ev,
            "<https://schema.org/eventStatus>",
            _T["EventCompleted" if done else "EventScheduled"],
        )
        w(ev, _T["guidingQuestion"], _lit(rng.choice(_QUESTIONS), "en"))
        w(ev, _T["organiser"], _id("organization", str(rng.randrange(self.summary.organizations))))
        w(ev, _T["source"], source)
        st = _id("statement", f"workshop-{k}-attendees")
        w(st, _T["type"], _T["Statement"])
        w(st, _T["about"], ev)
        w(st, _T["measure"], self._concept("measure", "attendees"))
        attendees = rng.randint(20, 300)
        if defects.get("statement") == "statement-value-not-integer":
            w(st, _T["value"], _lit(f"about {attendees}"))
        else:
            w(st, _T["value"], _typed(attendees, "integer"))
        w(st, _T["qualifier"], self._pick("qualifier"))
        w(st, _T["date"], _typed(day.isoformat(), "date"))
        w(st, _T["source"], source)
        for j in range(rng.randint(3, 5)):
            pn = self.summary.persons
            first = j == 0
            person = self.person(pn, defects.get("person") if first else None, source)
            part = _id("participation", f"{k}-{j}")
            w(part, _T["type"], _T["Participation"])
            w(part, _T["event"], ev)
            if not (first and defects.get("participation") == "participation-without-person"):
                w(part, _T["participant"], person)
            w(
                part,
                _T["participationRole"],
                self._concept("participation-role", rng.choice(_PARTICIPATION_ROLES)),
            )
            if rng.random() < 0.5:
                w(
                    part,
                    _T["affiliation"],
                    _id("organization", str(rng.randrange(self.summary.organizations))),
                )
            else:
                w(part, _T["affiliation"], _id("initiative", str(rng.randrange(i + 1))))
            w(part, _T["jobTitle"], _lit(rng.choice(_JOBS), "en"))
            w(part, _T["source"], source)
        self.summary.workshops += 1

    def project(self, r: int, i: int, source: str, defect: str | None) -> None:
        w, rng = self.w, self.rng
        pr = _id("project", str(r))
        w(pr, _T["type"], _T["Project"])
        product = rng.randrange(len(_PRODUCTS["es"]))
        w(pr, _T["label"], _lit(f"Programa regional {_PRODUCTS['es'][product]} {r}", "es"))
        w(pr, _T["label"], _lit(f"Regional {_PRODUCTS['en'][product]} programme {r}", "en"))
        spans = rng.sample(self.ref.countries, rng.randint(2, 5))
        if defect != "project-without-countries":
            for country in spans:
                w(pr, _T["spansCountry"], _iri(country.iri))
        for other in sorted(rng.sample(range(i + 1), min(i + 1, rng.randint(3, 8)))):
            w(pr, _T["involvesInitiative"], _id("initiative", str(other)))
        w(pr, _T["promotedBy"], _id("organization", str(rng.randrange(self.summary.organizations))))
        w(pr, _T["source"], source)
        self.summary.projects += 1

    # -- one block per initiative ------------------------------------------------------------
    def block(self, i: int) -> None:
        rng = self.rng
        country = rng.choices(self.ref.countries, self.ref.weights)[0]
        source = _id("source", str(i // SOURCE_EVERY))
        if i % SOURCE_EVERY == 0:
            self.source(i // SOURCE_EVERY)
        new_orgs = rng.randint(1, 2)
        n_members = rng.randint(1, 3)
        manager = rng.random() < 0.3
        workshop = i % WORKSHOP_EVERY == WORKSHOP_EVERY - 1
        project = i % PROJECT_EVERY == PROJECT_EVERY - 1
        first_org = self.summary.organizations
        it = _id("initiative", str(i))
        entities = [("initiative", it), ("organization", _id("organization", str(first_org)))]
        entities.append(("membership", _id("membership", f"{i}-1")))
        if workshop:
            k = self.summary.workshops
            entities += [
                ("workshop", _id("community-event", str(k))),
                ("statement", _id("statement", f"workshop-{k}-attendees")),
                ("person", _id("person", str(self.summary.persons + (1 if manager else 0)))),
                ("participation", _id("participation", f"{k}-0")),
            ]
        if project:
            entities.append(("project", _id("project", str(self.summary.projects))))
        chosen = self._defect_for(entities)
        defect = dict.fromkeys([DEFECT_KINDS[chosen[0]][0]], chosen[0]) if chosen else {}

        orgs = [
            self.organization(
                first_org + n, country, defect.get("organization") if n == 0 else None
            )
            for n in range(new_orgs)
        ]
        self.initiative(i, country, source, defect.get("initiative"))
        self.w(it, _T["coordinator"], orgs[0])
        self.membership(f"{i}-0", it, orgs[0], "coordinator", source, None)
        for n in range(n_members):
            if n < len(orgs) - 1:
                member = orgs[n + 1]
            else:
                member = _id("organization", str(rng.randrange(self.summary.organizations)))
            self.membership(
                f"{i}-{n + 1}", it, member, rng.choice(_MEMBER_ROLES), source,
                defect.get("membership") if n == 0 else None,
            )  # fmt: skip
        if manager:
            person = self.person(self.summary.persons, None, source)
            self.membership(f"{i}-manager", it, person, "manager", source, None)
        if workshop:
            self.workshop(self.summary.workshops, i, source, defect)
        if project:
            self.project(self.summary.projects, i, source, defect.get("project"))

    def provenance(self, size: int, seed: int, defects: float) -> None:
        info = source_info("synthetic")
        g = provenance(
            URIRef(GRAPH_IRI),
            pipeline="synthetic",
            title_es=info["title_es"],
            title_en=info["title_en"],
            sources=info.get("sources", []),
            retrieved=None,
            version=str(info["version"]),
        )
        activity = URIRef(GRAPH_IRI + "#activity")
        g.remove((activity, PROV.endedAtTime, None))
        g.add((activity, PROV.endedAtTime, Literal(info["generated"], datatype=XSD.dateTime)))
        g.add(
            (
                URIRef(GRAPH_IRI),
                DCTERMS.description,
                Literal(
                    f"Datos sintéticos: semilla {seed}, {size} iniciativas, defectos {defects}.",
                    lang="es",
                ),
            )
        )
        g.add(
            (
                URIRef(GRAPH_IRI),
                DCTERMS.description,
                Literal(
                    f"Synthetic data: seed {seed}, {size} initiatives, defects {defects}.",
                    lang="en",
                ),
            )
        )
        for line in sorted(_nquad(t) for t in g):
            self.w.lines.append(line)


def _nquad(triple) -> str:
    return " ".join(t.n3() for t in triple) + f" {_G} .\n"


def write_nquads(out: TextIO, *, size: int, seed: int = 0, defects: float = 0.0) -> Summary:
    """Write the synthetic graph as N-Quads into ``out``; the same arguments, the same bytes."""
    if size < 1:
        raise ValueError("size must be at least 1 initiative")
    if not 0 <= defects <= 1:
        raise ValueError("defects is a fraction between 0 and 1")
    started = time.monotonic()
    gen = _Generator(out, size, seed, defects)
    gen.provenance(size, seed, defects)
    for i in range(size):
        gen.block(i)
    gen.w.flush()
    gen.summary.triples = gen.w.count
    gen.summary.seconds = time.monotonic() - started
    return gen.summary


def write_file(path: str | os.PathLike[str], **kwargs) -> Summary:
    """``write_nquads`` into a file (UTF-8)."""
    with open(path, "w", encoding="utf-8", newline="\n") as fh:
        return write_nquads(fh, **kwargs)


def run(size: int = 100, seed: int = 0, defects: float = 0.0) -> PipelineOutput:
    """A small synthetic graph as an rdflib graph (``iatp-kg ingest synthetic`` streams instead)."""
    import io

    import pyoxigraph as ox

    from iatp_kg.validation import quads_to_graph

    buf = io.StringIO()
    write_nquads(buf, size=size, seed=seed, defects=defects)
    graph = quads_to_graph(ox.parse(buf.getvalue().encode(), ox.RdfFormat.N_QUADS))
    return PipelineOutput(public={GRAPH_IRI: graph})


def ingest(
    store,
    *,
    size: int,
    seed: int = 0,
    defects: float = 0.0,
    validate: bool = True,
    workdir: str | os.PathLike[str] | None = None,
):
    """Generate the synthetic graph into a file and bulk-load it, replacing the graph.

    With ``validate``, the file is first bulk-loaded into a scratch on-disk store beside the
    store's other public graphs and checked there by the SPARQL validator: if it does not
    conform, :class:`~iatp_kg.errors.NotConforming` is raised and the store is untouched.
    The bulk load itself is not one transaction (Oxigraph's bulk loader): an interrupted
    load leaves part of the graph; run the command again.
    """
    from iatp_kg.errors import NotConforming
    from iatp_kg.loading import LoadResult
    from iatp_kg.store import NamedNode, RdfFormat, Store

    started = time.monotonic()
    graph = NamedNode(GRAPH_IRI)
    with tempfile.TemporaryDirectory(prefix="iatp-synthetic-", dir=workdir) as tmp:
        path = Path(tmp) / "synthetic.nq"
        summary = write_file(path, size=size, seed=seed, defects=defects)
        report = None
        if validate:
            from iatp_kg.validation_sparql import validate_store_sparql

            scratch = Store.open(Path(tmp) / "scratch")
            others = Path(tmp) / "others.nq"
            with others.open("wb") as fh:
                store.dump(
                    fh, RdfFormat.N_QUADS, graphs=[g for g in store.public_graphs() if g != graph]
                )
            scratch.bulk_load(others, RdfFormat.N_QUADS, None)
            scratch.bulk_load(path, RdfFormat.N_QUADS, None)
            report = validate_store_sparql(scratch, focus_graph=graph)
            del scratch
            if not report.conforms:
                raise NotConforming(
                    f"the synthetic data does not conform to the shapes "
                    f"({len(report.violations)} violations)",
                    detail=report,
                )
        store.drop_graphs([graph])
        store.bulk_load(path, RdfFormat.N_QUADS, None)
        store.flush()
    return LoadResult({GRAPH_IRI: summary.triples}, time.monotonic() - started, report), summary
