"""Dumps (/dumps/), the DCAT catalog (/catalog) and VoID (/.well-known/void).

Dumps are made on request from one snapshot of the store and streamed: the serialiser runs in
a thread and hands chunks to the response through a small bounded queue, so memory stays flat
whatever the size, and a client that goes away stops the serialiser. Private graphs are never
in them. ``iatp-kg export`` writes the same bytes offline.
"""

from __future__ import annotations

import asyncio
import contextlib
import gzip
import threading
from collections.abc import AsyncIterator
from dataclasses import dataclass
from datetime import UTC, datetime

import orjson
import pyoxigraph as ox
from fastapi import APIRouter, Request, Response
from fastapi.responses import HTMLResponse, StreamingResponse
from rdflib import Graph, Literal, URIRef
from rdflib.namespace import DCTERMS, VOID, XSD

from iatp_kg import reads
from iatp_kg.context import AppContext, ContextDep
from iatp_kg.errors import NotFound
from iatp_kg.namespaces import ID, PREFIXES
from iatp_kg.negotiation import negotiate, wants_html
from iatp_kg.pages import environment, language
from iatp_kg.routers.sparql import cache_headers, etag_for, not_modified
from iatp_kg.service_description import graph_statistics

router = APIRouter(tags=["Dumps and catalog"])

CHUNK = 256 * 1024
QUEUE_CHUNKS = 8  # at most 2 MiB waits between the serialiser and the socket


@dataclass(frozen=True)
class Dump:
    name: str
    media_type: str
    fmt: ox.RdfFormat
    gzip: bool
    title_es: str
    title_en: str


DUMPS = {
    d.name: d
    for d in (
        Dump(
            "iatp-kg.nq.gz",
            "application/n-quads",
            ox.RdfFormat.N_QUADS,
            True,
            "Todo el grafo público en N-Quads, comprimido (conserva los grafos con nombre)",
            "The whole public graph as N-Quads, gzipped (keeps the named graphs)",
        ),
        Dump(
            "iatp-kg.ttl",
            "text/turtle",
            ox.RdfFormat.TURTLE,
            False,
            "Todo el grafo público en Turtle (la unión de los grafos)",
            "The whole public graph as Turtle (the merge of the graphs)",
        ),
        Dump(
            "iatp-kg.jsonld",
            "application/ld+json",
            ox.RdfFormat.JSON_LD,
            False,
            "Todo el grafo público en JSON-LD (conserva los grafos con nombre)",
            "The whole public graph as JSON-LD (keeps the named graphs)",
        ),
    )
}


class _QueueWriter:
    """A binary file for the serialiser thread: chunks go into an asyncio queue; a closed
    consumer makes the next write fail, which stops the serialiser."""

    def __init__(self, loop: asyncio.AbstractEventLoop, queue: asyncio.Queue) -> None:
        self.loop, self.queue = loop, queue
        self.buffer = bytearray()
        self.cancelled = threading.Event()

    def _put(self, item) -> None:
        while True:
            if self.cancelled.is_set():
                raise BrokenPipeError("the client went away")
            future = asyncio.run_coroutine_threadsafe(self.queue.put(item), self.loop)
            try:
                future.result(timeout=1)
                return
            except TimeoutError:
                future.cancel()

    def write(self, data) -> int:
        self.buffer += data
        if len(self.buffer) >= CHUNK:
            self.flush()
        return len(data)

    def flush(self) -> None:
        if self.buffer:
            self._put(bytes(self.buffer))
            self.buffer.clear()

    def finish(self) -> None:
        self.flush()
        self._put(None)

    def fail(self, exc: BaseException) -> None:
        with contextlib.suppress(BrokenPipeError):
            self._put(exc)


