"""The REST facade under /api/v1, and the JSON-LD context at /context.jsonld.

Six resources (:data:`iatp_kg.api_index.RESOURCES`), each with a list (``/api/v1/{resource}``,
also ``.geojson``/``.csv``/``.jsonld``/``.json``) and a detail (``/api/v1/{resource}/{slug}``,
the slug being the last segment of the data IRI, an ISIC code for sectors).

- Lists filter, sort and page an index made once per store version
  (:mod:`iatp_kg.api_state`); no request value reaches SPARQL text. Pages are cut by keyset
  from a signed cursor (:mod:`iatp_kg.api_cursor`); ``Link`` (first, next) and
  ``X-Total-Count`` headers; a ``hydra:Collection`` body with ``items``, ``total`` and
  ``view`` (first, next).
- Details run a CONSTRUCT with the IRI bound as a term and frame it (:mod:`iatp_kg.api_detail`).
- JSON-LD (compacted against /context.jsonld), plain JSON (the same document), GeoJSON
  (initiatives and territories: RFC 7946 Features, things without a point left out of a
  FeatureCollection) or CSV, by Accept, ``format=`` or the extension; 406 when nothing fits.
- Parameters are strict: an unknown parameter or one given twice is a 400 naming it, as is any
  bad value. ETag / Last-Modified with 304, as /sparql.
"""

from __future__ import annotations

import dataclasses
from typing import Annotated

import orjson
from fastapi import APIRouter, Path, Request, Response

from iatp_kg import api_detail, api_docs, api_params, api_render, api_state, jsonld
from iatp_kg.api_cursor import CursorSigner, query_digest
from iatp_kg.api_index import RESOURCES, Filters
from iatp_kg.api_render import (
    CSV,
    EXTENSIONS,
    GEO_RESOURCES,
    GEOJSON,
    extensions,
    offered,
)
from iatp_kg.context import AppContext, ContextDep
from iatp_kg.errors import BadRequest, NotFound
from iatp_kg.negotiation import negotiate
from iatp_kg.routers.sparql import cache_headers, etag_for, not_modified

router = APIRouter(tags=["REST"])

DEFAULT_LIMIT, MAX_LIMIT = 20, 500
MAX_VALUE = 1000  # characters of any parameter value (q: api_params.MAX_TEXT)
SIGNER = CursorSigner.random()  # cursors live as long as the process
SINGULAR = {"initiatives": "initiative", "actors": "actor", "territories": "territory",
            "sectors": "sector", "workshops": "workshop", "projects": "project"}  # fmt: skip


# ---- parameters ----------------------------------------------------------------------------
def query_parameters(request: Request, allowed: tuple[str, ...]) -> dict[str, str]:
    """The query parameters, each given once, each one of ``allowed``, no control characters."""
    unknown = sorted({k for k in request.query_params if k not in allowed})
    if unknown:
        shown = ", ".join(repr(u[:40]) for u in unknown[:5])
        raise BadRequest(
            f"unknown parameter {shown}; this route takes {', '.join(allowed) or 'none'}"
        )
    params: dict[str, str] = {}
    for key, value in request.query_params.multi_items():
        if key in params:
            raise BadRequest(f"{key}: given more than once; give it once")
        params[key] = api_params.text_value(key, value, MAX_VALUE)
    return params


def filters_of(p: dict[str, str]) -> Filters:
    q = None
    if "q" in p:
        q = " ".join(
            api_params.fold(api_params.text_value("q", p["q"], api_params.MAX_TEXT)).split()
        )
        if not q:
            raise BadRequest("q: give some text to search for")
    lo, hi = api_params.year_range(p.get("founded_from"), p.get("founded_to"))
    return Filters(
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
        q=q,
        bbox=api_params.bbox(p["bbox"]) if "bbox" in p else None,
        founded_from=lo,
        founded_to=hi,
    )


def media_of(request: Request, resource: str, p: dict[str, str], ext: str | None) -> str:
    """The media type: by extension, else ``format=``, else Accept (406 when nothing fits)."""
    if ext is not None:
        media = EXTENSIONS.get(ext)
        if media not in offered(resource):
            raise NotFound(
                f"no format {ext[:20]!r} here; try "
                + ", ".join(f".{e}" for e in extensions(resource))
            )
        return media
    if "format" in p:
        wanted = p["format"].strip().lower()
        media = EXTENSIONS.get(wanted, wanted)
        if media not in offered(resource):
            raise BadRequest(
                f"format: {wanted[:40]!r} is not one of {', '.join(extensions(resource))}"
            )
        return media
    return negotiate(request.headers.get("accept"), offered(resource), aliases={})


