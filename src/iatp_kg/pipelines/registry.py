"""Import a registry CSV shaped like the platform's registration form (one row per initiative).

Every row is checked before anything is produced; a file with one bad row yields an error that
lists every bad row with its number (the header is row 1, as a spreadsheet counts) and reason,
and no output. Contacts go only to a private graph.
"""

from __future__ import annotations

import csv
import io
import re
from datetime import date
from decimal import Decimal, InvalidOperation
from pathlib import Path
from typing import NamedTuple

import pycountry
from rdflib import Graph, Literal, URIRef
from rdflib.namespace import DCTERMS, ORG, RDF, RDFS, XSD
from slugify import slugify

from iatp_kg.errors import BadRequest
from iatp_kg.namespaces import GRAPH, IATP, ID, PRIVATE_GRAPH_PREFIX, SCHEMA
from iatp_kg.pipelines import PipelineOutput, provenance
from iatp_kg.pipelines.lac_initiatives import organization_iri
from iatp_kg.pipelines.sector_mapping import isic_iri
from iatp_kg.pipelines.territories import (
    country_iri,
    lac_countries,
    municipality_iri,
    point_geometry,
    subdivision_iri,
)

COLUMNS = [
    "name", "kind", "country", "subdivision", "city", "latitude", "longitude", "sectors",
    "description", "description_lang", "founded", "website", "coordinator",
    "coordinator_sector", "members", "status", "maturity", "lines_of_action",
    "governance_model", "legal_form", "member_firm_count", "contact_name", "contact_email",
    "contact_phone",
]  # fmt: skip
REQUIRED = ["name", "kind", "country"]
KINDS = {
    "cluster": IATP.ClusterInitiative,
    "production-chain": IATP.ProductionChainInitiative,
    "local-productive": IATP.LocalProductiveInitiative,
    "business-network": IATP.BusinessNetworkInitiative,
    "supplier-development": IATP.SupplierDevelopmentInitiative,
}
CODES = {
    "actor-sector": {"public", "private", "academic", "civil-society"},
    "firm-size": {"large", "medium", "small"},
    "status": {"active", "inactive", "in-formation"},
    "maturity": {"emerging", "developing", "consolidated"},
    "governance-model": {"institution-first", "strategy-first", "chamber-hosted", "public-programme"},
    "legal-form": {"civil-association", "chamber-of-commerce-hosted", "public-body", "non-profit", "company"},
    "line-of-action": {"visibility", "knowledge", "training", "technical-support", "match-making", "regional-integration"},
}  # fmt: skip
LANGS = {"es", "en", "pt"}
EMAIL = re.compile(r"^[^@\s]+@[^@\s]+\.[^@\s]+$")
# No space, nor a character an IRI may not hold (RFC 3987): <>"{}|\^`
URL = re.compile(r'^https?://[^\s/$.?#<>"{}|\\^`][^\s<>"{}|\\^`]*$', re.IGNORECASE)


class RowErrors(BadRequest):
    """One or more rows of a registry file are bad; ``detail`` lists ``(row, reason)``."""

    code = "registry_rows_invalid"

    def __init__(self, source: str, problems: list[tuple[int, str]]) -> None:
        lines = "\n".join(f"  {source}: row {row}: {reason}" for row, reason in problems)
        super().__init__(
            f"{source}: {len(problems)} bad row(s); nothing was imported:\n{lines}",
            detail=problems,
        )
        self.problems = problems


def _isic_codes() -> set[str]:
    from iatp_kg.pipelines.isic import sections_and_divisions

    return {code for code, _, _ in sections_and_divisions()}


def _split(value: str) -> list[str]:
    return [v.strip() for v in value.split(";") if v.strip()]


class Problem(NamedTuple):
    """One problem of a row: the column it is about, and the sentence in English and Spanish."""

    field: str
    en: str
    es: str

    def message(self, lang: str = "en") -> str:
        return self.es if lang == "es" else self.en


def check_row(row: dict[str, str], isic: set[str], lac: set[str]) -> list[str]:
    """Every problem of one row, as plain sentences (empty when the row is good)."""
    return [p.en for p in row_problems(row, isic, lac)]


