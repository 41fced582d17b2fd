"""The SPARQL 1.1 Protocol at /sparql (queries only), the Service Description, the editor."""

from __future__ import annotations

import hashlib
import re
from email.utils import formatdate, parsedate_to_datetime

from fastapi import APIRouter, Request, Response
from fastapi.responses import HTMLResponse, StreamingResponse

from iatp_kg import service_description
from iatp_kg.context import AppContext, ContextDep
from iatp_kg.errors import BadRequest
from iatp_kg.executor import QueryJob
from iatp_kg.namespaces import PRIVATE_GRAPH_PREFIX
from iatp_kg.negotiation import (
    RDF_MEDIA_TYPES,
    RESULT_MEDIA_TYPES,
    format_override,
    negotiate,
    wants_html,
)
from iatp_kg.routers.protocol import iris, protocol_params, single
from iatp_kg.sparql_text import check_depth, check_outbound, query_form, reach

router = APIRouter(tags=["SPARQL"])

TEXT_TYPES = {"text/csv", "text/tab-separated-values", "text/turtle"}


def with_charset(media_type: str) -> str:
    return f"{media_type}; charset=utf-8" if media_type in TEXT_TYPES else media_type


_CHANGING = re.compile(r"\b(RAND|NOW|UUID|STRUUID|BNODE)\s*\(", re.IGNORECASE)


def deterministic(query: str) -> bool:
    """False when the query calls a function whose value changes between runs (RAND, NOW,
    UUID, STRUUID, BNODE): its result is never served from the cache.

    >>> deterministic("SELECT (RAND() AS ?r) {}"), deterministic("SELECT ?brand { ?s ?p ?brand }")
    (False, True)
    """
    return _CHANGING.search(query) is None


def etag_for(version: str, *parts: object) -> str:
    digest = hashlib.sha1(repr((version, *parts)).encode()).hexdigest()[:20]
    return f'W/"{digest}"'


def not_modified(request: Request, etag: str, last_modified: float) -> bool:
    inm = request.headers.get("if-none-match")
    if inm is not None:
        return any(tag.strip() in (etag, "*") for tag in inm.split(","))
    ims = request.headers.get("if-modified-since")
    if ims:
        try:
            return int(last_modified) <= parsedate_to_datetime(ims).timestamp()
        except (TypeError, ValueError):
            return False
    return False


def cache_headers(ctx: AppContext, etag: str) -> dict[str, str]:
    return {
        "ETag": etag,
        "Last-Modified": formatdate(ctx.store.last_modified, usegmt=True),
        "Cache-Control": "public, max-age=0, must-revalidate",
        "Vary": "Accept",
    }


@router.api_route(
    "/sparql",
    methods=["GET", "POST"],
    summary="SPARQL 1.1 Protocol query endpoint",
    description="Queries by GET `?query=`, by POST form or by POST `application/sparql-query`. "
    "Without a query: the Service Description (or the query editor for a browser).",
)
@router.api_route("/sparql/", methods=["GET", "POST"], include_in_schema=False)
async def sparql(request: Request, ctx: ContextDep) -> Response:
    settings = ctx.settings
    params = await protocol_params(
        request,
        direct_type="application/sparql-query",
        field="query",
        limit=settings.max_body_bytes,
    )
    if any(k == "update" for k, _ in params):
        raise BadRequest("/sparql runs queries only; send updates to /update")
    query = single(params, "query")
    override = single(params, "format") or single(params, "output") or single(params, "results")
    accept = request.headers.get("accept")
    if query is None:
        if request.method == "POST":
            raise BadRequest("the request has no 'query'")
        return await describe_service(request, ctx, accept, override)
    form = query_form(query)
    check_depth(query)
    offered = RESULT_MEDIA_TYPES if form in ("SELECT", "ASK") else RDF_MEDIA_TYPES
    media = format_override(override, offered) or negotiate(accept, offered)
    default_graphs = iris(params, "default-graph-uri")
    named_graphs = iris(params, "named-graph-uri")
    r = reach(query)
    check_outbound(r, settings.service_allowlist)
    for iri in (*r.from_default, *r.from_named, *default_graphs, *named_graphs):
        if iri.startswith(PRIVATE_GRAPH_PREFIX):
            raise BadRequest(f"<{iri}> is not a public graph of this dataset")
    protocol_dataset = bool(default_graphs or named_graphs)
    job = QueryJob(
        query=query,
        media_type=media,
        default_graphs=tuple(default_graphs) if default_graphs else None,
        named_graphs=tuple(named_graphs) if protocol_dataset else None,
        query_dataset=bool(r.from_default or r.from_named) and not protocol_dataset,
        base_iri=str(request.url).split("?", 1)[0],
    )
    version = ctx.store.version
    etag = etag_for(version, query, media, default_graphs, named_graphs)
    headers = cache_headers(ctx, etag)
    if request.method == "GET" and not_modified(request, etag, ctx.store.last_modified):
        return Response(status_code=304, headers=headers)
    if ctx.results is None or r.services or r.variable_service or not deterministic(query):
        body = await ctx.executor.stream(job, version)
        return StreamingResponse(body, media_type=with_charset(media), headers=headers)
    key = (job.query, media, job.default_graphs, job.named_graphs, job.base_iri)
    cached = ctx.results.get(version, key)
    if cached is not None:
        return Response(cached, media_type=with_charset(media), headers=headers)
    body = ctx.results.keep(version, key, await ctx.executor.stream(job, version))
    return StreamingResponse(body, media_type=with_charset(media), headers=headers)


async def describe_service(
    request: Request, ctx: AppContext, accept: str | None, override: str | None
) -> Response:
    if override is None and wants_html(accept):
        from iatp_kg.pages import render_editor

        return HTMLResponse(render_editor(request))
    media = format_override(override, RDF_MEDIA_TYPES) or negotiate(accept, RDF_MEDIA_TYPES)
    version = ctx.store.version
    etag = etag_for(version, "service-description", media)
    headers = cache_headers(ctx, etag)
    if not_modified(request, etag, ctx.store.last_modified):
        return Response(status_code=304, headers=headers)
    statistics = await ctx.per_version(
        "statistics", lambda: service_description.graph_statistics(ctx.executor, version)
    )
    endpoint = str(request.url).split("?", 1)[0].rstrip("/")
    graph = service_description.build(
        endpoint,
        statistics,
        union_default_graph=ctx.settings.union_default_graph,
        update_endpoint=endpoint.rsplit("/", 1)[0] + "/update"
        if ctx.settings.admin_token
        else None,
    )
    rdflib_format = {
        "text/turtle": "turtle",
        "application/n-triples": "nt",
        "application/n-quads": "nquads",
        "application/trig": "trig",
        "application/rdf+xml": "xml",
        "application/ld+json": "json-ld",
    }[media]
    return Response(
        graph.serialize(format=rdflib_format), media_type=with_charset(media), headers=headers
    )
