"""The SPARQL 1.1 Graph Store HTTP Protocol at /store (``?graph=IRI`` or ``?default``).

Reads (GET, HEAD) of public graphs are public; private graphs are never served here. Writes
(PUT, POST, DELETE) need the bearer token, and data is SHACL-validated first: non-conforming
data gets 422 with the report, and nothing is written.
"""

from __future__ import annotations

import asyncio
import uuid

import pyoxigraph as ox
from fastapi import APIRouter, Request, Response

from iatp_kg.auth import require_admin
from iatp_kg.context import AppContext, ContextDep
from iatp_kg.errors import (
    BadRequest,
    NotConforming,
    NotFound,
    PayloadTooLarge,
    SyntaxProblem,
    UnsupportedMediaType,
)
from iatp_kg.formats import RDF_SYNTAXES, RdfSyntax
from iatp_kg.namespaces import GRAPH, PRIVATE_GRAPH_PREFIX
from iatp_kg.negotiation import ALIASES, RDF_MEDIA_TYPES, media_type_of, negotiate
from iatp_kg.routers.protocol import read_body, single
from iatp_kg.validation import context_for, quads_to_graph, validate_graph

router = APIRouter(tags=["Graph Store"])
BY_MEDIA = {s.media_type: s for s in RDF_SYNTAXES}


def target(request: Request) -> ox.NamedNode | ox.DefaultGraph | None:
    """The graph a request names: ``?graph=IRI``, ``?default``, or None for the store itself."""
    params = list(request.query_params.multi_items())
    graph = single(params, "graph")
    has_default = any(k == "default" for k, _ in params)
    if graph is not None and has_default:
        raise BadRequest("give either ?graph=IRI or ?default, not both")
    if has_default:
        return ox.DefaultGraph()
    if graph is not None:
        if not graph or any(c in graph for c in ' <>"{}|^`\\'):
            raise BadRequest(f"?graph={graph!r} is not an IRI")
        return ox.NamedNode(graph)
    return None


def _is_private(node) -> bool:
    return isinstance(node, ox.NamedNode) and node.value.startswith(PRIVATE_GRAPH_PREFIX)


def _exists(ctx: AppContext, node) -> bool:
    if isinstance(node, ox.DefaultGraph):
        return True
    return ctx.store.contains_graph(node) and not _is_private(node)


@router.api_route("/store", methods=["GET", "HEAD"], summary="Graph Store Protocol: read a graph")
async def read_graph(request: Request, ctx: ContextDep) -> Response:
    node = target(request)
    media = negotiate(request.headers.get("accept"), RDF_MEDIA_TYPES)
    syntax = BY_MEDIA[media]
    if node is None:
        if not syntax.datasets:
            media, syntax = "application/n-quads", BY_MEDIA["application/n-quads"]
        graphs = ctx.store.public_graphs()
    elif not _exists(ctx, node):
        raise NotFound(f"no graph {node}")
    import io

    out = io.BytesIO()
    if node is None:
        ctx.store.dump(out, syntax.oxigraph, graphs=graphs)
    else:
        ctx.store.dump(out, syntax.oxigraph, graph=node)
    body = out.getvalue()
    if request.method == "HEAD":
        return Response(
            status_code=200, media_type=media, headers={"Content-Length": str(len(body))}
        )
    return Response(body, media_type=media)


def _syntax(content_type: str | None) -> RdfSyntax:
    media = media_type_of(content_type)
    media = ALIASES.get(media, media)
    syntax = BY_MEDIA.get(media)
    if syntax is None:
        raise UnsupportedMediaType(
            f"Content-Type {media or '(none)'} is not an RDF syntax this store reads; "
            f"use one of {', '.join(BY_MEDIA)} (or multipart/form-data of those)"
        )
    return syntax


def _parse(body: bytes, syntax: RdfSyntax, base: str, node, source: str) -> list[ox.Quad]:
    try:
        parsed = list(ox.parse(body, syntax.oxigraph, base_iri=base))
    except SyntaxError as exc:
        raise SyntaxProblem(str(exc), source=source, line=exc.lineno, column=exc.offset) from exc
    return [ox.Quad(q.subject, q.predicate, q.object, node) for q in parsed]


