"""Registrations of initiatives: the form (a pydantic model whose JSON Schema is published), its
checks, its RDF, and where a submission lives in the store. No HTTP here.

The form is the registry pipeline's row (:mod:`iatp_kg.pipelines.registry`, the columns of
``pipelines/registry/README.md``) as JSON: the same names, lists where the CSV has
``;``-separated cells. A registration is checked in three steps, each naming the field:

1. the model (types, value sets, sizes, the e-mail address);
2. the registry's row checks (LAC country, its ISO 3166-2 subdivision, ISIC codes, years ...);
3. the SHACL shapes, over the RDF the registry pipeline makes of the row, with the store's
   triples about everything it links to (coordinates inside the country's box ...).

A valid one becomes two private graphs (``…/graph/private/registration/{id}``, the initiative,
and ``…/graph/private/registration-contacts/{id}``, the contact); the record of the submission
(status, dates, reason) is described by the private graph's own IRI, inside it. Approval copies
the initiative into the public graph ``…/graph/registration/{id}`` with its provenance.

>>> reg = Registration(name="Clúster X", kind="cluster", country="co", contact_email="a@example.org")
>>> row = to_row(reg)
>>> row["country"], row["kind"], row["sectors"]
('CO', 'cluster', '')
>>> [p.field for p in check(Registration(name="X", kind="cluster", country="ES",
...                                      contact_email="a@example.org", founded=1700))]
['country', 'founded']
"""

from __future__ import annotations

import re
import secrets
from dataclasses import dataclass
from decimal import Decimal
from functools import cache
from typing import Annotated, Any, Literal

from pydantic import BaseModel, ConfigDict, EmailStr, Field, StringConstraints, ValidationError
from rdflib import Graph, URIRef
from rdflib import Literal as RdfLiteral
from rdflib.namespace import DCTERMS, ORG, RDF, RDFS

from iatp_kg.namespaces import GEO, GRAPH, IATP, ID, PRIVATE_GRAPH_PREFIX, SCHEMA, WGS84
from iatp_kg.pipelines import registry
from iatp_kg.validation import ValidationReport

__all__ = [
    "Built",
    "Member",
    "Problem",
    "Registration",
    "build",
    "check",
    "contacts_graph",
    "initiative_iri",
    "inline_schema",
    "json_schema",
    "new_id",
    "private_graph",
    "problems_from_report",
    "problems_from_validation_error",
    "public_graph",
    "submission_iri",
    "to_row",
    "validate",
]

Problem = registry.Problem

# ---- the form --------------------------------------------------------------------------------


def _choice(values) -> Any:
    """``Literal[...]`` of the codes of a value set, sorted (so the schema is stable)."""
    return Literal[tuple(sorted(values))]  # type: ignore[valid-type]


Kind = Literal[tuple(registry.KINDS)]  # type: ignore[valid-type]
ActorSector = _choice(registry.CODES["actor-sector"])
FirmSize = _choice(registry.CODES["firm-size"])
Status = _choice(registry.CODES["status"])
Maturity = _choice(registry.CODES["maturity"])
GovernanceModel = _choice(registry.CODES["governance-model"])
LegalForm = _choice(registry.CODES["legal-form"])
LineOfAction = _choice(registry.CODES["line-of-action"])
Text = Annotated[str, StringConstraints(strip_whitespace=True, min_length=1, max_length=500)]
# ';' and '|' separate members in the registry's cells: a name never holds them.
ActorName = Annotated[
    str,
    StringConstraints(strip_whitespace=True, min_length=1, max_length=500, pattern=r"^[^;|]+$"),
]

