"""Dereferenceable IRIs (/id/{kind}/{slug}), the ontology (/ontology), the shapes (/shapes).

Every data IRI ``{base_iri}id/{kind}/{slug}`` is served at ``/id/{kind}/{slug}``, as the
Linked Data principles ask, by content negotiation between a readable HTML page, Turtle,
N-Triples, JSON-LD and RDF/XML; an extension (``.ttl``, ``.nt``, ``.jsonld``, ``.rdf``,
``.html``) picks the format as Wikidata's ``Special:EntityData`` does. The RDF is the
resource's own triples and those of its hash nodes (``{iri}#geometry``), read from the public
graphs only. An unknown resource is 404 in every format.
"""

from __future__ import annotations

import functools
import re
from pathlib import Path

import orjson
import pyoxigraph as ox
from fastapi import APIRouter, Request, Response
from fastapi.responses import HTMLResponse

from iatp_kg import reads
from iatp_kg.context import AppContext, ContextDep
from iatp_kg.errors import NotFound
from iatp_kg.namespaces import PREFIXES
from iatp_kg.negotiation import negotiate, wants_html
from iatp_kg.pages import environment, language
from iatp_kg.paths import bundled
from iatp_kg.routers.sparql import cache_headers, etag_for, not_modified

router = APIRouter(tags=["Linked Data"])

# The formats a resource is offered in, with the extension that asks for each.
FORMATS = {
    "ttl": ("text/turtle", "Turtle"),
    "nt": ("application/n-triples", "N-Triples"),
    "jsonld": ("application/ld+json", "JSON-LD"),
    "rdf": ("application/rdf+xml", "RDF/XML"),
}
OFFERED = [media for media, _ in FORMATS.values()]
SEGMENT = re.compile(r"[A-Za-z0-9][A-Za-z0-9_-]{0,199}")
MAX_SEGMENTS = 4
INCOMING_LIMIT = 200

DESCRIBE = """
CONSTRUCT { ?s ?p ?o . ?node ?q ?v }
WHERE {
  { ?s ?p ?o }
  UNION
  { ?s ?link ?node .
    FILTER(isIRI(?node) && STRSTARTS(STR(?node), CONCAT(STR(?s), "#")))
    ?node ?q ?v }
}
"""

EXISTS = "SELECT ?s WHERE { ?s ?p ?o } LIMIT 1"

OUTGOING = """
SELECT ?s ?node ?p ?o ?label WHERE {
  { ?s ?p ?o . BIND(?s AS ?node) }
  UNION
  { ?s ?link ?node .
    FILTER(isIRI(?node) && STRSTARTS(STR(?node), CONCAT(STR(?s), "#")))
    ?node ?p ?o }
  OPTIONAL { FILTER(isIRI(?o)) ?o rdfs:label|skos:prefLabel|dcterms:title ?label }
}
"""

INCOMING = f"""
SELECT ?s ?x ?p ?label WHERE {{
  {{ SELECT ?s ?x ?p WHERE {{
      ?x ?p ?s .
      FILTER(!STRSTARTS(STR(?x), CONCAT(STR(?s), "#")))
      FILTER NOT EXISTS {{ ?x a org:Membership }}
    }} LIMIT {INCOMING_LIMIT + 1} }}
  OPTIONAL {{ ?x rdfs:label|skos:prefLabel|dcterms:title ?label }}
}}
"""

MEMBERSHIPS = """
SELECT ?s ?m ?org ?orgLabel ?member ?memberLabel ?role ?roleLabel ?begin ?end WHERE {
  { ?m org:organization ?s ; org:member ?member . BIND(?s AS ?org) }
  UNION
  { ?m org:member ?s ; org:organization ?org . BIND(?s AS ?member) }
  OPTIONAL { ?org rdfs:label ?orgLabel }
  OPTIONAL { ?member rdfs:label ?memberLabel }
  OPTIONAL { ?m org:role ?role . OPTIONAL { ?role skos:prefLabel ?roleLabel } }
  OPTIONAL { ?m org:memberDuring/time:hasBeginning/time:inXSDDate ?begin }
  OPTIONAL { ?m org:memberDuring/time:hasEnd/time:inXSDDate ?end }
}
"""

