"""The registration form, generated from what validates it: the SHACL shapes of an initiative
(labels ``sh:name``, help ``sh:description``, order ``sh:order``, required ``sh:minCount``,
single or multiple ``sh:maxCount``, value lists from the SKOS scheme named by ``sh:node``),
and, for the fields no public shape covers (coordinates, coordinator, members, the private
contact), the published JSON Schema of a registration. Form and validation cannot drift: a
label, a requirement or a value list changes in the shapes, and the form follows.
"""

from __future__ import annotations

import functools
from dataclasses import dataclass, field

import pyoxigraph as ox

from iatp_kg.paths import bundled
from iatp_kg.registration import Registration

SH = "http://www.w3.org/ns/shacl#"
INITIATIVE_SHAPE = "https://w3id.org/iatp/shapes#InitiativeShape"

# The registration field each shape path fills (the JSON Schema names them).
PATH_TO_FIELD = {
    "http://www.w3.org/2000/01/rdf-schema#label": "name",
    "https://w3id.org/iatp/ontology#initiativeKind": "kind",
    "https://w3id.org/iatp/ontology#country": "country",
    "https://w3id.org/iatp/ontology#locatedIn": "subdivision",
    "https://w3id.org/iatp/ontology#sector": "sectors",
    "https://w3id.org/iatp/ontology#status": "status",
    "https://w3id.org/iatp/ontology#maturityLevel": "maturity",
    "https://w3id.org/iatp/ontology#governanceModel": "governance_model",
    "https://w3id.org/iatp/ontology#legalForm": "legal_form",
    "https://w3id.org/iatp/ontology#lineOfAction": "lines_of_action",
    "https://w3id.org/iatp/ontology#foundingYear": "founded",
    "https://w3id.org/iatp/ontology#memberFirmCount": "member_firm_count",
    "https://schema.org/url": "website",
    "http://purl.org/dc/terms/description": "description",
}
# Fields the public shapes do not describe, in the order they follow; their labels are the
# form's own words (es, en), their rules the JSON Schema's.
EXTRA_FIELDS = {
    "city": ("municipio", "municipality"),
    "latitude": ("latitud (WGS84)", "latitude (WGS84)"),
    "longitude": ("longitud (WGS84)", "longitude (WGS84)"),
    "description_lang": ("idioma del nombre y la descripción", "language of the name and description"),
    "coordinator": ("organización coordinadora", "coordinating organisation"),
    "coordinator_sector": ("sector de la coordinadora", "coordinator's sector"),
    "members": ("miembros (uno por línea: nombre | sector | tamaño)", "members (one per line: name | sector | size)"),
    "contact_name": ("persona de contacto (privado)", "contact person (private)"),
    "contact_email": ("correo de contacto (privado)", "contact e-mail (private)"),
    "contact_phone": ("teléfono de contacto (privado)", "contact phone (private)"),
}  # fmt: skip
FIELD_SCHEMES = {"coordinator_sector": "actor-sector", "description_lang": None}


@dataclass
class Field:
    name: str
    label: dict[str, str]
    help: dict[str, str] = field(default_factory=dict)
    required: bool = False
    multiple: bool = False
    widget: str = "text"  # text, textarea, select, number, email, url, tel
    scheme: str | None = None  # a SKOS scheme IRI whose concepts are the choices
    choices: list[str] | None = None  # fixed codes (from the JSON Schema)
    private: bool = False
    order: float = 100.0


def _literals(store: ox.Store, subject, predicate: str) -> dict[str, str]:
    return {
        q.object.language or "": q.object.value
        for q in store.quads_for_pattern(subject, ox.NamedNode(predicate), None)
        if isinstance(q.object, ox.Literal)
    }


def _one(store: ox.Store, subject, predicate: str):
    return next(
        (q.object for q in store.quads_for_pattern(subject, ox.NamedNode(predicate), None)), None
    )


@functools.cache
def shape_store() -> ox.Store:
    store = ox.Store()
    for path in sorted(bundled("shapes").glob("*.ttl")):
        store.load(path=str(path), format=ox.RdfFormat.TURTLE)
    return store