EXAMPLE: dict[str, Any] = {
    "name": "Clúster de Software de Ejemplo",
    "kind": "cluster",
    "country": "CO",
    "subdivision": "CO-ANT",
    "city": "Medellín",
    "latitude": 6.2442,
    "longitude": -75.5812,
    "sectors": ["62", "63"],
    "description": "Empresas de software de Antioquia que trabajan juntas.",
    "description_lang": "es",
    "founded": 2015,
    "website": "https://example.org/software-cluster",
    "coordinator": "Cámara de Comercio de Ejemplo",
    "coordinator_sector": "private",
    "members": [
        {"name": "Universidad de Ejemplo", "sector": "academic"},
        {"name": "Empresa de Ejemplo", "sector": "private", "size": "small"},
    ],
    "status": "active",
    "maturity": "developing",
    "lines_of_action": ["visibility", "training"],
    "governance_model": "chamber-hosted",
    "legal_form": "chamber-of-commerce-hosted",
    "member_firm_count": 25,
    "contact_name": "Persona de Ejemplo",
    "contact_email": "persona@example.org",
    "contact_phone": "+57 4 555 0100",
}


class Member(BaseModel):
    """An organisation taking part in the initiative."""

    model_config = ConfigDict(extra="forbid")

    name: ActorName = Field(description="The organisation's name.")
    sector: ActorSector | None = Field(None, description="Its actor sector.")
    size: FirmSize | None = Field(None, description="For a firm: its size.")


class Registration(BaseModel):
    """An initiative registered through the platform's form. The contact fields are private:
    they are kept for the editors and never published."""

    model_config = ConfigDict(
        extra="forbid",
        title="Registration",
        json_schema_extra={"examples": [EXAMPLE]},
    )

    name: Text = Field(description="The initiative's name (in `description_lang`).")
    kind: Kind = Field(description="The kind of initiative (ECLAC's taxonomy).")
    country: Annotated[str, StringConstraints(pattern=r"^[A-Za-z]{2}$")] = Field(
        description="ISO 3166-1 alpha-2 code of one of the 33 LAC countries."
    )
    subdivision: Annotated[str, StringConstraints(pattern=r"^[A-Za-z]{2}-[A-Za-z0-9]{1,3}$")] | (
        None
    ) = Field(None, description="ISO 3166-2 code of a first-level subdivision (`CO-ANT`).")
    city: Annotated[str, StringConstraints(strip_whitespace=True, max_length=200)] | None = Field(
        None, description="The municipality's name."
    )
    latitude: Annotated[float, Field(ge=-90, le=90)] | None = Field(
        None, description="WGS84 degrees; with `longitude`, inside the country."
    )
    longitude: Annotated[float, Field(ge=-180, le=180)] | None = Field(
        None, description="WGS84 degrees; with `latitude`, inside the country."
    )
    sectors: list[Annotated[str, StringConstraints(max_length=2)]] = Field(
        default_factory=list,
        max_length=30,
        description="ISIC Rev.4 sections (`C`) or divisions (`62`).",
    )
    description: Annotated[str, StringConstraints(strip_whitespace=True, max_length=20_000)] | (
        None
    ) = Field(None, description="What the initiative does.")
    description_lang: Literal["es", "en", "pt"] = Field(
        "es", description="The language of `name` and `description`."
    )
    founded: int | None = Field(None, description="Founding year, between 1800 and this year.")
    website: Annotated[str, StringConstraints(strip_whitespace=True, max_length=2000)] | None = (
        Field(None, description="An http(s) URL.")
    )
    coordinator: ActorName | None = Field(None, description="The coordinating organisation.")
    coordinator_sector: ActorSector | None = Field(None, description="The coordinator's sector.")
    members: list[Member] = Field(default_factory=list, max_length=200)
    status: Status | None = None
    maturity: Maturity | None = None
    lines_of_action: list[LineOfAction] = Field(default_factory=list, max_length=6)
    governance_model: GovernanceModel | None = None
    legal_form: LegalForm | None = None
    member_firm_count: Annotated[int, Field(ge=0)] | None = Field(
        None, description="How many firms take part."
    )
    contact_name: Annotated[str, StringConstraints(strip_whitespace=True, max_length=200)] | (
        None
    ) = Field(None, description="Private: the contact person.")
    contact_email: EmailStr = Field(description="Private: where the editors can write.")
    contact_phone: (
        Annotated[
            str, StringConstraints(strip_whitespace=True, max_length=50, pattern=r"^[0-9+()./ -]*$")
        ]
        | None
    ) = Field(None, description="Private: a phone number.")