TERM_LABELS = """
SELECT ?t ?label WHERE {
  VALUES ?k { owl:Class owl:ObjectProperty owl:DatatypeProperty owl:AnnotationProperty
              rdf:Property }
  ?t a ?k ; rdfs:label ?label .
}
"""


def _label_preference(lang: str) -> list[str]:
    return [lang, "en" if lang == "es" else "es", "pt", ""]


def best_label(labels: list[tuple[str, str]], lang: str) -> str | None:
    """The label in ``lang``, else the other of es/en, else pt, else untagged, else any.

    >>> best_label([("Colombia", "es"), ("Colombia", "en"), ("Kolumbien", "de")], "en")
    'Colombia'
    >>> best_label([("Kolumbien", "de")], "es")
    'Kolumbien'
    """
    if not labels:
        return None
    by_lang = {}
    for text, tag in labels:
        by_lang.setdefault(tag.split("-")[0].lower(), text)
    for tag in _label_preference(lang):
        if tag in by_lang:
            return by_lang[tag]
    return labels[0][0]


def curie(iri: str) -> str:
    """``https://schema.org/url`` -> ``schema:url`` when a known prefix fits."""
    best = ""
    for prefix, ns in PREFIXES.items():
        if iri.startswith(ns) and len(ns) > len(best) and prefix != "id":
            best, name = ns, f"{prefix}:{iri[len(ns) :]}"
    return name if best else iri


def parse_path(path: str) -> tuple[str, str | None]:
    """``initiative/x.ttl`` -> (``initiative/x``, ``ttl``); anything not an IRI path -> 404.

    >>> parse_path("country/co.jsonld")
    ('country/co', 'jsonld')
    >>> parse_path("../etc/passwd")
    Traceback (most recent call last):
    ...
    iatp_kg.errors.NotFound: no resource /id/../etc/passwd
    """
    extension = None
    stem, dot, ext = path.rpartition(".")
    if dot and (ext in FORMATS or ext == "html"):
        path, extension = stem, ext
    segments = path.split("/")
    if not 2 <= len(segments) <= MAX_SEGMENTS or not all(SEGMENT.fullmatch(s) for s in segments):
        raise NotFound(f"no resource /id/{path[:200]}")
    return path, extension


class Linker:
    """Turns IRIs into links for the pages: data IRIs to /id/..., ontology terms to
    /ontology#Term, other IRIs outward."""

    def __init__(self, ctx: AppContext, lang: str, labels: dict[str, list[tuple[str, str]]]):
        self.id_base = ctx.settings.id_base
        self.ontology_ns = ctx.settings.ontology_ns
        self.lang = lang
        self.labels = labels

    def href(self, iri: str) -> str | None:
        if iri.startswith(self.id_base):
            return "/id/" + iri[len(self.id_base) :]
        if iri.startswith(self.ontology_ns):
            return "/ontology#" + iri[len(self.ontology_ns) :]
        return None

    def iri(self, iri: str, labels: list[tuple[str, str]] | None = None) -> dict:
        text = best_label(labels or self.labels.get(iri, []), self.lang) or curie(iri)
        href = self.href(iri)
        external = iri if href is None and iri.startswith(("http://", "https://")) else None
        return {"text": text, "href": href, "external": external}

    def cell(self, cell: dict, labels: list[tuple[str, str]]) -> dict:
        if cell["type"] == "uri":
            return self.iri(cell["value"], labels)
        if cell["type"] == "bnode":
            return {"text": "_:" + cell["value"]}
        return {"text": cell["value"], "lang": cell.get("xml:lang")}


async def term_labels(ctx: AppContext) -> dict[str, list[tuple[str, str]]]:
    """Labels of the ontology's classes and properties, cached per store version."""

    async def build() -> dict[str, list[tuple[str, str]]]:
        labels: dict[str, list[tuple[str, str]]] = {}
        for row in await reads.select(ctx, TERM_LABELS):
            labels.setdefault(row["t"]["value"], []).append(
                (row["label"]["value"], row["label"].get("xml:lang", ""))
            )
        return labels

    return await ctx.per_version("term-labels", build)