async def _parse_body(request: Request, ctx: AppContext, node) -> list[ox.Quad]:
    content_type = request.headers.get("content-type")
    base = str(request.url).split("?")[0]
    if media_type_of(content_type) == "multipart/form-data":
        declared = request.headers.get("content-length")
        if not declared or not declared.isdigit() or int(declared) > ctx.settings.max_body_bytes:
            raise PayloadTooLarge(
                f"a multipart body needs a Content-Length of at most {ctx.settings.max_body_bytes:,} bytes"
            )
        quads: list[ox.Quad] = []
        async with request.form() as form:
            for name, part in form.multi_items():
                if isinstance(part, str):
                    continue
                syntax = _syntax(part.content_type)
                quads += _parse(await part.read(), syntax, base, node, part.filename or name)
        return quads
    syntax = _syntax(content_type)
    body = await read_body(request, ctx.settings.max_body_bytes)
    return _parse(body, syntax, base, node, "body")


async def _validate(ctx: AppContext, quads: list[ox.Quad], replacing: str | None) -> None:
    data = quads_to_graph(quads)

    def check():
        exclude = {replacing} if replacing else set()
        return validate_graph(data, context=context_for(ctx.store, data, exclude=exclude))

    report = await asyncio.to_thread(check)
    if not report.conforms:
        raise NotConforming(
            f"the data does not conform to the shapes ({len(report.violations)} violations); "
            "nothing was written",
            detail=report,
        )


def _report_response(request: Request, exc: NotConforming) -> Response | None:
    """A Turtle report when the client asks for Turtle (JSON goes through the error handler)."""
    accept = request.headers.get("accept") or ""
    if "text/turtle" in accept and "json" not in accept:
        return Response(exc.detail.to_turtle(), status_code=422, media_type="text/turtle")
    return None


@router.api_route("/store", methods=["PUT", "POST"], summary="Graph Store Protocol: write a graph")
async def write_graph(request: Request, ctx: ContextDep) -> Response:
    require_admin(ctx.settings, request.headers.get("authorization"))
    node = target(request)
    created_location = None
    if node is None:
        if request.method == "PUT":
            raise BadRequest("PUT needs ?graph=IRI or ?default")
        node = GRAPH[f"store/{uuid.uuid4().hex}"]
        node = ox.NamedNode(str(node))
        created_location = node.value
    quads = await _parse_body(request, ctx, node)
    replace = request.method == "PUT"
    async with ctx.write_lock:
        existed = _exists(ctx, node) and (
            not isinstance(node, ox.DefaultGraph)
            or any(True for _ in ctx.store.quads(None, None, None, node))
        )
        try:
            await _validate(
                ctx, quads, node.value if replace and isinstance(node, ox.NamedNode) else None
            )
        except NotConforming as exc:
            response = _report_response(request, exc)
            if response is not None:
                return response
            raise
        if isinstance(node, ox.DefaultGraph):
            if replace:
                await asyncio.to_thread(ctx.store.update, "DROP SILENT DEFAULT")
            await asyncio.to_thread(ctx.store.add_quads, quads)
        elif replace:
            await asyncio.to_thread(ctx.store.replace_graphs, {node.value: quads})
        else:
            await asyncio.to_thread(ctx.store.add_quads, quads)
            if not quads and not ctx.store.contains_graph(node):
                await asyncio.to_thread(ctx.store.update, f"CREATE SILENT GRAPH <{node.value}>")
    if created_location:
        return Response(status_code=201, headers={"Location": created_location})
    return Response(status_code=204 if existed else 201)


@router.delete("/store", summary="Graph Store Protocol: delete a graph")
async def delete_graph(request: Request, ctx: ContextDep) -> Response:
    require_admin(ctx.settings, request.headers.get("authorization"))
    node = target(request)
    if node is None:
        raise BadRequest("DELETE needs ?graph=IRI or ?default")
    async with ctx.write_lock:
        if isinstance(node, ox.DefaultGraph):
            await asyncio.to_thread(ctx.store.update, "DROP SILENT DEFAULT")
        else:
            if not ctx.store.contains_graph(node):
                raise NotFound(f"no graph {node}")
            await asyncio.to_thread(ctx.store.drop_graphs, [node])
    return Response(status_code=204)