def json_schema(schema_id: str | None = None) -> dict:
    """The published JSON Schema (2020-12) of a registration."""
    schema = {"$schema": "https://json-schema.org/draft/2020-12/schema"}
    if schema_id:
        schema["$id"] = schema_id
    schema.update(Registration.model_json_schema())
    return schema


def inline_schema(model: type[BaseModel]) -> dict:
    """The model's JSON Schema with its ``$defs`` inlined, to embed in OpenAPI (where a
    ``#/$defs/...`` reference would point at the OpenAPI document's root)."""
    schema = model.model_json_schema()
    defs = schema.pop("$defs", {})

    def inline(node):
        if isinstance(node, dict):
            ref = node.get("$ref")
            if isinstance(ref, str) and ref.startswith("#/$defs/"):
                return inline(defs[ref.removeprefix("#/$defs/")])
            return {k: inline(v) for k, v in node.items()}
        if isinstance(node, list):
            return [inline(v) for v in node]
        return node

    return inline(schema)


# ---- problems --------------------------------------------------------------------------------
_KIND_OF_VALUE = {
    "string_type": ("a text", "un texto"),
    "int_type": ("a whole number", "un número entero"),
    "int_parsing": ("a whole number", "un número entero"),
    "int_from_float": ("a whole number", "un número entero"),
    "float_type": ("a number", "un número"),
    "float_parsing": ("a number", "un número"),
    "list_type": ("a list", "una lista"),
    "model_type": ("an object", "un objeto"),
    "model_attributes_type": ("an object", "un objeto"),
    "dict_type": ("an object", "un objeto"),
}


def _field_name(loc: tuple) -> str:
    """``("members", 0, "name")`` -> ``members[0].name``."""
    out = ""
    for part in loc:
        if isinstance(part, int):
            out += f"[{part}]"
        else:
            out += ("." if out else "") + str(part)
    return out or "(body)"


def problems_from_validation_error(exc: ValidationError) -> list[Problem]:
    """Pydantic's errors as problems, each naming its field, in English and Spanish."""
    out = []
    for err in exc.errors(include_url=False):
        kind, ctx = err["type"], err.get("ctx") or {}
        loc = tuple(p for p in err["loc"] if not (isinstance(p, str) and "[" in p))
        name = _field_name(loc)
        if kind == "missing":
            en, es = "is required", "es obligatorio"
        elif kind == "extra_forbidden":
            en, es = "is not a field of the form", "no es un campo del formulario"
        elif kind in _KIND_OF_VALUE:
            what_en, what_es = _KIND_OF_VALUE[kind]
            en, es = f"must be {what_en}", f"debe ser {what_es}"
        elif kind == "literal_error":
            expected = ctx.get("expected", "")
            en, es = (
                f"must be one of {expected}",
                f"debe ser uno de {expected.replace(' or ', ' o ')}",
            )
        elif kind == "string_too_short":
            en, es = "must not be empty", "no puede estar vacío"
        elif kind == "string_too_long":
            n = ctx.get("max_length")
            en, es = f"is longer than {n} characters", f"pasa de {n} caracteres"
        elif kind == "too_long":
            n = ctx.get("max_length")
            en, es = f"has more than {n} items", f"tiene más de {n} elementos"
        elif kind == "string_pattern_mismatch":
            pattern = ctx.get("pattern", "")
            en, es = (
                f"does not have the expected form ({pattern})",
                f"no tiene la forma esperada ({pattern})",
            )
        elif kind in ("greater_than_equal", "greater_than"):
            n = ctx.get("ge", ctx.get("gt"))
            en, es = f"must be at least {n}", f"debe ser al menos {n}"
        elif kind in ("less_than_equal", "less_than"):
            n = ctx.get("le", ctx.get("lt"))
            en, es = f"must be at most {n}", f"debe ser como mucho {n}"
        elif kind == "value_error" and "email" in err["msg"]:
            reason = ctx.get("reason", "")
            en = f"is not a valid e-mail address ({reason})"
            es = f"no es una dirección de correo electrónico válida ({reason})"
        else:
            en, es = err["msg"], f"valor no válido ({err['msg']})"
        out.append(Problem(name, en, es))
    return out


