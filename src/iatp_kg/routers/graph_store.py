"""The SPARQL 1.1 Graph Store HTTP Protocol at /store.

Graphs are named indirectly (``/store?graph=IRI``, a relative IRI resolved against the request
URL; ``/store?default`` for the default graph) or directly (``/store/some/path`` names the graph
whose IRI is that request URL, query string excluded). ``/store`` alone is the whole store:
GET returns its public graphs as a dataset (N-Quads, TriG or JSON-LD; 406 for a
triples-only syntax), POST creates a
new graph ``.../graph/store/{uuid}`` and answers 201 with its ``Location``.

Who may do what:

- GET and HEAD are public: no token is needed, and an Authorization header is ignored.
  Private graphs (under ``.../graph/private/``) are never served here, token or not: they
  answer 404, as if they did not exist, and the whole-store GET leaves them out (the model's
  rule: no public surface reads them; the operator reads them with the ``iatp-kg`` CLI).
- PUT, POST and DELETE need the admin token (403 when none is configured, 401 when wrong).
  The admin may write and delete private graphs here (the registry's contacts live there),
  as with /update; they stay unreadable over HTTP.

Writes: the body is any RDF syntax of :mod:`iatp_kg.formats`, chosen by Content-Type (415
otherwise), or ``multipart/form-data`` whose parts are such documents; it is limited to
``max_body_bytes`` (413) and a syntax error is 400 with line and column. Blank nodes of each
document are fresh (a POST never merges them with existing ones). The data is SHACL-validated
against the store before anything is written: non-conforming data is 422 with the report (JSON,
or Turtle when the client prefers ``text/turtle``) and nothing is written. PUT replaces a graph
in one transaction (201 when it was created, 204 otherwise); POST merges (201 when created,
204 otherwise); DELETE drops (204, or 404 when the graph does not exist).
"""

from __future__ import annotations

import asyncio
import io
import uuid
from urllib.parse import urljoin, urlsplit

import pyoxigraph as ox
from fastapi import APIRouter, Request, Response

from iatp_kg.auth import require_admin
from iatp_kg.context import AppContext, ContextDep
from iatp_kg.errors import (
    BadRequest,
    NotConforming,
    NotFound,
    PayloadTooLarge,
    UnsupportedMediaType,
)
from iatp_kg.formats import RDF_SYNTAXES, RdfSyntax
from iatp_kg.loading import parse_bytes
from iatp_kg.namespaces import GRAPH, PRIVATE_GRAPH_PREFIX
from iatp_kg.negotiation import ALIASES, RDF_MEDIA_TYPES, media_type_of, negotiate
from iatp_kg.routers.protocol import read_body, single
from iatp_kg.validation import context_for, quads_to_graph, validate_graph

router = APIRouter(tags=["Graph Store"])
BY_MEDIA = {s.media_type: s for s in RDF_SYNTAXES}
DATASET_MEDIA_TYPES = [s.media_type for s in RDF_SYNTAXES if s.datasets]
Target = ox.NamedNode | ox.DefaultGraph


def _request_url(request: Request) -> str:
    return str(request.url).split("?", 1)[0]


def target(request: Request, path: str | None = None) -> Target | None:
    """The graph a request names: ``?graph=IRI``, ``?default``, the request URL itself (direct
    identification, when ``path`` is given), or None for the store itself."""
    params = list(request.query_params.multi_items())
    graph = single(params, "graph")
    has_default = any(k == "default" for k, _ in params)
    if sum((graph is not None, has_default, bool(path))) > 1:
        raise BadRequest("name one graph: ?graph=IRI, ?default, or a path under /store/")
    if has_default:
        return ox.DefaultGraph()
    if path:
        return ox.NamedNode(_request_url(request))
    if graph is None:
        return None
    if not urlsplit(graph).scheme:
        graph = urljoin(_request_url(request), graph)
    try:
        return ox.NamedNode(graph)
    except ValueError as exc:
        raise BadRequest(f"?graph={graph!r} is not an IRI: {exc}") from exc


def _is_private(node: Target) -> bool:
    return isinstance(node, ox.NamedNode) and node.value.startswith(PRIVATE_GRAPH_PREFIX)