def _group(rows: list[dict], linker: Linker) -> tuple[dict[str, list[dict]], list[dict]]:
    """Outgoing rows -> {node: [{prop, values}]}, and the types of the main node."""
    values: dict[tuple[str, str], dict[tuple, tuple[dict, list]]] = {}
    for row in rows:
        node, p, o = row["node"]["value"], row["p"]["value"], row["o"]
        key = (o["type"], o["value"], o.get("xml:lang"), o.get("datatype"))
        entry = values.setdefault((node, p), {}).setdefault(key, (o, []))
        if "label" in row:
            entry[1].append((row["label"]["value"], row["label"].get("xml:lang", "")))
    by_node: dict[str, list[dict]] = {}
    for (node, p), objects in values.items():
        cells = [linker.cell(o, labels) for o, labels in objects.values()]
        cells.sort(key=lambda c: (c.get("lang") or "", c["text"].casefold()))
        by_node.setdefault(node, []).append({"prop": linker.iri(p), "values": cells, "iri": p})
    for node_rows in by_node.values():
        node_rows.sort(key=lambda r: (r["iri"] != RDF_TYPE, r["prop"]["text"].casefold()))
    return by_node


RDF_TYPE = "http://www.w3.org/1999/02/22-rdf-syntax-ns#type"
TITLE_PROPERTIES = (
    "http://www.w3.org/2000/01/rdf-schema#label",
    "http://www.w3.org/2004/02/skos/core#prefLabel",
    "http://purl.org/dc/terms/title",
)


def _memberships(rows: list[dict], linker: Linker) -> list[dict]:
    found: dict[str, dict] = {}
    for row in rows:
        m = found.setdefault(
            row["m"]["value"],
            {"org": row["org"], "member": row["member"], "labels": {}, "roles": {}, "row": row},
        )
        for name in ("orgLabel", "memberLabel"):
            if name in row:
                m["labels"].setdefault(name, set()).add(
                    (row[name]["value"], row[name].get("xml:lang", ""))
                )
        if "role" in row:
            m["roles"].setdefault(row["role"]["value"], set())
            if "roleLabel" in row:
                m["roles"][row["role"]["value"]].add(
                    (row["roleLabel"]["value"], row["roleLabel"].get("xml:lang", ""))
                )
    out = []
    for m in found.values():
        row = m["row"]
        period = " – ".join(reads.value(row, name, "") for name in ("begin", "end") if name in row)
        out.append(
            {
                "organization": linker.cell(m["org"], sorted(m["labels"].get("orgLabel", ()))),
                "member": linker.cell(m["member"], sorted(m["labels"].get("memberLabel", ()))),
                "roles": [linker.iri(r, sorted(labels)) for r, labels in m["roles"].items()],
                "period": period,
            }
        )
    out.sort(key=lambda m: (m["organization"]["text"].casefold(), m["member"]["text"].casefold()))
    return out


def _format_links(path: str) -> list[dict]:
    return [
        {"label": label, "media_type": media, "href": f"/id/{path}.{ext}"}
        for ext, (media, label) in FORMATS.items()
    ]


async def _not_found(request: Request, path: str, html: bool) -> Response:
    message = f"no resource /id/{path[:200]} in the public graphs"
    if html:
        lang = language(request)
        page = environment().get_template("not_found.html").render(lang=lang, message=message)
        return HTMLResponse(page, status_code=404)
    raise NotFound(message)


@router.get(
    "/id/{path:path}",
    summary="Dereference a data IRI",
    description="The resource `{base_iri}id/{path}` as an HTML page, Turtle, N-Triples, "
    "JSON-LD or RDF/XML, by `Accept` or by extension (`.ttl`, `.nt`, `.jsonld`, `.rdf`, "
    "`.html`). 404 in every format when the public graphs say nothing about it.",
    responses={
        200: {
            "content": {
                "text/html": {},
                "text/turtle": {
                    "example": "<https://w3id.org/iatp/id/country/co> a iatp:Country ."
                },
                "application/n-triples": {},
                "application/ld+json": {},
                "application/rdf+xml": {},
            }
        },
        404: {"description": "No such resource."},
    },
)
async def resource(path: str, request: Request, ctx: ContextDep) -> Response:
    accept = request.headers.get("accept")
    try:
        path, extension = parse_path(path)
    except NotFound:
        return await _not_found(request, path, wants_html(accept))
    if extension == "html" or (extension is None and wants_html(accept)):
        return await _page(path, request, ctx)
    media = FORMATS[extension][0] if extension else negotiate(accept, OFFERED)
    iri = ctx.settings.id_base + path
    version = ctx.store.version
    etag = etag_for(version, "id", path, media)
    headers = {**cache_headers(ctx, etag), "Vary": "Accept"}
    if not_modified(request, etag, ctx.store.last_modified):
        return Response(status_code=304, headers=headers)
    if not await reads.select(ctx, EXISTS, s=reads.iri(iri)):
        return await _not_found(request, path, False)
    body = await reads.graph(ctx, DESCRIBE, media, s=reads.iri(iri))
    headers["Link"] = f'</id/{path}.html>; rel="alternate"; type="text/html"'
    return Response(body, media_type=media, headers=headers)