def row_problems(row: dict[str, str], isic: set[str], lac: set[str]) -> list[Problem]:
    """Every problem of one row, each naming its column, in English and Spanish.

    The registry import and the registration API (:mod:`iatp_kg.registration`) both use it.

    >>> [p.field for p in row_problems({"name": "X", "kind": "cartel", "country": "ES"},
    ...                                 isic=set(), lac={"CO"})]
    ['kind', 'country']
    """
    problems: list[Problem] = []

    def add(field: str, en: str, es: str) -> None:
        problems.append(Problem(field, en, es))

    for col in REQUIRED:
        if not row.get(col, "").strip():
            add(col, f"'{col}' is required", f"'{col}' es obligatorio")
    kind = row.get("kind", "").strip()
    if kind and kind not in KINDS:
        add(
            "kind",
            f"unknown kind {kind!r} (use one of {', '.join(KINDS)})",
            f"tipo desconocido {kind!r} (use uno de {', '.join(KINDS)})",
        )
    country = row.get("country", "").strip().upper()
    if country and country not in lac:
        add(
            "country",
            f"unknown country {country!r} (an ISO 3166-1 alpha-2 code of a LAC country)",
            f"país desconocido {country!r} (un código ISO 3166-1 alfa-2 de un país de "
            "América Latina y el Caribe)",
        )
    sub = row.get("subdivision", "").strip().upper()
    if sub:
        found = pycountry.subdivisions.get(code=sub)
        if found is None or found.country_code != country or found.parent_code is not None:
            add(
                "subdivision",
                f"unknown subdivision {sub!r} for country {country!r} (ISO 3166-2)",
                f"subdivisión desconocida {sub!r} para el país {country!r} (ISO 3166-2)",
            )
    lat, lon = row.get("latitude", "").strip(), row.get("longitude", "").strip()
    if bool(lat) != bool(lon):
        add(
            "latitude" if not lat else "longitude",
            "give both latitude and longitude, or neither",
            "indique latitud y longitud, o ninguna de las dos",
        )
    elif lat:
        try:
            la, lo = Decimal(lat), Decimal(lon)
            if not (-90 <= la <= 90 and -180 <= lo <= 180):
                add(
                    "latitude" if not -90 <= la <= 90 else "longitude",
                    f"coordinates ({lat}, {lon}) are out of range",
                    f"las coordenadas ({lat}, {lon}) están fuera de rango",
                )
        except InvalidOperation:
            add(
                "latitude",
                f"coordinates ({lat!r}, {lon!r}) are not numbers",
                f"las coordenadas ({lat!r}, {lon!r}) no son números",
            )
    for code in _split(row.get("sectors", "")):
        if code not in isic:
            add(
                "sectors",
                f"unknown ISIC Rev.4 section or division {code!r}",
                f"sección o división de la CIIU Rev.4 desconocida {code!r}",
            )
    founded = row.get("founded", "").strip()
    this_year = date.today().year
    if founded and not (
        founded.isdigit() and len(founded) == 4 and 1800 <= int(founded) <= this_year
    ):
        add(
            "founded",
            f"founded {founded!r} is not a year between 1800 and this year",
            f"el año de fundación {founded!r} no es un año entre 1800 y {this_year}",
        )
    website = row.get("website", "").strip()
    if website and not (URL.match(website) and _is_iri(website)):
        add(
            "website",
            f"website {website!r} is not an http(s) URL",
            f"el sitio web {website!r} no es una URL http(s)",
        )
    lang = row.get("description_lang", "").strip()
    if lang and lang not in LANGS:
        add(
            "description_lang",
            f"description_lang {lang!r} is not one of es, en, pt",
            f"description_lang {lang!r} no es es, en ni pt",
        )
    for col, scheme in (
        ("coordinator_sector", "actor-sector"),
        ("status", "status"),
        ("maturity", "maturity"),
        ("governance_model", "governance-model"),
        ("legal_form", "legal-form"),
    ):
        value = row.get(col, "").strip()
        if value and value not in CODES[scheme]:
            choices = ", ".join(sorted(CODES[scheme]))
            add(
                col,
                f"unknown {col} {value!r} (use one of {choices})",
                f"{col} desconocido {value!r} (use uno de {choices})",
            )
    for value in _split(row.get("lines_of_action", "")):
        if value not in CODES["line-of-action"]:
            add(
                "lines_of_action",
                f"unknown line of action {value!r}",
                f"línea de acción desconocida {value!r}",
            )
    for member in _split(row.get("members", "")):
        parts = [p.strip() for p in member.split("|")]
        if not parts[0] or len(parts) > 3:
            add(
                "members",
                f"member {member!r} is not 'Name|sector|size'",
                f"el miembro {member!r} no tiene la forma 'Nombre|sector|tamaño'",
            )
            continue
        if len(parts) > 1 and parts[1] and parts[1] not in CODES["actor-sector"]:
            add(
                "members",
                f"member {parts[0]!r}: unknown sector {parts[1]!r}",
                f"miembro {parts[0]!r}: sector desconocido {parts[1]!r}",
            )
        if len(parts) > 2 and parts[2] and parts[2] not in CODES["firm-size"]:
            add(
                "members",
                f"member {parts[0]!r}: unknown size {parts[2]!r}",
                f"miembro {parts[0]!r}: tamaño desconocido {parts[2]!r}",
            )
    count = row.get("member_firm_count", "").strip()
    if count and not count.isdigit():
        add(
            "member_firm_count",
            f"member_firm_count {count!r} is not a whole number",
            f"member_firm_count {count!r} no es un número entero no negativo",
        )
    email = row.get("contact_email", "").strip()
    if email and not EMAIL.match(email):
        add(
            "contact_email",
            f"contact_email {email!r} is not an e-mail address",
            f"contact_email {email!r} no es una dirección de correo electrónico",
        )
    return problems