async def stream_dump(ctx: AppContext, dump: Dump) -> AsyncIterator[bytes]:
    loop = asyncio.get_running_loop()
    queue: asyncio.Queue = asyncio.Queue(maxsize=QUEUE_CHUNKS)
    writer = _QueueWriter(loop, queue)

    def produce() -> None:
        try:
            if dump.gzip:
                with gzip.GzipFile(fileobj=writer, mode="wb", mtime=0) as out:
                    ctx.store.dump_public(out, dump.fmt)
            else:
                ctx.store.dump_public(writer, dump.fmt)
            writer.finish()
        except BrokenPipeError:
            pass
        except Exception as exc:  # sent to the consumer, which aborts the connection
            writer.fail(exc)

    task = loop.run_in_executor(None, produce)
    try:
        while True:
            item = await queue.get()
            if item is None:
                break
            if isinstance(item, BaseException):
                raise item
            yield item
    finally:
        writer.cancelled.set()
        while not task.done():
            with contextlib.suppress(asyncio.QueueEmpty):
                queue.get_nowait()
            await asyncio.sleep(0.01)


@router.api_route(
    "/dumps/{name}",
    methods=["GET", "HEAD"],
    summary="Download a dump",
    description="The public graphs, streamed from one snapshot of the store: "
    "`iatp-kg.nq.gz` (N-Quads, gzip), `iatp-kg.ttl` (Turtle, the merge of the graphs) or "
    "`iatp-kg.jsonld` (JSON-LD). `ETag` and `Last-Modified` follow the store; a "
    "conditional GET answers 304.",
    responses={
        200: {"content": {"application/n-quads": {}, "text/turtle": {}, "application/ld+json": {}}},
        404: {"description": "No such dump."},
    },
)
async def dump(name: str, request: Request, ctx: ContextDep) -> Response:
    found = DUMPS.get(name)
    if found is None:
        raise NotFound(f"no dump named {name[:100]!r}; the dumps are {', '.join(DUMPS)}")
    etag = etag_for(ctx.store.version, "dump", name)
    headers = {
        **cache_headers(ctx, etag),
        "Content-Disposition": f'attachment; filename="{name}"',
    }
    # A gzip file is served as one (a download), not with a Content-Encoding.
    media_type = "application/gzip" if found.gzip else found.media_type
    if not_modified(request, etag, ctx.store.last_modified):
        return Response(status_code=304, headers=headers)
    if request.method == "HEAD":
        return Response(media_type=media_type, headers=headers)
    return StreamingResponse(stream_dump(ctx, found), media_type=media_type, headers=headers)


@router.get(
    "/dumps/",
    summary="The list of dumps",
    description="A page for browsers; JSON for programs (name, URL, media type, compression).",
)
async def dumps_index(request: Request, ctx: ContextDep) -> Response:
    items = [
        {
            "name": d.name,
            "url": f"/dumps/{d.name}",
            "media_type": d.media_type,
            "compression": "gzip" if d.gzip else None,
            "title": {"es": d.title_es, "en": d.title_en},
        }
        for d in DUMPS.values()
    ]
    if wants_html(request.headers.get("accept")):
        lang = language(request)
        page = environment().get_template("dumps.html").render(lang=lang, dumps=items)
        return HTMLResponse(page)
    modified = datetime.fromtimestamp(ctx.store.last_modified, UTC).isoformat()
    return Response(
        orjson.dumps({"dumps": items, "modified": modified}),
        media_type="application/json",
    )


# ---- the catalog and VoID ------------------------------------------------------------------
CATALOG_GRAPH = str(ID) + "graph/catalog"
DATASET = ID["dataset/iatp-kg"]
CATALOG_QUERY = "CONSTRUCT { ?s ?p ?o } WHERE { GRAPH ?g { ?s ?p ?o } }"
VOID_QUERY = """
CONSTRUCT { ?d ?p ?o } WHERE { GRAPH ?g { ?d a void:Dataset ; ?p ?o . } }
"""
COUNTS = """
SELECT (COUNT(DISTINCT ?c) AS ?classes) (COUNT(DISTINCT ?s) AS ?entities) WHERE { ?s a ?c }
"""
OFFERED = ["text/turtle", "application/ld+json", "application/n-triples", "application/rdf+xml"]
RDFLIB_FORMAT = {
    "text/turtle": "turtle",
    "application/ld+json": "json-ld",
    "application/n-triples": "nt",
    "application/rdf+xml": "xml",
}


