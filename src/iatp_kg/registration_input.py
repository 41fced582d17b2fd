"""Reading a registration from RDF: a JSON-LD body (against the published context, never a
remote one), or the graphs of a stored submission (the editors' view). Either way the result is
the form's fields, to be checked like a JSON registration.

>>> g = graph_from_jsonld({
...     "@context": "https://w3id.org/iatp/context.jsonld",
...     "type": "ClusterInitiative", "name": {"es": "Clúster X"},
...     "country": {"id": "https://w3id.org/iatp/id/country/co"}},
...     ("https://w3id.org/iatp/context.jsonld",))
>>> fields, problems = fields_from_graph(g, initiatives_in(g)[0])
>>> fields["name"], fields["country"], problems
('Clúster X', 'CO', [])
"""

from __future__ import annotations

from typing import Any

from rdflib import Graph, URIRef
from rdflib.namespace import DCTERMS, ORG, RDF, RDFS, SKOS

from iatp_kg.namespaces import GEO, IATP, ID, SCHEMA, WGS84
from iatp_kg.pipelines import registry
from iatp_kg.registration import Problem, Registration

__all__ = [
    "MAX_DEPTH",
    "JsonLdRefused",
    "fields_from_graph",
    "graph_from_jsonld",
    "initiatives_in",
    "json_depth",
]

_SCHEME_FIELDS = {
    IATP.status: ("status", "status"),
    IATP.maturityLevel: ("maturity", "maturity"),
    IATP.governanceModel: ("governance_model", "governance-model"),
    IATP.legalForm: ("legal_form", "legal-form"),
}
_KIND_CLASSES = {cls: code for code, cls in registry.KINDS.items()}
_IGNORED = {DCTERMS.source, SKOS.hiddenLabel}


def _code(iri, scheme: str) -> str | None:
    prefix = f"{ID}{scheme}/"
    return (
        str(iri)[len(prefix) :] if isinstance(iri, URIRef) and str(iri).startswith(prefix) else None
    )


def fields_from_graph(g: Graph, node: URIRef) -> tuple[dict[str, Any], list[Problem]]:
    """The form's fields for the initiative ``node`` of ``g`` (the inverse of :func:`build`),
    and the problems met: a property the form has no field for, an IRI outside its scheme.
    JSON-LD registrations and the editors' view of stored ones both read RDF this way."""
    out: dict[str, Any] = {}
    problems: list[Problem] = []

    def bad(name: str, en: str, es: str) -> None:
        problems.append(Problem(name, en, es))

    def single(name: str, value: Any) -> None:
        if name in out and out[name] != value:
            bad(name, "is given more than once", "aparece más de una vez")
        out[name] = value

    def label(thing) -> str | None:
        value = g.value(thing, RDFS.label)
        return None if value is None else str(value)

    for pred, obj in sorted(g.predicate_objects(node), key=lambda po: (str(po[0]), str(po[1]))):
        if pred in _IGNORED:
            continue
        if pred == RDF.type:
            if obj != IATP.Initiative and obj not in _KIND_CLASSES:
                bad(
                    "kind",
                    f"{obj} is not a kind of initiative",
                    f"{obj} no es un tipo de iniciativa",
                )
            continue
        if pred == RDFS.label:
            single("name", str(obj))
            if getattr(obj, "language", None):
                out.setdefault("description_lang", obj.language)
        elif pred == IATP.initiativeKind:
            code = _code(obj, "initiative-kind")
            if code is None:
                bad(
                    "kind",
                    f"{obj} is not a kind of initiative",
                    f"{obj} no es un tipo de iniciativa",
                )
            else:
                single("kind", code)
        elif pred == IATP.country:
            code = _code(obj, "country")
            if code is None:
                bad("country", f"{obj} is not a country IRI ({ID}country/{{iso2}})",
                    f"{obj} no es la IRI de un país ({ID}country/{{iso2}})")  # fmt: skip
            else:
                single("country", code.upper())
        elif pred == IATP.locatedIn:
            sub, town = _code(obj, "subdivision"), _code(obj, "municipality")
            if sub:
                single("subdivision", sub.upper())
            elif town and label(obj):
                single("city", label(obj))
                for up in g.objects(obj, GEO.sfWithin):
                    if _code(up, "subdivision"):
                        single("subdivision", _code(up, "subdivision").upper())
            else:
                bad("city", f"{obj} is not a subdivision, nor a municipality with its name",
                    f"{obj} no es una subdivisión ni un municipio con su nombre")  # fmt: skip
        elif pred == GEO.hasGeometry:
            lat, lon = g.value(obj, WGS84.lat), g.value(obj, WGS84.long)
            try:
                single("latitude", float(lat))
                single("longitude", float(lon))
            except (TypeError, ValueError):
                bad("latitude", "the geometry needs a wgs84:lat and wgs84:long in degrees",
                    "la geometría necesita wgs84:lat y wgs84:long en grados")  # fmt: skip
        elif pred == IATP.sector:
            out.setdefault("sectors", []).append(_code(obj, "isic") or str(obj))
        elif pred == IATP.lineOfAction:
            out.setdefault("lines_of_action", []).append(_code(obj, "line-of-action") or str(obj))
        elif pred in _SCHEME_FIELDS:
            name, scheme = _SCHEME_FIELDS[pred]
            single(name, _code(obj, scheme) or str(obj))
        elif pred == DCTERMS.description:
            single("description", str(obj))
            if getattr(obj, "language", None):
                out["description_lang"] = obj.language
        elif pred == IATP.foundingYear:
            single("founded", int(obj) if str(obj).isdigit() else str(obj))
        elif pred == IATP.memberFirmCount:
            single("member_firm_count", obj.toPython() if hasattr(obj, "toPython") else str(obj))
        elif pred == SCHEMA.url:
            single("website", str(obj))
        elif pred == IATP.coordinator:
            single("coordinator", label(obj))
            sector = _code(g.value(obj, IATP.actorSector), "actor-sector")
            if sector:
                single("coordinator_sector", sector)
        elif pred == SCHEMA.contactPoint:
            for name, p in (("contact_name", SCHEMA.name), ("contact_email", SCHEMA.email),
                            ("contact_phone", SCHEMA.telephone)):  # fmt: skip
                value = g.value(obj, p)
                if value is not None:
                    single(name, str(value))
        else:
            bad(str(pred), f"the form has no field for {pred}",
                f"el formulario no tiene un campo para {pred}")  # fmt: skip
    members = []
    for membership in sorted(g.subjects(ORG.organization, node), key=str):
        actor = g.value(membership, ORG.member)
        roles = {_code(r, "role") for r in g.objects(membership, ORG.role)}
        if actor is None or not label(actor):
            bad("members", "a membership needs a member with a name",
                "una membresía necesita un miembro con nombre")  # fmt: skip
            continue
        if "coordinator" in roles and out.get("coordinator") in (None, label(actor)):
            out["coordinator"] = label(actor)
            sector = _code(g.value(actor, IATP.actorSector), "actor-sector")
            if sector:
                out["coordinator_sector"] = sector
            continue
        member: dict[str, Any] = {"name": label(actor)}
        sector = _code(g.value(actor, IATP.actorSector), "actor-sector")
        size = _code(g.value(actor, IATP.firmSize), "firm-size")
        if sector:
            member["sector"] = sector
        if size:
            member["size"] = size
        members.append(member)
    if members:
        out["members"] = sorted(members, key=lambda m: m["name"])
    kinds = [code for t in g.objects(node, RDF.type) if (code := _KIND_CLASSES.get(t))]
    if kinds and "kind" not in out:
        out["kind"] = kinds[0]
    elif kinds and out["kind"] not in kinds:
        bad("kind", f"the kind {out['kind']!r} does not match the class {kinds[0]!r} the node has",
            f"el tipo {out['kind']!r} no corresponde a la clase {kinds[0]!r} del nodo")  # fmt: skip
    order = list(Registration.model_fields)
    return dict(
        sorted(out.items(), key=lambda kv: order.index(kv[0]) if kv[0] in order else 99)
    ), problems