def _is_iri(text: str) -> bool:
    """Whether ``text`` is an absolute IRI the store accepts (a port, percent-encodings ...).

    >>> _is_iri("https://example.org/a"), _is_iri("https://example.org:port/")
    (True, False)
    """
    import pyoxigraph

    try:
        pyoxigraph.NamedNode(text)
    except ValueError:
        return False
    return True


def read_rows(path: Path) -> list[dict[str, str]]:
    """The rows of ``path``, after checking its columns."""
    try:
        text = path.read_bytes().decode("utf-8-sig")
    except UnicodeDecodeError as exc:
        raise BadRequest(f"{path}: not valid UTF-8 (byte {exc.start})") from exc
    except OSError as exc:
        raise BadRequest(f"{path}: cannot read: {exc.strerror or exc}") from exc
    reader = csv.DictReader(io.StringIO(text, newline=""))
    header = reader.fieldnames or []
    missing = [c for c in REQUIRED if c not in header]
    extra = [c for c in header if c not in COLUMNS]
    if missing or extra:
        parts = []
        if missing:
            parts.append(f"missing column(s) {', '.join(missing)}")
        if extra:
            parts.append(f"unknown column(s) {', '.join(extra)}")
        raise RowErrors(str(path), [(1, "; ".join(parts))])
    rows = []
    for row in reader:
        if None in row:  # more cells than columns
            row["__extra__"] = row.pop(None)
        rows.append(row)
    return rows


def run(path: str | Path) -> PipelineOutput:
    path = Path(path)
    rows = read_rows(path)
    isic = _isic_codes()
    lac = {c["iso2"] for c in lac_countries()}
    problems: list[tuple[int, str]] = []
    seen: dict[str, int] = {}
    for number, row in enumerate(rows, start=2):
        if "__extra__" in row:
            problems.append((number, f"{len(row['__extra__'])} cell(s) more than the header has"))
        for reason in check_row(row, isic, lac):
            problems.append((number, reason))
        key = slugify(row.get("name", ""))
        if key and key in seen:
            problems.append((number, f"duplicate name: row {seen[key]} has the same initiative"))
        seen.setdefault(key, number)
    if not rows:
        problems.append((2, "the file has no rows"))
    if problems:
        raise RowErrors(str(path), problems)

    slug = slugify(path.stem)
    graph = GRAPH[f"registry/{slug}"]
    private = URIRef(f"{PRIVATE_GRAPH_PREFIX}registry-contacts/{slug}")
    source = ID[f"source/registry-{slug}"]
    public, contacts = Graph(), Graph()
    public.add((source, RDF.type, IATP.Source))
    public.add((source, DCTERMS.title, Literal(f"Registry file {path.name}", lang="en")))
    for row in rows:
        row_to_rdf(row, public, contacts, source)
    public += provenance(
        graph,
        pipeline="registry",
        title_es=f"Registro importado de {path.name}",
        title_en=f"Registry imported from {path.name}",
        sources=[str(source)],
        retrieved=date.today().isoformat(),
        version="1.0",
    )
    return PipelineOutput(public={str(graph): public}, private={str(private): contacts})