@functools.cache
def fields() -> tuple[Field, ...]:
    """The form's fields: the shape's named properties by ``sh:order``, then the others."""
    store = shape_store()
    schema = Registration.model_json_schema()
    props = schema["properties"]
    required = set(schema.get("required", []))
    out: list[Field] = []
    for q in store.quads_for_pattern(
        ox.NamedNode(INITIATIVE_SHAPE), ox.NamedNode(SH + "property"), None
    ):
        node = q.object
        path = _one(store, node, SH + "path")
        name = PATH_TO_FIELD.get(path.value) if isinstance(path, ox.NamedNode) else None
        label = _literals(store, node, SH + "name")
        if name is None or not label:
            continue
        order = _one(store, node, SH + "order")
        min_count = _one(store, node, SH + "minCount")
        max_count = _one(store, node, SH + "maxCount")
        scheme = None
        in_scheme = _one(store, node, SH + "node")
        if in_scheme is not None:
            for p in store.quads_for_pattern(in_scheme, ox.NamedNode(SH + "property"), None):
                value = _one(store, p.object, SH + "hasValue")
                if value is not None:
                    scheme = value.value
        f = Field(
            name=name,
            label=label,
            help=_literals(store, node, SH + "description"),
            required=(min_count is not None and int(min_count.value) > 0) or name in required,
            multiple=max_count is None and name in ("sectors", "lines_of_action"),
            scheme=scheme,
            order=float(order.value) if order is not None else 100.0,
        )
        if name == "country":
            f.scheme = "country"  # the class iatp:Country: the countries in the store
        if f.scheme:
            f.widget = "select"
        elif name in ("founded", "member_firm_count"):
            f.widget = "number"
        elif name == "website":
            f.widget = "url"
        elif name == "description":
            f.widget = "textarea"
        if name == "subdivision":
            f.help = {
                "es": "Código ISO 3166-2 de una subdivisión de primer nivel (CO-ANT).",
                "en": "ISO 3166-2 code of a first-level subdivision (CO-ANT).",
            }
        out.append(f)
    out.sort(key=lambda f: f.order)
    for i, (name, (es, en)) in enumerate(EXTRA_FIELDS.items()):
        spec = props[name]
        f = Field(
            name=name,
            label={"es": es, "en": en},
            help={"en": spec.get("description", "")} if spec.get("description") else {},
            required=name in required,
            private=name.startswith("contact_"),
            order=1000 + i,
        )
        options = spec.get("enum") or next(
            (a.get("enum") for a in spec.get("anyOf", []) if a.get("enum")), None
        )
        if FIELD_SCHEMES.get(name):
            f.scheme = f"https://w3id.org/iatp/id/scheme/{FIELD_SCHEMES[name]}"
            f.widget = "select"
        elif options:
            f.choices = list(options)
            f.widget = "select"
        elif name in ("latitude", "longitude"):
            f.widget = "number"
        elif name == "members":
            f.widget = "textarea"
        elif name == "contact_email":
            f.widget = "email"
        elif name == "contact_phone":
            f.widget = "tel"
        out.append(f)
    return tuple(out)


def to_registration(form: dict[str, list[str]]) -> dict:
    """The registration JSON from a submitted form (``{name: [values]}``): empty fields are
    left out, numbers become numbers where they parse (else they stay text, and validation
    names the field), members become objects."""
    doc: dict = {}
    by_name = {f.name: f for f in fields()}
    for name, values in form.items():
        f = by_name.get(name)
        values = [v.strip() for v in values if v.strip()]
        if f is None or not values:
            continue
        if f.multiple:
            doc[name] = values
        elif name == "members":
            members = []
            for line in values[0].splitlines():
                parts = [p.strip() for p in line.split("|")]
                if not parts[0]:
                    continue
                member = {"name": parts[0]}
                if len(parts) > 1 and parts[1]:
                    member["sector"] = parts[1]
                if len(parts) > 2 and parts[2]:
                    member["size"] = parts[2]
                members.append(member)
            doc[name] = members
        elif f.widget == "number":
            try:
                number = float(values[0])
                doc[name] = (
                    int(number)
                    if name in ("founded", "member_firm_count") and number.is_integer()
                    else number
                )
            except ValueError:
                doc[name] = values[0]
        else:
            doc[name] = values[0]
    return doc