def initiatives_in(g: Graph) -> list[URIRef]:
    """The nodes of ``g`` that are initiatives (typed with a kind's class, or with a kind)."""
    found = {s for s in g.subjects(IATP.initiativeKind, None)}
    for cls in (*_KIND_CLASSES, IATP.Initiative):
        found.update(g.subjects(RDF.type, cls))
    return sorted(found, key=str)


# ---- JSON and JSON-LD bodies -----------------------------------------------------------------
MAX_DEPTH = 16


def json_depth(value: Any) -> int:
    """How deeply arrays and objects nest in a parsed JSON value (a scalar is 0).

    >>> json_depth({"a": [1, {"b": []}]})
    4
    """
    deepest, stack = 0, [(value, 1)]
    while stack:
        node, depth = stack.pop()
        if isinstance(node, dict | list):
            deepest = max(deepest, depth)
            children = node.values() if isinstance(node, dict) else node
            stack.extend((child, depth + 1) for child in children)
    return deepest


class JsonLdRefused(Exception):
    """A JSON-LD document that cannot be read: ``remote`` names a context URL that would have
    to be fetched (never done), else ``reason`` says what is wrong."""

    def __init__(self, reason: str, remote: str | None = None) -> None:
        super().__init__(reason)
        self.reason, self.remote = reason, remote


def graph_from_jsonld(doc: Any, context_urls: tuple[str, ...]) -> Graph:
    """The RDF of a JSON-LD document. Only the published context (under ``context_urls``) or
    an inline one may be used: any other context is refused, never fetched."""
    import pyoxigraph as ox
    from pyld import jsonld as pyld

    from iatp_kg.jsonld import local_loader
    from iatp_kg.validation import quads_to_graph

    refused: list[str] = []
    allowed = local_loader(*context_urls)

    def loader(url: str, options: dict | None = None) -> dict:
        if url not in context_urls:
            refused.append(url)
        return allowed(url, options)

    try:
        nquads = pyld.to_rdf(doc, {"format": "application/n-quads", "documentLoader": loader})
    except pyld.JsonLdError as exc:
        if refused:
            raise JsonLdRefused("remote context", remote=refused[0]) from exc
        raise JsonLdRefused(_jsonld_reason(exc)) from exc
    except (TypeError, ValueError, KeyError, RecursionError) as exc:
        raise JsonLdRefused(f"not a JSON-LD document ({type(exc).__name__})") from exc
    try:
        quads = list(ox.parse(nquads.encode(), ox.RdfFormat.N_QUADS))
    except (SyntaxError, ValueError) as exc:
        raise JsonLdRefused(f"the document's RDF does not parse: {exc}") from exc
    return quads_to_graph(quads)


def _jsonld_reason(exc: Exception) -> str:
    """pyld's error as one line: its type and message, never a traceback."""
    code = getattr(exc, "code", None)
    message = str(exc).split("\n", 1)[0].strip("('\" ,")
    return f"{code}: {message}" if code else message