# SHACL result paths and shapes -> the form's field they are about.
_PATH_FIELDS = {
    RDFS.label: "name",
    IATP.initiativeKind: "kind",
    RDF.type: "kind",
    IATP.country: "country",
    IATP.locatedIn: "subdivision",
    GEO.hasGeometry: "latitude",
    GEO.asWKT: "latitude",
    WGS84.lat: "latitude",
    WGS84.long: "longitude",
    IATP.sector: "sectors",
    IATP.status: "status",
    IATP.maturityLevel: "maturity",
    IATP.governanceModel: "governance_model",
    IATP.legalForm: "legal_form",
    IATP.lineOfAction: "lines_of_action",
    IATP.foundingYear: "founded",
    IATP.memberFirmCount: "member_firm_count",
    SCHEMA.url: "website",
    DCTERMS.description: "description",
    SCHEMA.email: "contact_email",
    SCHEMA.telephone: "contact_phone",
    IATP.coordinator: "coordinator",
}
_SHAPE_FIELDS = {"https://w3id.org/iatp/shapes#CoordinatesInCountryShape": "latitude"}


def problems_from_report(
    report: ValidationReport, data: Graph, initiative: URIRef
) -> list[Problem]:
    """SHACL violations as problems, each named by the form field it is about."""
    out = []
    for v in report.violations:
        if v.severity != "Violation":
            continue
        focus = URIRef(v.focus)
        name = _SHAPE_FIELDS.get(v.shape)
        if name is None and focus == initiative and v.path:
            name = _PATH_FIELDS.get(URIRef(v.path))
        if name is None:
            if str(focus).startswith(f"{initiative}#"):
                name = _PATH_FIELDS.get(URIRef(v.path or ""), "latitude")
            elif (focus, RDF.type, IATP.Municipality) in data:
                name = "city"
            elif (initiative, IATP.coordinator, focus) in data:
                name = "coordinator"
            elif (focus, RDF.type, ORG.Membership) in data or (None, ORG.member, focus) in data:
                name = "members"
            else:
                name = (v.path or v.focus).rsplit("#", 1)[-1].rsplit("/", 1)[-1]
        out.append(Problem(name, v.message_en, v.message_es))
    return out


# ---- checks and RDF --------------------------------------------------------------------------
@cache
def isic_codes() -> frozenset[str]:
    from iatp_kg.pipelines.isic import sections_and_divisions

    return frozenset(code for code, _, _ in sections_and_divisions())


@cache
def lac_codes() -> frozenset[str]:
    from iatp_kg.pipelines.territories import lac_countries

    return frozenset(c["iso2"] for c in lac_countries())


def _degrees(value: float | None) -> str:
    """A coordinate as a plain decimal (never an exponent), to 7 places at most."""
    if value is None:
        return ""
    text = format(Decimal(repr(value)).quantize(Decimal("1e-7")), "f")
    return text.rstrip("0").rstrip(".") if "." in text else text


def to_row(reg: Registration) -> dict[str, str]:
    """The registration as a registry row (every column a string, as the CSV has them)."""
    data = reg.model_dump()
    row = {c: "" for c in registry.COLUMNS}
    for col in registry.COLUMNS:
        value = data.get(col)
        if value is None or col in ("members", "sectors", "lines_of_action"):
            continue
        row[col] = str(value).strip()
    row["country"] = reg.country.upper()
    row["subdivision"] = (reg.subdivision or "").upper()
    row["latitude"], row["longitude"] = _degrees(reg.latitude), _degrees(reg.longitude)
    row["sectors"] = ";".join(s.strip().upper() for s in reg.sectors)
    row["lines_of_action"] = ";".join(reg.lines_of_action)
    row["members"] = ";".join(f"{m.name}|{m.sector or ''}|{m.size or ''}" for m in reg.members)
    return row