async def _page(path: str, request: Request, ctx: AppContext) -> Response:
    lang = language(request)
    iri = ctx.settings.id_base + path
    node = reads.iri(iri)
    outgoing = await reads.select(ctx, OUTGOING, s=node)
    if not outgoing:
        return await _not_found(request, path, True)
    labels = await term_labels(ctx)
    linker = Linker(ctx, lang, labels)
    by_node = _group(outgoing, linker)
    main_rows = by_node.pop(iri, [])
    titles = [
        (r["o"]["value"], r["o"].get("xml:lang", ""))
        for r in outgoing
        if r["node"]["value"] == iri and r["p"]["value"] in TITLE_PROPERTIES
    ]
    types = next((r["values"] for r in main_rows if r["iri"] == RDF_TYPE), [])
    incoming_rows = await reads.select(ctx, INCOMING, s=node)
    incoming: dict[tuple[str, str], dict] = {}
    for row in incoming_rows:
        key = (row["x"]["value"], row["p"]["value"])
        entry = incoming.setdefault(key, {"x": row["x"], "p": row["p"]["value"], "labels": []})
        if "label" in row:
            entry["labels"].append((row["label"]["value"], row["label"].get("xml:lang", "")))
    links = [
        {"subject": linker.cell(e["x"], e["labels"]), "prop": linker.iri(e["p"])}
        for e in incoming.values()
    ]
    links.sort(key=lambda link: (link["prop"]["text"].casefold(), link["subject"]["text"]))
    memberships = _memberships(await reads.select(ctx, MEMBERSHIPS, s=node), linker)
    jsonld = await reads.graph(ctx, DESCRIBE, "application/ld+json", s=node)
    page = (
        environment()
        .get_template("resource.html")
        .render(
            lang=lang,
            iri=iri,
            title=best_label(titles, lang) or path.rsplit("/", 1)[-1],
            types=types,
            rows=[r for r in main_rows if r["iri"] != RDF_TYPE],
            subnodes=[{"iri": n, "rows": rows} for n, rows in sorted(by_node.items())],
            memberships=memberships,
            incoming=links[:INCOMING_LIMIT],
            incoming_truncated=len(incoming_rows) > INCOMING_LIMIT,
            formats=_format_links(path),
            alternates=[
                {"media_type": f["media_type"], "href": f["href"]} for f in _format_links(path)
            ],
            jsonld=_script_safe(jsonld),
            schema_org=_script_safe(orjson.dumps(schema_org(iri, outgoing, lang))),
            point=_point(iri, outgoing),
        )
    )
    return HTMLResponse(page, headers={"Vary": "Accept"})


IATP = "https://w3id.org/iatp/ontology#"
SCHEMA_TYPES = {  # the ontology's classes as schema.org types, for search engines
    "ClusterInitiative": "Project", "ProductionChainInitiative": "Project",
    "LocalProductiveInitiative": "Project", "BusinessNetworkInitiative": "Project",
    "SupplierDevelopmentInitiative": "Project", "RegionalIntegrationProject": "Project",
    "Organization": "Organization", "Firm": "Organization", "Person": "Person",
    "Country": "Country", "Subdivision": "AdministrativeArea", "Municipality": "City",
    "Workshop": "Event", "CommunityMeeting": "Event", "TrainingSession": "Event",
    "EventSeries": "EventSeries", "TrainingProgramme": "EducationalOccupationalProgram",
}  # fmt: skip