def lang_of(p: dict[str, str]) -> str:
    return api_params.choice("lang", p["lang"], ("es", "en")) if "lang" in p else "en"


def resource_of(request: Request) -> str:
    """The resource a route serves: its name is ``{resource}.{list|file|detail}``."""
    return request.scope["route"].name.split(".")[0]


def _json(body: dict, media: str, headers: dict) -> Response:
    return Response(orjson.dumps(body), media_type=media, headers=headers)


# ---- lists ---------------------------------------------------------------------------------
async def list_resources(request: Request, ctx: ContextDep) -> Response:
    return await _list(request, ctx, resource_of(request), None)


async def list_resources_file(
    request: Request,
    ctx: ContextDep,
    ext: Annotated[
        str,
        Path(
            description="The format: geojson (initiatives, territories), csv, jsonld or json.",
            json_schema_extra={"enum": list(EXTENSIONS)},
        ),
    ],
) -> Response:
    return await _list(request, ctx, resource_of(request), ext)


async def _list(request: Request, ctx: AppContext, resource: str, ext: str | None) -> Response:
    spec = RESOURCES[resource]
    p = query_parameters(request, (*spec.filters, *api_docs.COMMON))
    filters = filters_of(p)
    sort = p.get("sort", "name").strip()
    if sort not in spec.sorts:
        raise BadRequest(f"sort: {sort[:40]!r} is not one of {', '.join(spec.sorts)}")
    limit = api_params.limit(p.get("limit"), DEFAULT_LIMIT, MAX_LIMIT)
    media = media_of(request, resource, p, ext)
    lang = lang_of(p)
    if media == GEOJSON:  # a FeatureCollection lists what has a point
        filters = dataclasses.replace(filters, located=True)
    digest = query_digest(resource, filters.key(), sort)
    after = SIGNER.decode(p["cursor"], digest).position if "cursor" in p else None

    etag = etag_for(ctx.store.version, str(request.url), media)
    headers = cache_headers(ctx, etag)
    if not_modified(request, etag, ctx.store.last_modified):
        return Response(status_code=304, headers=headers)

    items, keys = await api_state.selection(ctx, resource, filters, sort)
    start = api_state.page_start(keys, after, sort)
    page = items[start : start + limit]
    total = len(items)
    first = str(request.url.remove_query_params("cursor"))
    next_url = None
    if page and start + len(page) < total:
        token = SIGNER.encode(digest, keys[start + len(page) - 1], total, ctx.store.version)
        next_url = str(request.url.include_query_params(cursor=token))
    headers["X-Total-Count"] = str(total)
    headers["Link"] = f'<{first}>; rel="first"' + (
        f', <{next_url}>; rel="next"' if next_url else ""
    )
    id_base = ctx.settings.id_base

    if media == CSV:
        body = api_render.csv_table(resource, page, id_base, lang)
        return Response(body, media_type="text/csv; charset=utf-8", headers=headers)
    if media == GEOJSON:
        collection = {
            "type": "FeatureCollection",
            "features": [api_render.feature(i, id_base, lang) for i in page],
            "totalItems": total,
        }
        if next_url:
            collection["next"] = next_url
        return _json(collection, GEOJSON, headers)
    view = {"id": str(request.url), "type": "PartialCollectionView", "first": first}
    if next_url:
        view["next"] = next_url
    collection = {
        "@context": jsonld.context_url(ctx.settings.base_iri),
        "id": str(request.url.remove_query_params(["cursor", "limit"])),
        "type": "Collection",
        "total": total,
        "items": [api_render.summary(i, resource, id_base) for i in page],
        "view": view,
    }
    return _json(collection, media, headers)


# ---- details -------------------------------------------------------------------------------
async def get_resource(
    request: Request,
    ctx: ContextDep,
    slug: Annotated[
        str,
        Path(
            description="The last segment of the resource's IRI (for sectors, the ISIC code), "
            "optionally followed by .jsonld, .json, .geojson or .csv.",
        ),
    ],
) -> Response:
    resource = resource_of(request)
    stem, dot, ext = slug.rpartition(".")
    if not dot or ext not in EXTENSIONS:
        stem, ext = slug, None
    p = query_parameters(request, ("format", "lang"))
    media = media_of(request, resource, p, ext)
    lang = lang_of(p)
    check = api_params.isic if resource == "sectors" else api_params.slug
    stem = check(stem, "slug")
    iri = None
    for kind in RESOURCES[resource].kinds:
        candidate = f"{ctx.settings.id_base}{kind}/{stem}"
        if await api_state.exists(ctx, resource, candidate):
            iri = candidate
            break
    if iri is None:
        raise NotFound(f"no {SINGULAR[resource]} {stem!r}")

    etag = etag_for(ctx.store.version, str(request.url), media)
    headers = cache_headers(ctx, etag)
    if not_modified(request, etag, ctx.store.last_modified):
        return Response(status_code=304, headers=headers)
    if media in (CSV, GEOJSON):
        item = await api_state.one(ctx, resource, iri)
        if item is None:  # gone between the two reads
            raise NotFound(f"no {SINGULAR[resource]} {stem!r}")
        if media == CSV:
            body = api_render.csv_table(resource, [item], ctx.settings.id_base, lang)
            return Response(body, media_type="text/csv; charset=utf-8", headers=headers)
        return _json(api_render.feature(item, ctx.settings.id_base, lang), GEOJSON, headers)
    return _json(await api_detail.document(ctx, resource, iri), media, headers)