def check(reg: Registration) -> list[Problem]:
    """The registry's row checks (LAC country, subdivision, ISIC codes, years, URLs ...), and
    a name the initiative's IRI can be made of."""
    problems = registry.row_problems(to_row(reg), set(isic_codes()), set(lac_codes()))
    if not str(initiative_iri(reg)).removeprefix(f"{ID}initiative/"):
        problems.append(
            Problem(
                "name",
                "needs a letter or a digit (the initiative's IRI is made from it)",
                "necesita una letra o un dígito (la IRI de la iniciativa se forma con él)",
            )
        )
    return problems


def validate(doc: dict) -> tuple[Registration | None, list[Problem]]:
    """The registration in ``doc`` and every problem found: the model's, and the registry's
    checks. When the model fails, the registry's checks still run over the fields it did not
    reject, so that one answer lists every problem.

    >>> reg, problems = validate({"kind": "cartel", "country": "ES", "founded": 1700})
    >>> reg, sorted(p.field for p in problems)
    (None, ['contact_email', 'country', 'founded', 'kind', 'name'])
    """
    try:
        reg = Registration.model_validate(doc)
    except ValidationError as exc:
        problems = problems_from_validation_error(exc)
        rejected = {re.split(r"[.\[]", p.field, maxsplit=1)[0] for p in problems}
        row = {}
        for col in registry.COLUMNS:
            value = doc.get(col)
            if isinstance(value, str | int | float) and not isinstance(value, bool):
                row[col] = str(value)
            elif col in ("sectors", "lines_of_action") and isinstance(value, list):
                row[col] = ";".join(v for v in value if isinstance(v, str))
        row["members"] = ""  # the model checks members; their cells are not rebuilt here
        more = registry.row_problems(row, set(isic_codes()), set(lac_codes()))
        return None, problems + [p for p in more if p.field not in rejected]
    return reg, check(reg)


def new_id() -> str:
    """An unguessable submission id (128 random bits, URL-safe)."""
    return secrets.token_urlsafe(16)


def submission_iri(sub_id: str) -> URIRef:
    """What the published initiative cites as its source: ``id:registration/{id}``."""
    return ID[f"registration/{sub_id}"]


def private_graph(sub_id: str) -> URIRef:
    return URIRef(f"{PRIVATE_GRAPH_PREFIX}registration/{sub_id}")


def contacts_graph(sub_id: str) -> URIRef:
    return URIRef(f"{PRIVATE_GRAPH_PREFIX}registration-contacts/{sub_id}")


def public_graph(sub_id: str) -> URIRef:
    return GRAPH[f"registration/{sub_id}"]


def initiative_iri(reg: Registration) -> URIRef:
    from slugify import slugify

    return ID[f"initiative/{slugify(reg.name)}"]


@dataclass
class Built:
    """The RDF of one registration: the initiative (public once approved) and the contact."""

    initiative: URIRef
    data: Graph
    contacts: Graph


def build(reg: Registration, sub_id: str) -> Built:
    """The registry pipeline's RDF for the registration, citing the submission as its source."""
    data, contacts = Graph(), Graph()
    source = submission_iri(sub_id)
    iri = registry.row_to_rdf(to_row(reg), data, contacts, source)
    data.add((source, RDF.type, IATP.Source))
    data.add((source, DCTERMS.title, RdfLiteral(f"Inscripción {sub_id}", lang="es")))
    data.add((source, DCTERMS.title, RdfLiteral(f"Registration {sub_id}", lang="en")))
    return Built(iri, data, contacts)
