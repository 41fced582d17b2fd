"""What a Python web server can do at all on this machine, for the lookup target.

Three small apps under uvicorn (with uvloop and httptools, as ``iatp-kg serve`` runs), each
sent the same lookups by IRI by the same client as the servers of the mix:

- ``raw_app``: a bare ASGI callable that reads the request and answers a fixed body of the size
  of a lookup's answer: no framework, no query; the ceiling of any Python ASGI server here;
- ``fastapi_app``: the same answer from a FastAPI route: the framework's share;
- ``engine_app``: a FastAPI route that runs the query on pyoxigraph in memory, in the server
  process, and serialises the JSON (the "plain FastAPI + uvicorn + pyoxigraph app" of the
  issue): no time limit, no result-size limit, no private graphs, which is why iatp-kg runs
  queries in worker processes instead.

``IATP_BENCH_DATA`` names the N-Quads file ``engine_app`` loads at start.
"""

from __future__ import annotations

import contextlib
import io
import os

import pyoxigraph as ox
from fastapi import FastAPI, Request, Response

JSON = "application/sparql-results+json"
# A lookup's answer from oxigraph serve: one row, a handful of bindings (about 600 bytes).
BODY = (
    b'{"head":{"vars":["p","o"]},"results":{"bindings":['
    + b",".join(
        b'{"p":{"type":"uri","value":"http://www.w3.org/2000/01/rdf-schema#label"},'
        b'"o":{"type":"literal","value":"Iniciativa sintetica","xml:lang":"es"}}'
        for _ in range(4)
    )
    + b"]}}"
)
HEADERS = [(b"content-type", JSON.encode()), (b"content-length", str(len(BODY)).encode())]


async def raw_app(scope, receive, send) -> None:
    if scope["type"] == "lifespan":
        while True:
            message = await receive()
            if message["type"] == "lifespan.startup":
                await send({"type": "lifespan.startup.complete"})
            elif message["type"] == "lifespan.shutdown":
                await send({"type": "lifespan.shutdown.complete"})
                return
    more = True
    while more:  # read the whole request, as a server must
        message = await receive()
        more = message.get("more_body", False)
    await send({"type": "http.response.start", "status": 200, "headers": HEADERS})
    await send({"type": "http.response.body", "body": BODY})


fastapi_app = FastAPI(openapi_url=None, docs_url=None, redoc_url=None)


@fastapi_app.api_route("/sparql", methods=["GET", "POST"])
async def constant(request: Request) -> Response:
    await request.body()
    return Response(BODY, media_type=JSON)


_store = ox.Store()


@contextlib.asynccontextmanager
async def _load(app: FastAPI):
    _store.bulk_load(path=os.environ["IATP_BENCH_DATA"], format=ox.RdfFormat.N_QUADS)
    yield


engine_app = FastAPI(openapi_url=None, docs_url=None, redoc_url=None, lifespan=_load)


@engine_app.get("/health")
async def health() -> dict:
    return {"triples": len(_store)}


@engine_app.post("/sparql")
async def query(request: Request) -> Response:
    text = (await request.body()).decode()
    buf = io.BytesIO()
    _store.query(text, use_default_graph_as_union=True).serialize(buf, ox.QueryResultsFormat.JSON)
    return Response(buf.getvalue(), media_type=JSON)