def _has_content(ctx: AppContext, node: Target) -> bool:
    return next(iter(ctx.store.quads(None, None, None, node)), None) is not None


def _exists(ctx: AppContext, node: Target) -> bool:
    """Whether a graph exists; the default graph exists when it holds a triple."""
    if isinstance(node, ox.DefaultGraph):
        return _has_content(ctx, node)
    return ctx.store.contains_graph(node)


# ---- reading ---------------------------------------------------------------------------------
async def read_graph(request: Request, ctx: AppContext, path: str | None = None) -> Response:
    node = target(request, path)
    offered = DATASET_MEDIA_TYPES if node is None else RDF_MEDIA_TYPES
    media = negotiate(request.headers.get("accept"), offered)
    syntax = BY_MEDIA[media]
    out = io.BytesIO()
    if node is None:
        graphs = ctx.store.public_graphs()
        await asyncio.to_thread(
            ctx.store.dump, out, syntax.oxigraph, graphs=[ox.DefaultGraph(), *graphs]
        )
    else:
        if isinstance(node, ox.NamedNode) and (
            not ctx.store.contains_graph(node) or _is_private(node)
        ):
            raise NotFound(f"no graph {node}")
        await asyncio.to_thread(ctx.store.dump, out, syntax.oxigraph, graph=node)
    body = out.getvalue()
    headers = {"Vary": "Accept"}
    if request.method == "HEAD":
        headers["Content-Length"] = str(len(body))
        return Response(status_code=200, media_type=media, headers=headers)
    return Response(body, media_type=media, headers=headers)


# ---- parsing ---------------------------------------------------------------------------------
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


def parse_document(body: bytes, syntax: RdfSyntax, base: str, node: Target, source: str):
    """The triples of one document as quads in ``node``, each blank node made fresh."""
    fresh: dict[str, ox.BlankNode] = {}

    def term(t):
        if isinstance(t, ox.BlankNode):
            return fresh.setdefault(t.value, ox.BlankNode())
        return t

    parsed = parse_bytes(body, syntax, base_iri=base, source=source)
    return [ox.Quad(term(q.subject), q.predicate, term(q.object), node) for q in parsed]


async def _parse_body(request: Request, ctx: AppContext, node: Target) -> list[ox.Quad]:
    content_type = request.headers.get("content-type")
    base = _request_url(request)
    limit = ctx.settings.max_body_bytes
    if media_type_of(content_type) == "multipart/form-data":
        declared = request.headers.get("content-length")
        if not declared or not declared.isdigit() or int(declared) > limit:
            raise PayloadTooLarge(f"a multipart body needs a Content-Length of at most {limit:,}")
        quads: list[ox.Quad] = []
        async with request.form() as form:
            for name, part in form.multi_items():
                if isinstance(part, str):
                    continue
                syntax = _syntax(part.content_type)
                body = await part.read()
                quads += parse_document(body, syntax, base, node, part.filename or name)
        return quads
    syntax = _syntax(content_type)
    body = await read_body(request, limit)
    return parse_document(body, syntax, base, node, "body")


# ---- validating ------------------------------------------------------------------------------
async def _validate(ctx: AppContext, quads: list[ox.Quad], replacing: Target | None) -> None:
    data = quads_to_graph(quads)
    exclude = {replacing.value} if isinstance(replacing, ox.NamedNode) else set()

    def check():
        return validate_graph(data, context=context_for(ctx.store, data, exclude=exclude))

    report = await asyncio.to_thread(check)
    if not report.conforms:
        raise NotConforming(
            f"the data does not conform to the shapes ({len(report.violations)} violations); "
            "nothing was written",
            detail=report,
        )


def _wants_turtle(request: Request) -> bool:
    try:
        chosen = negotiate(request.headers.get("accept"), ["application/json", "text/turtle"])
    except Exception:
        return False
    return chosen == "text/turtle"


# ---- writing ---------------------------------------------------------------------------------
def _ntriples(quads: list[ox.Quad]) -> str:
    out = io.BytesIO()
    ox.serialize((ox.Triple(q.subject, q.predicate, q.object) for q in quads), out,
                 ox.RdfFormat.N_TRIPLES)  # fmt: skip
    return out.getvalue().decode()


