"""The REST facade under /api/v1: lists with filters, sorting and cursor pages, and details,
as JSON-LD (compacted against /context.jsonld, framed so an initiative nests its territory,
sectors and memberships with their actors), GeoJSON and CSV.

Lists filter an index read once per store version (:mod:`iatp_kg.api_index`); details run one
CONSTRUCT with the resource's IRI bound (``substitutions``). No request value is ever pasted
into SPARQL text.
"""

from __future__ import annotations

import csv
import io
import secrets
from typing import Annotated
from urllib.parse import urlencode

import orjson
from fastapi import APIRouter, Path, Request, Response

from iatp_kg import api_index, api_params, jsonld, reads
from iatp_kg.api_cursor import CursorSigner, query_digest
from iatp_kg.context import AppContext, ContextDep
from iatp_kg.errors import BadRequest, NotFound
from iatp_kg.negotiation import negotiate
from iatp_kg.routers.sparql import cache_headers, etag_for, not_modified

router = APIRouter(prefix="/api/v1", tags=["REST"])
context_router = APIRouter(tags=["REST"])

JSONLD = "application/ld+json"
JSON = "application/json"
GEOJSON = "application/geo+json"
CSV = "text/csv"
OFFERED = [JSONLD, JSON, GEOJSON, CSV]
EXTENSIONS = {"geojson": GEOJSON, "csv": CSV, "jsonld": JSONLD, "json": JSON}
DEFAULT_LIMIT, MAX_LIMIT = 20, 500
SIGNER = CursorSigner(secrets.token_bytes(32))  # cursors live as long as the process

KIND_OF = {  # resource -> the IRI kinds its details live under
    "initiatives": ("initiative",),
    "actors": ("organization", "person"),
    "territories": ("country", "subdivision", "municipality"),
    "sectors": ("isic",),
    "workshops": ("community-event", "programme-session"),
    "projects": ("project",),
}
LIST_PARAMETERS = {
    "initiatives": {
        "kind", "country", "subdivision", "sector", "actor_sector", "q", "bbox",
        "founded_from", "founded_to",
    },
    "actors": {"country", "actor_sector", "q"},
    "territories": {"country", "q", "bbox"},
    "sectors": {"sector", "q"},
    "workshops": {"q"},
    "projects": {"country", "q"},
}  # fmt: skip
COMMON_PARAMETERS = {"limit", "cursor", "sort", "format", "lang"}


# ---- the index -------------------------------------------------------------------------------
async def index(ctx: AppContext, resource: str) -> dict[str, api_index.Item]:
    key = ("api-index", resource, ctx.store.version)
    if key not in ctx.cache:
        spec = api_index.RESOURCES[resource]
        rows = {name: await reads.select(ctx, q) for name, q in spec.queries.items()}
        items = api_index.build(rows)
        ctx.cache = {
            k: v
            for k, v in ctx.cache.items()
            if not (k[0] in ("api-index", "api-sorted") and k[-1] != ctx.store.version)
        }
        ctx.cache[key] = items
    return ctx.cache[key]


async def selection(ctx: AppContext, resource: str, filters: api_index.Filters, sort: str):
    key = ("api-sorted", resource, filters.key(), sort, ctx.store.version)
    if key not in ctx.cache:
        items = await index(ctx, resource)
        if len([k for k in ctx.cache if k[0] == "api-sorted"]) > 256:
            ctx.cache = {k: v for k, v in ctx.cache.items() if k[0] != "api-sorted"}
        ctx.cache[key] = api_index.select(items.values(), filters, sort)
    return ctx.cache[key]


# ---- parameters ------------------------------------------------------------------------------
def _single(request: Request, allowed: set[str]) -> dict[str, str]:
    params: dict[str, str] = {}
    unknown = sorted({k for k in request.query_params if k not in allowed | COMMON_PARAMETERS})
    if unknown:
        shown = ", ".join(repr(u[:40]) for u in unknown[:5])
        raise BadRequest(
            f"unknown parameter {shown}; this list takes "
            f"{', '.join(sorted(allowed | COMMON_PARAMETERS))}"
        )
    for key, value in request.query_params.multi_items():
        if key in params:
            raise BadRequest(f"{key}: given more than once; give it once")
        params[key] = api_params.text_value(key, value, 1000)
    return params