async def _statistics(ctx: AppContext) -> dict:
    """Triples per public graph, classes and typed entities, cached per store version."""

    async def build() -> dict:
        per_graph = await graph_statistics(ctx.executor, ctx.store.version)
        row = (await reads.select(ctx, COUNTS))[0]
        return {
            "graphs": per_graph,
            "classes": int(row["classes"]["value"]),
            "entities": int(row["entities"]["value"]),
        }

    return await ctx.per_version("void-statistics", build)


async def _described(ctx: AppContext, query: str) -> Graph:
    """The catalog graph's triples the query picks, with the live statistics added."""
    body = await reads.graph(ctx, query, "application/n-triples", g=reads.iri(CATALOG_GRAPH))
    g = Graph()
    for prefix, ns in PREFIXES.items():
        g.bind(prefix, ns)
    g.parse(data=body.decode(), format="nt")
    stats = await _statistics(ctx)
    total = sum(stats["graphs"].values())
    g.add((DATASET, VOID.triples, Literal(total, datatype=XSD.integer)))
    g.add((DATASET, VOID.classes, Literal(stats["classes"], datatype=XSD.integer)))
    g.add((DATASET, VOID.entities, Literal(stats["entities"], datatype=XSD.integer)))
    modified = datetime.fromtimestamp(ctx.store.last_modified, UTC).replace(microsecond=0)
    g.add((DATASET, DCTERMS.modified, Literal(modified.isoformat(), datatype=XSD.dateTime)))
    for graph, count in sorted(stats["graphs"].items()):
        node = URIRef(graph)
        g.add((DATASET, VOID.subset, node))
        g.add((node, VOID.triples, Literal(count, datatype=XSD.integer)))
    return g


async def _negotiated(request: Request, ctx: AppContext, query: str, title: str) -> Response:
    accept = request.headers.get("accept")
    html = wants_html(accept)
    media = "text/turtle" if html else negotiate(accept, OFFERED)
    etag = etag_for(ctx.store.version, request.url.path, "html" if html else media)
    headers = {**cache_headers(ctx, etag), "Vary": "Accept"}
    if not_modified(request, etag, ctx.store.last_modified):
        return Response(status_code=304, headers=headers)
    g = await _described(ctx, query)
    body = g.serialize(format=RDFLIB_FORMAT[media])
    if html:
        lang = language(request)
        page = (
            environment()
            .get_template("rdf_document.html")
            .render(lang=lang, title=title, body=body, path=request.url.path)
        )
        return HTMLResponse(page, headers=headers)
    return Response(body, media_type=media, headers=headers)


@router.get(
    "/catalog",
    summary="The DCAT catalog",
    description="The catalog, the dataset, its distributions (the dumps) and data services "
    "(SPARQL, REST) in the DCAT-AP style, with the licence and live VoID statistics. "
    "Turtle by default; JSON-LD, N-Triples or RDF/XML by `Accept`.",
    responses={200: {"content": {m: {} for m in OFFERED}}},
)
async def catalog(request: Request, ctx: ContextDep) -> Response:
    return await _negotiated(request, ctx, CATALOG_QUERY, "DCAT")


@router.get(
    "/.well-known/void",
    summary="The VoID description",
    description="The dataset as a `void:Dataset`: SPARQL endpoint, dumps, URI space, "
    "vocabularies, and statistics (triples, classes, entities, one subset per named graph).",
    responses={200: {"content": {m: {} for m in OFFERED}}},
)
async def void(request: Request, ctx: ContextDep) -> Response:
    return await _negotiated(request, ctx, VOID_QUERY, "VoID")