def schema_org(iri: str, outgoing: list[dict], lang: str) -> dict:
    """A schema.org description of the resource (type, name, description, url, dates, a
    point), embedded in its page for search engines, next to the resource's own JSON-LD."""
    own = [r for r in outgoing if r["node"]["value"] == iri]
    types = [
        SCHEMA_TYPES[r["o"]["value"][len(IATP) :]]
        for r in own
        if r["p"]["value"] == RDF_TYPE and r["o"]["value"][len(IATP) :] in SCHEMA_TYPES
    ]
    out: dict = {"@context": "https://schema.org", "@type": types[0] if types else "Thing"}
    out["@id"] = iri

    def texts(*predicates: str) -> list[tuple[str, str]]:
        return [
            (r["o"]["value"], r["o"].get("xml:lang", ""))
            for r in own
            if r["p"]["value"] in predicates and r["o"]["type"] == "literal"
        ]

    name = best_label(texts(*TITLE_PROPERTIES), lang)
    if name:
        out["name"] = name
    description = best_label(texts("http://purl.org/dc/terms/description"), lang)
    if description:
        out["description"] = description
    for r in own:
        p, o = r["p"]["value"], r["o"]["value"]
        if p == "https://schema.org/url":
            out["url"] = o
        elif p == "https://schema.org/startDate":
            out["startDate"] = o
        elif p == IATP + "foundingYear":
            out["foundingDate"] = o[:4]
        elif p == "http://www.w3.org/2004/02/skos/core#exactMatch":
            out.setdefault("sameAs", []).append(o)
    point = {
        r["p"]["value"].rsplit("#", 1)[-1]: r["o"]["value"]
        for r in outgoing
        if r["node"]["value"] != iri and r["p"]["value"].startswith(WGS84)
    }
    if "lat" in point and "long" in point:
        out["geo"] = {
            "@type": "GeoCoordinates",
            "latitude": float(point["lat"]),
            "longitude": float(point["long"]),
        }
    return out


WGS84 = "http://www.w3.org/2003/01/geo/wgs84_pos#"


def _point(iri: str, outgoing: list[dict]) -> dict | None:
    """The resource's WGS84 point (from its geometry), for the page's small map."""
    found = {
        r["p"]["value"][len(WGS84) :]: r["o"]["value"]
        for r in outgoing
        if r["node"]["value"] == iri + "#geometry" and r["p"]["value"].startswith(WGS84)
    }
    if "lat" in found and "long" in found:
        return {"lat": float(found["lat"]), "long": float(found["long"])}
    return None


def _script_safe(body: bytes) -> str:
    """JSON for a ``<script>`` element: ``<`` escaped so no ``</script>`` can end it early."""
    return body.decode().replace("<", "\\u003c")


# ---- the ontology and the shapes ---------------------------------------------------------------
ONTOLOGY_OFFERED = [
    "text/turtle",
    "application/ld+json",
    "application/n-triples",
    "application/rdf+xml",
]


@functools.cache
def _ontology_file() -> Path:
    return bundled("ontology") / "iatp.ttl"


@functools.cache
def ontology_html() -> str:
    """pyLODE's documentation of the ontology file, made once per process (about 3 s)."""
    from pylode import OntPub

    return OntPub(ontology=str(_ontology_file())).make_html()


@functools.cache
def _serialised(kind: str, media: str) -> bytes:
    """The ontology or the shapes (every file of ``shapes/`` merged) in one RDF syntax."""
    shape_files = sorted(bundled("shapes").glob("*.ttl"))
    files = [_ontology_file()] if kind == "ontology" else shape_files
    if media == "text/turtle" and len(files) == 1:
        return files[0].read_bytes()
    quads = []
    for f in files:
        quads.extend(ox.parse(path=str(f), format=ox.RdfFormat.TURTLE))
    fmt = {
        "text/turtle": ox.RdfFormat.TURTLE,
        "application/ld+json": ox.RdfFormat.JSON_LD,
        "application/n-triples": ox.RdfFormat.N_TRIPLES,
        "application/rdf+xml": ox.RdfFormat.RDF_XML,
    }[media]
    triples = [ox.Triple(q.subject, q.predicate, q.object) for q in quads]
    with_prefixes = fmt in (ox.RdfFormat.TURTLE, ox.RdfFormat.RDF_XML)
    return ox.serialize(triples, format=fmt, prefixes=PREFIXES if with_prefixes else None)