def _filters(resource: str, p: dict[str, str]) -> api_index.Filters:
    q = api_params.text_value("q", p["q"], api_params.MAX_TEXT).strip() if "q" in p else None
    if q is not None and not q:
        raise BadRequest("q: give some text to search for")
    lo, hi = api_params.year_range(p.get("founded_from"), p.get("founded_to"))
    return api_index.Filters(
        kind=api_params.choice("kind", p["kind"], api_params.INITIATIVE_KINDS)
        if "kind" in p
        else None,
        country=api_params.country(p["country"]).upper() if "country" in p else None,
        subdivision=api_params.subdivision(p["subdivision"]).upper()
        if "subdivision" in p
        else None,
        sector=api_params.isic(p["sector"]) if "sector" in p else None,
        actor_sector=api_params.choice("actor_sector", p["actor_sector"], api_params.ACTOR_SECTORS)
        if "actor_sector" in p
        else None,
        q=" ".join(api_params.fold(q).split()) if q else None,
        bbox=api_params.bbox(p["bbox"]) if "bbox" in p else None,
        founded_from=lo,
        founded_to=hi,
    )


def _media(request: Request, p: dict[str, str], extension: str | None) -> str:
    if extension:
        return EXTENSIONS[extension]
    if "format" in p:
        wanted = p["format"].strip().lower()
        media = EXTENSIONS.get(wanted, wanted)
        if media not in OFFERED:
            raise BadRequest(f"format: {wanted[:40]!r} is not one of {', '.join(EXTENSIONS)}")
        return media
    return negotiate(request.headers.get("accept"), OFFERED, aliases={})


def _lang(p: dict[str, str]) -> str:
    return api_params.choice("lang", p["lang"], ("es", "en")) if "lang" in p else "en"


# ---- representations -------------------------------------------------------------------------
def _summary(item: api_index.Item, resource: str, ctx: AppContext, lang: str) -> dict:
    out: dict = {
        "id": item.iri,
        "type": sorted(item.types),
        "name": {tag or "@none": text for text, tag in item.names},
        "page": "/id/" + item.iri[len(ctx.settings.id_base) :],
        "api": f"/api/v1/{resource}/{item.slug}",
    }
    if item.kind:
        out["kind"] = {"id": api_index.KIND_SCHEME + item.kind}
    if item.countries:
        out["country"] = [
            {"id": f"{ctx.settings.id_base}country/{c.lower()}"} for c in sorted(item.countries)
        ]
    if item.founded is not None:
        out["foundingYear"] = f"{item.founded:04d}"
    if item.code:
        out["notation"] = item.code
    if item.date:
        out["startDate"] = item.date
    return out


def _feature(item: api_index.Item, ctx: AppContext, lang: str) -> dict | None:
    if not api_index.finite(item.lat, item.lon):
        return None
    return {
        "type": "Feature",
        "id": item.iri,
        "geometry": {"type": "Point", "coordinates": [item.lon, item.lat]},
        "properties": {
            "name": item.name(lang),
            "kind": item.kind,
            "country": sorted(item.countries),
            "sectors": sorted(item.sectors),
            "foundingYear": item.founded,
            "url": "/id/" + item.iri[len(ctx.settings.id_base) :],
        },
    }


CSV_COLUMNS = ["id", "name", "kind", "country", "subdivision", "sectors", "actor_sectors",
               "founding_year", "latitude", "longitude"]  # fmt: skip


def _csv(items: list[api_index.Item], lang: str) -> bytes:
    out = io.StringIO()
    w = csv.writer(out, lineterminator="\r\n")
    w.writerow(CSV_COLUMNS)
    for i in items:
        w.writerow(
            [
                i.iri,
                i.name(lang),
                i.kind or "",
                " | ".join(sorted(i.countries)),
                " | ".join(sorted(i.subdivisions)),
                " | ".join(sorted(i.sectors)),
                " | ".join(sorted(i.actor_sectors)),
                "" if i.founded is None else f"{i.founded:04d}",
                "" if i.lat is None else i.lat,
                "" if i.lon is None else i.lon,
            ]
        )
    return out.getvalue().encode()