# ---- the routing table ---------------------------------------------------------------------
LIST_DESCRIPTION = (
    "A page of {resource}: JSON-LD (a `hydra:Collection` with `items`, `total` and a `view` "
    "with `first` and `next`), plain JSON (the same document){geo} or CSV (one row per item, "
    "several values joined by ` | `), by Accept, `format=` or the extension route. Pages: "
    "`limit` and the opaque `cursor` of `view.next`; the `Link` header gives `first` and "
    "`next`, `X-Total-Count` the total. An unknown or repeated parameter is a 400 that names "
    "it; so is any bad value."
)
GEO = (
    ", GeoJSON (`application/geo+json`: RFC 7946 Features, `[longitude, latitude]`; what has "
    "no point is left out, and `totalItems` counts what has one)"
)
DETAIL_DESCRIPTION = {
    "initiatives": "One initiative, framed: it nests its territory (`country`, `locatedIn`), "
    "its sectors and other concepts with their labels, its point, and its `memberships` with "
    "their actor (`member`), roles and period (`memberDuring`).",
    "actors": "One organization or person, framed: it nests the memberships it holds "
    "(`memberOf`) with their initiative, roles and period.",
}


def _register(resource: str) -> None:
    title = resource.capitalize()
    geo = GEO if resource in GEO_RESOURCES else ""
    media = offered(resource)
    list_params = api_docs.parameters(resource)
    router.add_api_route(
        f"/api/v1/{resource}",
        list_resources,
        methods=["GET"],
        response_class=Response,
        name=f"{resource}.list",
        operation_id=f"list_{resource}",
        summary=f"{title}: a page of the list, filtered and sorted",
        description=LIST_DESCRIPTION.format(resource=resource, geo=geo),
        responses=api_docs.responses(api_docs.LIST_EXAMPLES, media, f"A page of {resource}."),
        openapi_extra={"parameters": list_params},
    )
    router.add_api_route(
        f"/api/v1/{resource}.{{ext}}",
        list_resources_file,
        methods=["GET"],
        response_class=Response,
        name=f"{resource}.file",
        operation_id=f"list_{resource}_as_file",
        summary=f"{title}: the list in the format its extension names",
        description=f"As `/api/v1/{resource}`, in the format of the extension "
        f"({', '.join(extensions(resource))}); another is a 404.",
        responses=api_docs.responses(api_docs.LIST_EXAMPLES, media, f"A page of {resource}."),
        openapi_extra={"parameters": list_params},
    )
    router.add_api_route(
        f"/api/v1/{resource}/{{slug}}",
        get_resource,
        methods=["GET"],
        response_class=Response,
        name=f"{resource}.detail",
        operation_id=f"get_{SINGULAR[resource]}",
        summary=f"{title}: one, by the last segment of its IRI",
        description=DETAIL_DESCRIPTION.get(resource, "One resource, framed around its IRI.")
        + " JSON-LD, plain JSON"
        + (", GeoJSON (a Feature; a null geometry when it has no point)" if geo else "")
        + " or CSV (one row), by Accept, `format=` or the extension. Unknown: 404.",
        responses=api_docs.responses(api_docs.DETAIL_EXAMPLES, media, f"One of the {resource}."),
        openapi_extra={"parameters": api_docs.parameters(resource, detail=True)},
    )


for _resource in RESOURCES:
    _register(_resource)


@router.get(
    "/context.jsonld",
    response_class=Response,
    summary="The JSON-LD context of the API",
    description="Served from the package; documents name it by its public URL "
    "(`{base_iri}context.jsonld`), and nothing here ever fetches it from the web.",
    responses={
        200: {
            "description": "The context.",
            "content": {"application/ld+json": {"example": {"@context": {"id": "@id"}}}},
        }
    },
)
async def context_document() -> Response:
    return Response(
        jsonld.context_bytes(),
        media_type="application/ld+json",
        headers={"Cache-Control": "public, max-age=86400"},
    )