def _has_blank(quads: list[ox.Quad]) -> bool:
    return any(isinstance(t, ox.BlankNode) for q in quads for t in (q.subject, q.object))


def _write(ctx: AppContext, node: Target, quads: list[ox.Quad], replace: bool) -> None:
    """One transaction: replace or merge ``quads`` into ``node`` (creating it if needed)."""
    if not replace and quads:
        ctx.store.add_quads(quads)
        return
    name = "DEFAULT" if isinstance(node, ox.DefaultGraph) else f"GRAPH <{node.value}>"
    parts = [f"DROP SILENT {name}"] if replace else []
    if isinstance(node, ox.NamedNode):
        parts.append(f"CREATE SILENT GRAPH <{node.value}>")
    body = _ntriples(quads)
    if body:
        inner = body if isinstance(node, ox.DefaultGraph) else f"GRAPH <{node.value}> {{\n{body}}}"
        parts.append(ctx.store.dialect.insert(inner, _has_blank(quads)))
    if parts:
        ctx.store.update(" ;\n".join(parts), graphs=[node])


async def write_graph(request: Request, ctx: AppContext, path: str | None = None) -> Response:
    require_admin(ctx.settings, request.headers.get("authorization"))
    node = target(request, path)
    location = None
    if node is None:
        if request.method == "PUT":
            raise BadRequest("PUT needs ?graph=IRI, ?default or a graph path under /store/")
        node = ox.NamedNode(str(GRAPH[f"store/{uuid.uuid4().hex}"]))
        location = node.value
    quads = await _parse_body(request, ctx, node)
    replace = request.method == "PUT"
    async with ctx.write_lock:
        existed = _exists(ctx, node)
        try:
            await _validate(ctx, quads, node if replace else None)
        except NotConforming as exc:
            if _wants_turtle(request):
                return Response(exc.detail.to_turtle(), status_code=422, media_type="text/turtle")
            raise
        await asyncio.to_thread(_write, ctx, node, quads, replace)
    if location:
        return Response(status_code=201, headers={"Location": location})
    return Response(status_code=204 if existed else 201)


async def delete_graph(request: Request, ctx: AppContext, path: str | None = None) -> Response:
    require_admin(ctx.settings, request.headers.get("authorization"))
    node = target(request, path)
    if node is None:
        raise BadRequest("DELETE needs ?graph=IRI, ?default or a graph path under /store/")
    async with ctx.write_lock:
        if isinstance(node, ox.DefaultGraph):
            await asyncio.to_thread(
                ctx.store.update, "DROP SILENT DEFAULT", graphs=[ox.DefaultGraph()]
            )
        else:
            if not ctx.store.contains_graph(node):
                raise NotFound(f"no graph {node}")
            await asyncio.to_thread(ctx.store.drop_graphs, [node])
    return Response(status_code=204)


# ---- routes ----------------------------------------------------------------------------------
@router.api_route("/store", methods=["GET", "HEAD"], summary="Graph Store: read a graph")
async def read_indirect(request: Request, ctx: ContextDep) -> Response:
    return await read_graph(request, ctx)


@router.api_route("/store", methods=["PUT", "POST"], summary="Graph Store: write a graph")
async def write_indirect(request: Request, ctx: ContextDep) -> Response:
    return await write_graph(request, ctx)


@router.delete("/store", summary="Graph Store: delete a graph")
async def delete_indirect(request: Request, ctx: ContextDep) -> Response:
    return await delete_graph(request, ctx)


@router.api_route("/store/{path:path}", methods=["GET", "HEAD"], include_in_schema=False)
async def read_direct(path: str, request: Request, ctx: ContextDep) -> Response:
    return await read_graph(request, ctx, path)


@router.api_route("/store/{path:path}", methods=["PUT", "POST"], include_in_schema=False)
async def write_direct(path: str, request: Request, ctx: ContextDep) -> Response:
    return await write_graph(request, ctx, path)


@router.delete("/store/{path:path}", include_in_schema=False)
async def delete_direct(path: str, request: Request, ctx: ContextDep) -> Response:
    return await delete_graph(request, ctx, path)