def _link(request: Request, **changes: str | None) -> str:
    params = dict(request.query_params)
    for k, v in changes.items():
        if v is None:
            params.pop(k, None)
        else:
            params[k] = v
    query = urlencode(params)
    return f"{request.url.path}?{query}" if query else request.url.path


# ---- the list and detail routes --------------------------------------------------------------
LIST_DOC = (
    "A page of {resource}, as JSON-LD (a `hydra:Collection` with `member`, `totalItems` and "
    "`view.next`), plain JSON (the same document), GeoJSON (`Accept: application/geo+json` or "
    "`.geojson`: one Feature per item with a point) or CSV (`text/csv` or `.csv`). Pages: "
    "`limit` (1–500, default 20) and the opaque `cursor` of `view.next`; the `Link` header "
    "gives `first` and `next`, `X-Total-Count` the total. Unknown or repeated parameters: 400."
)


async def _list(request: Request, ctx: AppContext, resource: str, extension: str | None):
    p = _single(request, LIST_PARAMETERS[resource])
    filters = _filters(resource, p)
    sort = p.get("sort", "name")
    if sort not in api_index.SORTS:
        raise BadRequest(f"sort: {sort[:40]!r} is not one of {', '.join(api_index.SORTS)}")
    limit = api_params.limit(p.get("limit"), DEFAULT_LIMIT, MAX_LIMIT)
    media = _media(request, p, extension)
    lang = _lang(p)
    digest = query_digest(resource, filters.key(), sort)
    after = SIGNER.decode(p["cursor"], digest).position if "cursor" in p else None
    etag = etag_for(ctx.store.version, str(request.url), media)
    headers = {**cache_headers(ctx, etag), "Vary": "Accept"}
    if not_modified(request, etag, ctx.store.last_modified):
        return Response(status_code=304, headers=headers)
    items, keys = await selection(ctx, resource, filters, sort)
    start = api_index.page_after(keys, after, sort.startswith("-"))
    page = items[start : start + limit]
    total = len(items)
    headers["X-Total-Count"] = str(total)
    links = [f'<{_link(request, cursor=None)}>; rel="first"']
    next_url = None
    if start + limit < total:
        token = SIGNER.encode(digest, keys[start + limit - 1], total, ctx.store.version)
        next_url = _link(request, cursor=token)
        links.append(f'<{next_url}>; rel="next"')
    headers["Link"] = ", ".join(links)
    if media == CSV:
        return Response(_csv(page, lang), media_type="text/csv; charset=utf-8", headers=headers)
    if media == GEOJSON:
        features = [f for f in (_feature(i, ctx, lang) for i in page) if f]
        body = {"type": "FeatureCollection", "features": features, "totalItems": total}
        if next_url:
            body["next"] = next_url
        return Response(orjson.dumps(body), media_type=GEOJSON, headers=headers)
    body = {
        "@context": jsonld.context_url(ctx.settings.base_iri),
        "id": str(request.url),
        "type": "Collection",
        "total": total,
        "items": [_summary(i, resource, ctx, lang) for i in page],
    }
    if next_url:
        body["next"] = next_url
    return Response(orjson.dumps(body), media_type=media, headers=headers)