def row_to_rdf(row: dict[str, str], g: Graph, contacts: Graph, source: URIRef) -> URIRef:
    """Add one checked row to ``g`` (public triples) and ``contacts`` (private ones), each
    citing ``source``; return the initiative's IRI."""
    v = {k: (row.get(k) or "").strip() for k in COLUMNS}
    iri = ID[f"initiative/{slugify(v['name'])}"]
    iso2 = v["country"].upper()
    lang = v["description_lang"] or "es"
    g.add((iri, RDF.type, KINDS[v["kind"]]))
    g.add((iri, IATP.initiativeKind, ID[f"initiative-kind/{v['kind']}"]))
    g.add((iri, RDFS.label, Literal(v["name"], lang=lang)))
    g.add((iri, IATP.country, country_iri(iso2)))
    g.add((iri, DCTERMS.source, source))
    sub = v["subdivision"].upper()
    if v["city"]:
        town = municipality_iri(iso2, slugify(v["city"]))
        g.add((town, RDF.type, IATP.Municipality))
        g.add((town, RDFS.label, Literal(v["city"])))
        g.add((town, _SF_WITHIN, country_iri(iso2)))
        if sub:
            g.add((town, _SF_WITHIN, subdivision_iri(sub)))
        g.add((iri, IATP.locatedIn, town))
    elif sub:
        g.add((iri, IATP.locatedIn, subdivision_iri(sub)))
    if v["latitude"]:
        point_geometry(g, iri, Decimal(v["latitude"]), Decimal(v["longitude"]), source)
    for code in _split(v["sectors"]):
        g.add((iri, IATP.sector, isic_iri(code)))
    if v["description"]:
        g.add((iri, DCTERMS.description, Literal(v["description"], lang=lang)))
    if v["founded"]:
        g.add((iri, IATP.foundingYear, Literal(v["founded"], datatype=XSD.gYear)))
    if v["website"]:
        g.add((iri, SCHEMA.url, URIRef(v["website"])))
    for col, prop, scheme in (
        ("status", IATP.status, "status"),
        ("maturity", IATP.maturityLevel, "maturity"),
        ("governance_model", IATP.governanceModel, "governance-model"),
        ("legal_form", IATP.legalForm, "legal-form"),
    ):
        if v[col]:
            g.add((iri, prop, ID[f"{scheme}/{v[col]}"]))
    for code in _split(v["lines_of_action"]):
        g.add((iri, IATP.lineOfAction, ID[f"line-of-action/{code}"]))
    if v["member_firm_count"]:
        g.add((iri, IATP.memberFirmCount, Literal(int(v["member_firm_count"]))))
    actors = []
    if v["coordinator"]:
        actors.append((v["coordinator"], v["coordinator_sector"], "", "coordinator"))
    for member in _split(v["members"]):
        parts = [p.strip() for p in member.split("|")] + ["", ""]
        actors.append((parts[0], parts[1], parts[2], "member"))
    for name, sector, size, role in actors:
        org = organization_iri(name)
        g.add((org, RDF.type, IATP.Firm if size else IATP.Organization))
        g.add((org, RDFS.label, Literal(name)))
        if sector:
            g.add((org, IATP.actorSector, ID[f"actor-sector/{sector}"]))
        if size:
            g.add((org, IATP.firmSize, ID[f"firm-size/{size}"]))
        membership = ID[f"membership/{slugify(v['name'])}--{slugify(name)}--{role}"]
        g.add((membership, RDF.type, ORG.Membership))
        g.add((membership, ORG.organization, iri))
        g.add((membership, ORG.member, org))
        g.add((membership, ORG.role, ID[f"role/{role}"]))
        g.add((membership, DCTERMS.source, source))
        if role == "coordinator":
            g.add((iri, IATP.coordinator, org))
    if v["contact_name"] or v["contact_email"] or v["contact_phone"]:
        contact = URIRef(str(iri) + "#contact")
        contacts.add((iri, SCHEMA.contactPoint, contact))
        if v["contact_name"]:
            contacts.add((contact, SCHEMA.name, Literal(v["contact_name"])))
        if v["contact_email"]:
            contacts.add((contact, SCHEMA.email, Literal(v["contact_email"])))
        if v["contact_phone"]:
            contacts.add((contact, SCHEMA.telephone, Literal(v["contact_phone"])))
    return iri


_SF_WITHIN = URIRef("http://www.opengis.net/ont/geosparql#sfWithin")