@router.get(
    "/ontology",
    summary="The ontology",
    description="HTML documentation generated from `ontology/iatp.ttl` by pyLODE for "
    "browsers; the Turtle file itself, or JSON-LD, N-Triples or RDF/XML, by `Accept`.",
    responses={200: {"content": {m: {} for m in ["text/html", *ONTOLOGY_OFFERED]}}},
)
async def ontology(request: Request) -> Response:
    import anyio

    accept = request.headers.get("accept")
    if wants_html(accept):
        html = await anyio.to_thread.run_sync(ontology_html)
        return HTMLResponse(html, headers={"Vary": "Accept"})
    media = negotiate(accept, ONTOLOGY_OFFERED)
    return Response(_serialised("ontology", media), media_type=media, headers={"Vary": "Accept"})


@router.get(
    "/shapes",
    summary="The SHACL shapes",
    description="Every shape of `shapes/` in one graph: Turtle by default, or JSON-LD, "
    "N-Triples or RDF/XML by `Accept`; browsers get a readable table.",
    responses={200: {"content": {m: {} for m in ["text/html", *ONTOLOGY_OFFERED]}}},
)
async def shapes(request: Request) -> Response:
    accept = request.headers.get("accept")
    if wants_html(accept):
        lang = language(request)
        page = environment().get_template("shapes.html").render(lang=lang, shapes=shape_table(lang))
        return HTMLResponse(page, headers={"Vary": "Accept"})
    media = negotiate(accept, ONTOLOGY_OFFERED)
    return Response(_serialised("shapes", media), media_type=media, headers={"Vary": "Accept"})


SHAPE_TABLE = """
PREFIX sh: <http://www.w3.org/ns/shacl#>
SELECT ?shape ?target ?path ?min ?max ?datatype ?class ?in ?pattern ?message WHERE {
  ?shape a sh:NodeShape .
  OPTIONAL { ?shape sh:targetClass ?target }
  OPTIONAL {
    ?shape sh:property ?ps .
    ?ps sh:path ?path .
    OPTIONAL { ?ps sh:minCount ?min } OPTIONAL { ?ps sh:maxCount ?max }
    OPTIONAL { ?ps sh:datatype ?datatype } OPTIONAL { ?ps sh:class ?class }
    OPTIONAL { ?ps sh:pattern ?pattern }
    OPTIONAL { ?ps sh:message ?message }
  }
}
"""


@functools.cache
def _shape_rows() -> list[dict]:
    store = ox.Store()
    for f in sorted(bundled("shapes").glob("*.ttl")):
        store.load(path=str(f), format=ox.RdfFormat.TURTLE)
    rows = []
    for solution in store.query(SHAPE_TABLE):
        rows.append(
            {
                name: (None if solution[name] is None else solution[name])
                for name in (
                    "shape",
                    "target",
                    "path",
                    "min",
                    "max",
                    "datatype",
                    "class",
                    "pattern",
                    "message",
                )
            }
        )
    return rows


def shape_table(lang: str) -> list[dict]:
    """One entry per node shape: its target class and, per property, its constraints."""
    shapes: dict[str, dict] = {}
    for row in _shape_rows():
        shape = shapes.setdefault(
            _text(row["shape"]),
            {"shape": _text(row["shape"]), "target": _text(row["target"]), "properties": {}},
        )
        if row["path"] is None:
            continue
        prop = shape["properties"].setdefault(
            _text(row["path"]),
            {"path": _text(row["path"]), "constraints": set(), "messages": []},
        )
        for name in ("min", "max", "datatype", "class", "pattern"):
            if row[name] is not None:
                prop["constraints"].add(f"{name} {_text(row[name])}")
        message = row["message"]
        if (
            isinstance(message, ox.Literal)
            and message.language in (lang, None)
            and message.value not in prop["messages"]
        ):
            prop["messages"].append(message.value)
    out = []
    for shape in sorted(shapes.values(), key=lambda s: s["shape"]):
        props = sorted(shape["properties"].values(), key=lambda p: p["path"])
        for p in props:
            p["constraints"] = sorted(p["constraints"])
        out.append({**shape, "properties": props})
    return out


def _text(term) -> str | None:
    if term is None:
        return None
    if isinstance(term, ox.NamedNode):
        return curie(term.value)
    if isinstance(term, ox.BlankNode):
        return "(path expression)"
    return term.value