DETAIL_QUERIES = {
    "initiatives": """
CONSTRUCT {
  ?s ?p ?o . ?g ?gp ?go . ?m ?mp ?mo .
  ?a a ?atype ; rdfs:label ?alabel ; iatp:actorSector ?asec .
  ?t a ?ttype ; rdfs:label ?tlabel ; iatp:iso3166Alpha2 ?tcode ; iatp:iso3166_2Code ?tsub .
  ?c skos:prefLabel ?clabel ; skos:notation ?cnot .
} WHERE {
  { ?s ?p ?o }
  UNION { ?s geo:hasGeometry ?g . ?g ?gp ?go }
  UNION { ?m org:organization ?s ; ?mp ?mo }
  UNION { ?m org:organization ?s ; org:member ?a . ?a a ?atype ; rdfs:label ?alabel .
          OPTIONAL { ?a iatp:actorSector ?asec } }
  UNION { ?s iatp:country|iatp:locatedIn ?t . ?t a ?ttype ; rdfs:label ?tlabel .
          OPTIONAL { ?t iatp:iso3166Alpha2 ?tcode } OPTIONAL { ?t iatp:iso3166_2Code ?tsub } }
  UNION { ?s iatp:sector|iatp:initiativeKind|iatp:status|iatp:maturityLevel|iatp:governanceModel
             |iatp:legalForm|iatp:lineOfAction|iatp:addressesChallenge|iatp:sourceSector ?c .
          ?c skos:prefLabel ?clabel . OPTIONAL { ?c skos:notation ?cnot } }
  UNION { ?m org:organization ?s ; org:role ?c . ?c skos:prefLabel ?clabel .
          OPTIONAL { ?c skos:notation ?cnot } }
}""",
    "default": """
CONSTRUCT { ?s ?p ?o . ?g ?gp ?go . ?x rdfs:label ?xlabel . ?c skos:prefLabel ?clabel }
WHERE {
  { ?s ?p ?o }
  UNION { ?s ?link ?g . FILTER(isIRI(?g) && STRSTARTS(STR(?g), CONCAT(STR(?s), "#"))) ?g ?gp ?go }
  UNION { ?s ?p2 ?x . ?x rdfs:label ?xlabel }
  UNION { ?s ?p3 ?c . ?c skos:prefLabel ?clabel }
}""",
}
FRAMES = {"initiatives": {"memberships": {}, "@requireAll": False}}


async def _detail(request: Request, ctx: AppContext, resource: str, slug: str, extension):
    p = _single(request, set())
    media = _media(request, p, extension)
    lang = _lang(p)
    slug = api_params.slug(slug, "id") if resource != "sectors" else api_params.isic(slug, "id")
    items = await index(ctx, resource)
    iri = next(
        (f"{ctx.settings.id_base}{k}/{slug}" for k in KIND_OF[resource]
         if f"{ctx.settings.id_base}{k}/{slug}" in items),
        None,
    )  # fmt: skip
    if iri is None:
        raise NotFound(f"no {resource[:-1]} {slug!r}")
    item = items[iri]
    etag = etag_for(ctx.store.version, str(request.url), media)
    headers = {**cache_headers(ctx, etag), "Vary": "Accept"}
    if not_modified(request, etag, ctx.store.last_modified):
        return Response(status_code=304, headers=headers)
    if media == CSV:
        return Response(_csv([item], lang), media_type="text/csv; charset=utf-8", headers=headers)
    if media == GEOJSON:
        feature = _feature(item, ctx, lang) or {
            "type": "Feature", "id": item.iri, "geometry": None,
            "properties": {"name": item.name(lang)},
        }  # fmt: skip
        return Response(orjson.dumps(feature), media_type=GEOJSON, headers=headers)
    query = DETAIL_QUERIES.get(resource, DETAIL_QUERIES["default"])
    nt = await reads.graph(ctx, query, "application/n-triples", s=reads.iri(iri))
    frame = FRAMES.get(resource, {})
    node = jsonld.frame_nodes(nt.decode(), [iri], frame, ctx.settings.base_iri).get(
        iri, {"id": iri}
    )
    body = {"@context": jsonld.context_url(ctx.settings.base_iri), **node}
    return Response(orjson.dumps(body), media_type=media, headers=headers)


def _register(resource: str) -> None:
    summary_name = resource.capitalize()

    async def list_route(request: Request, ctx: ContextDep) -> Response:
        return await _list(request, ctx, resource, None)

    async def list_ext(request: Request, ctx: ContextDep, ext: str) -> Response:
        if ext not in EXTENSIONS:
            raise NotFound(f"no list /api/v1/{resource}.{ext[:20]}; try .geojson or .csv")
        return await _list(request, ctx, resource, ext)

    async def detail_route(
        request: Request,
        ctx: ContextDep,
        slug: Annotated[str, Path(description="The last segment of the resource's IRI.")],
    ) -> Response:
        stem, dot, ext = slug.rpartition(".")
        if dot and ext in EXTENSIONS:
            return await _detail(request, ctx, resource, stem, ext)
        return await _detail(request, ctx, resource, slug, None)

    responses = {
        200: {
            "content": {
                JSONLD: {"example": {"@context": "https://w3id.org/iatp/context.jsonld",
                                     "type": "Collection", "total": 1, "items": []}},
                JSON: {}, GEOJSON: {}, CSV: {},
            }
        },
        400: {"description": "A bad parameter; the message names it.",
              "content": {JSON: {"example": {"error": {"code": "bad_request",
                          "message": "country: 'Colombia' is not an ISO 3166-1 alpha-2 code "
                          "(two letters, e.g. CO)", "request_id": "5f0c…"}}}}},
        406: {"description": "No offered media type is acceptable."},
    }  # fmt: skip
    params = _openapi_parameters(resource)
    router.add_api_route(
        f"/{resource}",
        list_route,
        methods=["GET"],
        summary=f"{summary_name}: list",
        description=LIST_DOC.format(resource=resource),
        responses=responses,
        openapi_extra={"parameters": params},
    )
    router.add_api_route(
        f"/{resource}.{{ext}}",
        list_ext,
        methods=["GET"],
        summary=f"{summary_name}: list as a file (geojson, csv, jsonld, json)",
        responses=responses,
        openapi_extra={"parameters": params},
        include_in_schema=False,
    )
    router.add_api_route(
        f"/{resource}/{{slug}}",
        detail_route,
        methods=["GET"],
        summary=f"{summary_name}: one",
        description="One resource, framed JSON-LD (an initiative nests its territory, sectors "
        "and memberships with their actors), plain JSON, GeoJSON or CSV; `.geojson`, `.csv`, "
        "`.jsonld` also pick the format. Unknown: 404.",
        responses={**responses, 404: {"description": "No such resource."}},
    )


PARAMETER_DOCS = {
    "kind": ("Initiative kind.", {"enum": list(api_params.INITIATIVE_KINDS)}, "cluster"),
    "country": ("ISO 3166-1 alpha-2 code.", {"type": "string"}, "CO"),
    "subdivision": ("ISO 3166-2 code of a first-level subdivision.", {"type": "string"}, "CO-ANT"),
    "sector": ("ISIC Rev.4 section or division; includes its divisions.", {"type": "string"}, "C"),
    "actor_sector": ("Sector of a member actor.", {"enum": list(api_params.ACTOR_SECTORS)}, "academic"),
    "q": ("Text in any name, any language; case and accents ignored.", {"type": "string"}, "cluster automotriz"),
    "bbox": ("minLon,minLat,maxLon,maxLat (WGS 84).", {"type": "string"}, "-80,-5,-66,13"),
    "founded_from": ("First founding year (inclusive).", {"type": "integer"}, 2000),
    "founded_to": ("Last founding year (inclusive).", {"type": "integer"}, 2020),
    "sort": ("Order.", {"enum": list(api_index.SORTS)}, "name"),
    "limit": ("Page size, 1–500.", {"type": "integer", "minimum": 1, "maximum": 500}, 20),
    "cursor": ("The opaque cursor of the previous page's `next`.", {"type": "string"}, None),
    "format": ("Overrides Accept: jsonld, json, geojson or csv.", {"enum": list(EXTENSIONS)}, None),
    "lang": ("Language of the names in GeoJSON and CSV.", {"enum": ["es", "en"]}, "es"),
}  # fmt: skip


def _openapi_parameters(resource: str) -> list[dict]:
    out = []
    for name in [*sorted(LIST_PARAMETERS[resource]), *sorted(COMMON_PARAMETERS)]:
        description, schema, example = PARAMETER_DOCS[name]
        param = {"name": name, "in": "query", "required": False, "description": description,
                 "schema": schema}  # fmt: skip
        if example is not None:
            param["example"] = example
        out.append(param)
    return out


for _resource in api_index.RESOURCES:
    _register(_resource)


@context_router.get(
    "/context.jsonld",
    summary="The JSON-LD context of the API",
    description="Served from the package; documents name it by its public URL "
    "(`{base_iri}context.jsonld`), and nothing ever fetches it from the web.",
)
async def context_document() -> Response:
    return Response(
        jsonld.context_bytes(),
        media_type="application/ld+json",
        headers={"Cache-Control": "public, max-age=86400"},
    )
