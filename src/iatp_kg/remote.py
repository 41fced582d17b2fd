"""A remote SPARQL 1.1 server behind the same interface as :class:`iatp_kg.store.Store`, and the
executor that runs the public queries on it (``IATP_KG_STORE=sparql:URL``).

The server is reached over the SPARQL 1.1 Protocol (queries), Update and the Graph Store
Protocol, at ``URL/query``, ``URL/update`` and ``URL/store`` as Oxigraph server lays them out
(each can be set apart, for Fuseki's ``/ds/sparql``, ``/ds/update`` and ``/ds``). Answers come
back as pyoxigraph objects, so callers do not know which store they hold.

- **Every write is one SPARQL Update request**, which Oxigraph server and Fuseki each run as one
  transaction: ``replace_graphs`` drops and fills its graphs in the same request, and so on.
- **The version is shared.** A marker in the private graph ``…/graph/private/store`` holds an
  identifier and a date that the same request rewrites with every write; ``version`` reads it
  back (one small query), so several iatp-kg processes over one remote agree on ETags and
  ``Last-Modified``. The marker is never shown: private graphs never reach a public surface,
  and the methods here leave its graph out (``quads``, ``named_graphs``, ``len``, dumps,
  ``digest``).
- Blank nodes cannot be named across the protocol: a pattern or a substitution holding one
  matches nothing (``quads``) or is refused.
- The remote's own default graph cannot be named in a protocol dataset either: where the
  embedded store would read it beside a list of named graphs, the remote reads an empty one.
  The remote must not make its default graph the union of its graphs (Oxigraph server without
  ``--union-default-graph``; Fuseki without ``tdb:unionDefaultGraph``): iatp-kg builds the
  union of the public graphs itself, in each request.

>>> _then("INSERT DATA { <a:b> <a:c> 1 } ; # done", "DROP SILENT GRAPH <a:g>")
'INSERT DATA { <a:b> <a:c> 1 } ; # done\\nDROP SILENT GRAPH <a:g>'
>>> _then("PREFIX x: <a:>  # nothing else", "DROP SILENT GRAPH <a:g>")
'PREFIX x: <a:>  # nothing else\\nDROP SILENT GRAPH <a:g>'
>>> _then("DELETE WHERE { ?s <a:p> ';' } # ;", "CLEAR SILENT DEFAULT")
"DELETE WHERE { ?s <a:p> ';' } # ;\\n;\\nCLEAR SILENT DEFAULT"
"""

from __future__ import annotations

import asyncio
import contextlib
import hashlib
import io
import os
import re
import threading
import time
import uuid
import weakref
from collections.abc import AsyncIterator, Iterable, Iterator, Mapping
from contextvars import ContextVar
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import IO

import httpx
import pyoxigraph as ox
from pyoxigraph import BlankNode, DefaultGraph, Literal, NamedNode, Quad, RdfFormat

from iatp_kg.dialects import (
    DIALECTS,
    STANDARD,
    Dialect,
    drop_each_graph,
    fixed_chunks,
    rewritten_graph,
)
from iatp_kg.errors import BadRequest, QueryTimeout, ResultTooLarge, StoreError, SyntaxProblem
from iatp_kg.executor import CHUNK, QueryJob, RowCounter, Term
from iatp_kg.formats import RESULT_SYNTAXES
from iatp_kg.namespaces import PREFIXES, PRIVATE_GRAPH_PREFIX
from iatp_kg.sparql_text import _SKIP, bind_terms, keywords, readable, syntax_location

# The marker of the version, in a private graph that only this module writes and reads.
MARKER = PRIVATE_GRAPH_PREFIX + "store"
VERSION = "http://purl.org/dc/terms/identifier"
MODIFIED = "http://purl.org/dc/terms/modified"
# A graph that is never written: a protocol dataset whose default graph must be empty names it.
EMPTY = PRIVATE_GRAPH_PREFIX + "none"

JSON = "application/sparql-results+json"
NT = "application/n-triples"
RESULT_TYPES = frozenset(s.media_type for s in RESULT_SYNTAXES)
_ANY = f"{JSON}, application/n-triples;q=0.9"
_OPERATIONS = {"INSERT", "DELETE", "LOAD", "CLEAR", "CREATE", "DROP", "ADD", "MOVE", "COPY"}
_JENA_AT = re.compile(r"line (\d+), column (\d+)")
_VIRTUOSO_AT = re.compile(r"SPARQL compiler, line (\d+): ([^\n]*)")
_PARSE_WORDS = re.compile(r"pars|syntax|expected|encountered|lexical", re.IGNORECASE)
_ALL_QUADS = (
    "SELECT ?s ?p ?o ?g WHERE { { ?s ?p ?o } UNION "
    f"{{ GRAPH ?g {{ ?s ?p ?o }} FILTER(?g != <{MARKER}>) }} }}"
)


def _all_quads(dialect: Dialect) -> str:
    """Every quad but the marker's (and the engine's own graphs'), as ``?s ?p ?o ?g``.

    >>> from iatp_kg.dialects import VIRTUOSO
    >>> _all_quads(STANDARD) == _ALL_QUADS
    True
    >>> _all_quads(VIRTUOSO).startswith("SELECT ?s ?p ?o ?g WHERE { GRAPH ?g")
    True
    """
    if dialect.has_default_graph and not dialect.own_graphs:
        return _ALL_QUADS
    left_out = ", ".join(f"<{g}>" for g in sorted({MARKER, *dialect.own_graphs}))
    graphs = f"GRAPH ?g {{ ?s ?p ?o }} FILTER(?g NOT IN ({left_out}))"
    if dialect.has_default_graph:
        return f"SELECT ?s ?p ?o ?g WHERE {{ {{ ?s ?p ?o }} UNION {{ {graphs} }} }}"
    return f"SELECT ?s ?p ?o ?g WHERE {{ {graphs} }}"


# Reads here are small; writes may carry a whole ingest.
READ_TIMEOUT = 60.0
WRITE_TIMEOUT = 600.0


@dataclass(frozen=True)
class Endpoints:
    """Where the remote answers queries, updates and the Graph Store Protocol."""

    query: str
    update: str
    graph_store: str

    @classmethod
    def at(
        cls,
        root: str,
        *,
        query: str | None = None,
        update: str | None = None,
        graph_store: str | None = None,
    ) -> Endpoints:
        """Oxigraph server's layout under ``root``, each endpoint replaceable.

        >>> Endpoints.at("http://h:7878/").query
        'http://h:7878/query'
        >>> Endpoints.at("http://h:3030/ds", query="http://h:3030/ds/sparql").graph_store
        'http://h:3030/ds/store'
        """
        root = root.rstrip("/")
        return cls(
            query or f"{root}/query", update or f"{root}/update", graph_store or f"{root}/store"
        )


class RemoteStore:
    """A SPARQL 1.1 server, with the methods of :class:`iatp_kg.store.Store` the code base uses."""

    path = None  # no directory: backups are the remote engine's business

    def __init__(
        self,
        endpoints: Endpoints,
        *,
        read_only: bool = False,
        timeout: float = READ_TIMEOUT,
        dialect: Dialect = STANDARD,
    ) -> None:
        self.endpoints = endpoints
        self.dialect = dialect
        self._all = _all_quads(dialect)
        self.read_only = read_only
        self._timeout = timeout
        self._client = httpx.Client(timeout=httpx.Timeout(timeout, connect=10.0))
        self._async: httpx.AsyncClient | None = None  # for pinned(), made on first use
        self._lock = threading.Lock()  # this process's writes, one at a time
        self._modified = time.time()  # as of the last read of the marker
        self._seen = False
        self._writes = 0  # this process's writes so far (a pinned version is older than any)
        self._pinned: ContextVar[_Pinned | None] = ContextVar(f"pinned-{id(self)}", default=None)

    @classmethod
    def from_settings(cls, settings, *, read_only: bool = False) -> RemoteStore:
        return cls(
            settings.store_endpoints(),
            read_only=read_only,
            timeout=READ_TIMEOUT,
            dialect=DIALECTS[settings.store_dialect],
        )

    def close(self) -> None:
        self._client.close()

    async def aclose(self) -> None:
        self.close()
        if self._async is not None:
            await self._async.aclose()

    def __repr__(self) -> str:
        return f"RemoteStore({self.endpoints.query!r})"

    # ---- state -----------------------------------------------------------------------------
    @property
    def version(self) -> str:
        """The identifier the last write left in the marker (``"0"`` before any): the same for
        every process over this remote. Inside :meth:`pinned`, the one read when it began."""
        pinned = self._current()
        if pinned is not None:
            return pinned.version
        rows = self.select(_MARKER_QUERY)
        version, modified = _marker_values(rows)
        if modified is not None:
            self._modified = modified
        self._seen = True
        return version

    @property
    def last_modified(self) -> float:
        """When the last write happened (read with ``version``)."""
        pinned = self._current()
        if pinned is not None:
            return pinned.modified
        if not self._seen:
            _ = self.version
        return self._modified

    @contextlib.asynccontextmanager
    async def pinned(self):
        """Within the block (one HTTP request), ``version`` and ``last_modified`` are the ones
        read when it began, read without blocking the event loop: one read per request instead
        of one per use, and one version for the whole request. A write by this process in the
        block ends the pin. If the read fails, nothing is pinned (a later read reports it)."""
        pinned = None
        try:
            if self._async is None:
                self._async = httpx.AsyncClient(timeout=httpx.Timeout(self._timeout, connect=10.0))
            writes = self._writes
            response = await self._async.post(
                self.endpoints.query, data={"query": _MARKER_QUERY}, headers={"Accept": JSON}
            )
            if response.status_code == 200:
                solutions = ox.parse_query_results(self._json(response), ox.QueryResultsFormat.JSON)
                rows = [{n: r[n] for n in ("p", "o") if r[n] is not None} for r in solutions]
                version, modified = _marker_values(rows)
                pinned = _Pinned(version, modified or self._modified, writes)
        except (httpx.HTTPError, SyntaxError, ValueError):
            pinned = None
        token = self._pinned.set(pinned)
        try:
            yield
        finally:
            self._pinned.reset(token)

    def _current(self) -> _Pinned | None:
        pinned = self._pinned.get()
        return pinned if pinned is not None and pinned.writes == self._writes else None

    def changes(self) -> tuple[str, tuple]:
        """The version; which graphs recent writes touched is not known here."""
        return self.version, ()

    def ensure_marker(self) -> None:
        """Write the marker if the remote has none yet, so that every process reads the same
        version and date from the start."""
        if not self.read_only and not self.ask(f"ASK {{ GRAPH <{MARKER}> {{ ?s ?p ?o }} }}"):
            self._write("")

    def __len__(self) -> int:
        rows = self.select(self._all.replace("SELECT ?s ?p ?o ?g", "SELECT (COUNT(*) AS ?n)"))
        return int(rows[0]["n"].value) if rows else 0

    def is_empty(self) -> bool:
        return not self.ask(self._all.replace("SELECT ?s ?p ?o ?g WHERE", "ASK"))

    def named_graphs(self) -> list[NamedNode]:
        return [
            row["g"]
            for row in self.select(self.dialect.graphs)
            if isinstance(row.get("g"), NamedNode)
            and row["g"].value != MARKER
            and row["g"].value not in self.dialect.own_graphs
        ]

    def public_graphs(self) -> list[NamedNode]:
        """Named graphs a public surface may see (never the private ones)."""
        return [g for g in self.named_graphs() if not g.value.startswith(PRIVATE_GRAPH_PREFIX)]

    def contains_graph(self, graph: NamedNode) -> bool:
        if graph.value == MARKER or graph.value in self.dialect.own_graphs:
            return False
        return self.ask(self.dialect.graph_exists(str(graph)))

    # ---- reading ---------------------------------------------------------------------------
    def query(
        self,
        sparql: str,
        *,
        default_graph: list[NamedNode | DefaultGraph] | None = None,
        named_graphs: list[NamedNode] | None = None,
        union_default_graph: bool = False,
        substitutions: Mapping[ox.Variable, ox.NamedNode | ox.Literal | ox.BlankNode] | None = None,
        base_iri: str | None = None,
        prefixes: Mapping[str, str] | None = None,
    ) -> ox.QuerySolutions | ox.QueryBoolean | ox.QueryTriples:
        """Evaluate a SPARQL query on the remote. Raises ``SyntaxError`` for a malformed query.

        ``union_default_graph`` reads the union of the named graphs (the remote's default graph
        cannot be named in a protocol dataset, see the module's notes)."""
        if substitutions:
            terms = {}
            for variable, term in substitutions.items():
                if isinstance(term, BlankNode):
                    raise ValueError("a blank node cannot be bound in a query to a remote store")
                terms[variable.value] = str(term)
            sparql = bind_terms(sparql, terms)
        text, offset = _prologue(sparql, base_iri, prefixes)
        default, named = self._dataset(default_graph, named_graphs, union_default_graph)
        data: dict[str, object] = {"query": text}
        if default is not None:
            data["default-graph-uri"] = default
        if named:
            data["named-graph-uri"] = named
        response = self._send("POST", self.endpoints.query, data=data, headers={"Accept": _ANY})
        if response.status_code != 200:
            parse = _parse_error(response.status_code, response.text, offset, _lines(sparql))
            if parse is not None:
                raise _syntax_error(*parse)
            raise StoreError(_refusal(self.endpoints.query, response))
        media = response.headers.get("content-type", "").split(";")[0].strip()
        if media in RESULT_TYPES:
            content = self._json(response) if media == JSON else response.content
            return ox.parse_query_results(content, ox.QueryResultsFormat.from_media_type(media))
        fmt = RdfFormat.from_media_type(media) if media else None
        if fmt is None:
            raise StoreError(f"the remote store answered a query with {media or 'no type'}")
        # A graph result, as pyoxigraph gives it: through a small in-memory store.
        scratch = ox.Store()
        scratch.extend(
            Quad(t.subject, t.predicate, t.object, DefaultGraph())
            for t in ox.parse(response.content, fmt)
        )
        return scratch.query("CONSTRUCT WHERE { ?s ?p ?o }")

    def select(self, sparql: str, **kwargs) -> list[dict[str, object]]:
        """A SELECT as a list of ``{variable: term}`` rows (unbound variables left out)."""
        solutions = self.query(sparql, **kwargs)
        names = [v.value for v in solutions.variables]
        return [{n: row[n] for n in names if row[n] is not None} for row in solutions]

    def ask(self, sparql: str, **kwargs) -> bool:
        return bool(self.query(sparql, **kwargs))

    def quads(
        self,
        subject: NamedNode | BlankNode | None = None,
        predicate: NamedNode | None = None,
        obj: NamedNode | BlankNode | Literal | None = None,
        graph: NamedNode | BlankNode | DefaultGraph | None = None,
    ) -> Iterator[Quad]:
        """The quads matching a pattern (the marker's graph left out), read in one query."""
        if any(isinstance(t, BlankNode) for t in (subject, obj, graph)):
            return iter(())  # a blank node of the remote cannot be named in a query
        terms = {
            n: str(t) for n, t in (("s", subject), ("p", predicate), ("o", obj)) if t is not None
        }
        if isinstance(graph, DefaultGraph):
            if not self.dialect.has_default_graph:
                return iter(())  # the engine's default graph is its union: iatp-kg's is empty
            text = "SELECT ?s ?p ?o WHERE { ?s ?p ?o }"
        elif isinstance(graph, NamedNode):
            if graph.value == MARKER or graph.value in self.dialect.own_graphs:
                return iter(())
            text = "SELECT ?s ?p ?o WHERE { GRAPH ?g { ?s ?p ?o } }"
            terms["g"] = str(graph)
        else:
            text = self._all
        return iter(self._quads(bind_terms(text, terms), graph))

    def _quads(self, text: str, graph: NamedNode | DefaultGraph | None = None) -> list[Quad]:
        solutions = self.query(text)
        with_graph = any(v.value == "g" for v in solutions.variables)
        out = []
        for row in solutions:
            g = row["g"] if with_graph else None
            out.append(Quad(row["s"], row["p"], row["o"], g or graph or DefaultGraph()))
        return out

    # ---- writing (every write is one update request: one transaction) ----------------------
    def update(
        self,
        sparql: str,
        *,
        base_iri: str | None = None,
        graphs: Iterable[str | NamedNode | DefaultGraph] | None = None,
    ) -> None:
        """Run a SPARQL 1.1 Update as one transaction: all of it, or none of it. Raises
        ``SyntaxError`` when it does not parse, ``RuntimeError`` when the remote refuses it.
        ``graphs`` is accepted for the embedded store's sake (its journal)."""
        if self.dialect.drop_all_by_graph and {"ALL", "NAMED"} & set(keywords(sparql)):
            every = [g.value for g in self.named_graphs()]
            sparql = drop_each_graph(sparql, every)
        text, offset = _prologue(sparql, base_iri, None)
        self._write(text, offset=offset, strict=False)

    def add_quads(self, quads: Iterable[Quad]) -> None:
        """Add quads in one transaction."""
        body = _insert_data(((q.graph_name, q) for q in quads), self.dialect)
        if body:
            self._write(body)

    def replace_graphs(self, graphs: Mapping[str | NamedNode, Iterable[Quad]]) -> None:
        """Replace the content of each named graph, all graphs in one transaction.

        The quads' own graph names are ignored: each goes to the graph it is listed under.
        """
        nodes = {name: _node(name) for name in graphs}
        parts = [f"DROP SILENT GRAPH {node}" for node in nodes.values()]
        body = _insert_data(
            ((nodes[name], q) for name, quads in graphs.items() for q in quads), self.dialect
        )
        if body:
            parts.append(body)
        if parts:
            self._write(" ;\n".join(parts))

    def drop_graphs(self, graphs: Iterable[str | NamedNode]) -> None:
        parts = [f"DROP SILENT GRAPH {_node(g)}" for g in graphs]
        if parts:
            self._write(" ;\n".join(parts))

    def bulk_load(
        self, path: str | os.PathLike[str], fmt: RdfFormat, graph: NamedNode | None
    ) -> None:
        """A file sent as it is to the Graph Store (not one transaction with the marker, which
        follows it)."""
        self._check_writable()
        if self.dialect.dataset_by_query:
            # Not the engine's Graph Store (Virtuoso's takes no dataset): one update request.
            with open(path, "rb") as body:
                found = list(ox.parse(body, fmt))
            if graph is not None or not fmt.supports_datasets:
                target = graph or DefaultGraph()
                found = [Quad(q.subject, q.predicate, q.object, target) for q in found]
            self.add_quads(found)
            return
        if graph is not None:
            params = {"graph": graph.value}
        elif fmt.supports_datasets:
            params = {}
        else:
            params = {"default": ""}
        with open(path, "rb") as body:
            response = self._send(
                "POST",
                self.endpoints.graph_store,
                params=params,
                content=body,
                headers={"Content-Type": fmt.media_type},
                timeout=WRITE_TIMEOUT,
            )
        if response.status_code not in (200, 201, 204):
            raise StoreError(_refusal(self.endpoints.graph_store, response))
        self._write("")

    def _write(self, operations: str, *, offset: int = 0, strict: bool = True) -> None:
        """``operations`` and the new marker in one update request. ``strict``: any refusal
        is a StoreError (the text is ours); otherwise SyntaxError or RuntimeError, as
        pyoxigraph raises them for an update a person wrote."""
        self._check_writable()
        now = time.time()
        text = _then(operations, _marker(uuid.uuid4().hex[:16], now))
        with self._lock:
            response = self._send(
                "POST",
                self.endpoints.update,
                content=text.encode("utf-8"),
                headers={"Content-Type": "application/sparql-update; charset=utf-8"},
                timeout=WRITE_TIMEOUT,
            )
        if response.status_code in (200, 204):
            self._modified = now
            self._writes += 1
            return
        if strict or response.status_code in (502, 503, 504):
            raise StoreError(
                f"the store refused the write: {_refusal(self.endpoints.update, response)}"
            )
        lines = _lines(operations) - offset  # the caller's text (the marker follows it)
        parse = _parse_error(response.status_code, response.text, offset, lines)
        if parse is not None:
            raise _syntax_error(*parse)
        raise RuntimeError(response.text.strip()[:1000] or f"HTTP {response.status_code}")

    # ---- export and maintenance ------------------------------------------------------------
    def dump(
        self,
        output: IO[bytes],
        fmt: RdfFormat,
        *,
        graph: NamedNode | DefaultGraph | None = None,
        graphs: Iterable[NamedNode | DefaultGraph] | None = None,
    ) -> None:
        """Serialise the store, one graph, or a list of graphs (each read in one request)
        into ``output``; a format without named graphs gets the merge of the selected graphs."""
        if graph is not None:
            quads: Iterable[Quad] = self.quads(None, None, None, graph)
            _serialize(quads, output, fmt, triples=True)
            return
        if graphs is None:
            with self._dataset_quads() as quads:
                _serialize(quads, output, fmt)
            return
        selected = list(graphs)
        named = " ".join(str(g) for g in selected if isinstance(g, NamedNode))
        default = self.dialect.has_default_graph and any(
            isinstance(g, DefaultGraph) for g in selected
        )
        branches = ["{ ?s ?p ?o }"] if default else []
        if named:
            branches.append(f"{{ VALUES ?g {{ {named} }} GRAPH ?g {{ ?s ?p ?o }} }}")
        found = (
            self._quads(f"SELECT ?s ?p ?o ?g WHERE {{ {' UNION '.join(branches)} }}")
            if branches
            else []
        )
        _serialize(found, output, fmt)

    def dump_public(self, output: IO[bytes], fmt: RdfFormat) -> None:
        """Serialise every public named graph from one snapshot (one Graph Store read of the
        whole dataset), streaming into ``output``; private graphs and the default graph are
        left out."""
        with self._dataset_quads() as quads:
            public = (
                q
                for q in quads
                if isinstance(q.graph_name, NamedNode)
                and not q.graph_name.value.startswith(PRIVATE_GRAPH_PREFIX)
            )
            _serialize(public, output, fmt)

    def digest(self) -> str:
        """SHA-256 of the sorted N-Quads of the whole store (the marker left out)."""
        with self._dataset_quads() as quads:
            lines = sorted(str(q) for q in quads)
        h = hashlib.sha256()
        for line in lines:
            h.update(line.encode())
            h.update(b"\n")
        return h.hexdigest()

    def backup(self, target) -> None:
        raise StoreError(
            "the store is a remote SPARQL server: back it up on that engine (for Oxigraph, "
            "`oxigraph backup`; for Fuseki, its /$/backup); iatp-kg backup copies an embedded "
            "store only"
        )

    def flush(self) -> None:
        """Nothing to do: the remote makes its own writes durable."""

    def optimize(self) -> None:
        """Nothing to do: compaction is the remote's business."""

    # ---- plumbing --------------------------------------------------------------------------
    @contextlib.contextmanager
    def _dataset_quads(self) -> Iterator[Iterator[Quad]]:
        """Every quad of the remote (the marker's graph left out), streamed from one Graph
        Store read of the whole dataset as N-Quads (or one SELECT, ``dataset_by_query``)."""
        if self.dialect.dataset_by_query:
            yield iter(self._quads(self._all))
            return
        try:
            with self._client.stream(
                "GET",
                self.endpoints.graph_store,
                headers={"Accept": "application/n-quads"},
                timeout=WRITE_TIMEOUT,
            ) as response:
                if response.status_code != 200:
                    response.read()
                    raise StoreError(_refusal(self.endpoints.graph_store, response))
                quads = ox.parse(_Reader(response.iter_bytes()), RdfFormat.N_QUADS)
                yield (q for q in quads if getattr(q.graph_name, "value", None) != MARKER)
        except httpx.HTTPError as exc:
            raise StoreError(
                f"the remote store at {self.endpoints.graph_store} failed: {exc}"
            ) from exc

    def _dataset(
        self,
        default_graph: list[NamedNode | DefaultGraph] | None,
        named_graphs: list[NamedNode] | None,
        union: bool,
    ) -> tuple[list[str] | None, list[str] | None]:
        """``Store.query``'s dataset arguments as the protocol's graph lists (None: none)."""
        if default_graph is None and named_graphs is None and not union:
            return None, None
        every: list[str] = []
        if union or named_graphs is None:
            every = [g.value for g in self.named_graphs()]
        if union:
            default = every
        elif default_graph is None:
            default = []  # the remote's own default graph cannot be named: read as empty
        else:
            default = [g.value for g in default_graph if isinstance(g, NamedNode)]
        named = every if named_graphs is None else [g.value for g in named_graphs]
        return default or [EMPTY], named

    def _json(self, response: httpx.Response) -> bytes:
        """A JSON result's bytes, as the dialect needs them read."""
        fix = self.dialect.fix_json
        return fix(response.content) if fix else response.content

    def _send(self, method: str, url: str, **kwargs) -> httpx.Response:
        try:
            return self._client.request(method, url, **kwargs)
        except httpx.HTTPError as exc:
            raise StoreError(f"the remote store at {url} did not answer: {exc}") from exc

    def _check_writable(self) -> None:
        if self.read_only:
            raise StoreError("this store is open read-only")


_MARKER_QUERY = f"SELECT ?p ?o WHERE {{ GRAPH <{MARKER}> {{ <{MARKER}> ?p ?o }} }}"


@dataclass(frozen=True)
class _Pinned:
    version: str
    modified: float
    writes: int


def _marker_values(rows: list[dict]) -> tuple[str, float | None]:
    """The version and the date of the last write, from the marker's rows."""
    found = {row["p"].value: row["o"].value for row in rows if "o" in row}
    modified = None
    if MODIFIED in found:
        with contextlib.suppress(ValueError):
            modified = datetime.fromisoformat(found[MODIFIED]).timestamp()
    return found.get(VERSION, "0"), modified


# ---- the executor -------------------------------------------------------------------------
@dataclass
class RemoteExecutor:
    """:class:`iatp_kg.executor.Executor`'s interface over a remote store: the query goes to
    the remote as it came, with the public graphs as its dataset, under the same time limit,
    result-size and row limits.

    At most ``workers`` queries run on the remote at once (others wait, up to the time limit),
    counting those given up on: the remote cannot be told to stop a query, so one that ran out
    of time (or whose client left before the first byte) keeps its slot until the remote ends
    it, by its own time limit (``oxigraph serve --timeout-s``, Fuseki's ``arq:queryTimeout``,
    a little above ours), or for ``abandon_wait`` seconds at most. ``alive`` counts the free
    slots, as the embedded executor counts its live workers."""

    store: RemoteStore
    workers: int = 2
    timeout: float = 30.0
    max_result_bytes: int = 200_000_000
    max_result_rows: int = 0  # 0: no row limit
    union_default_graph: bool = True
    abandon_wait: float = 60.0
    replaced: int = field(default=0, init=False)
    abandoned: int = field(default=0, init=False)  # queries given up on, still on the remote
    answered: dict = field(default_factory=lambda: {"remote": 0}, init=False)
    _client: httpx.AsyncClient | None = field(default=None, init=False)
    _slots: asyncio.Semaphore | None = field(default=None, init=False)
    _public: tuple[str | None, frozenset[str]] = field(default=(None, frozenset()), init=False)
    _closed: bool = field(default=False, init=False)

    async def start(self) -> None:
        self._slots = asyncio.Semaphore(max(1, self.workers))
        self._client = httpx.AsyncClient(timeout=httpx.Timeout(None, connect=10.0))

    async def stop(self) -> None:
        self._closed = True
        if self._client is not None:
            await self._client.aclose()

    @property
    def alive(self) -> int:
        """Slots free of queries given up on (0 once stopped)."""
        if self._closed or self._client is None:
            return 0
        return max(0, max(1, self.workers) - self.abandoned)

    async def stream(self, job: QueryJob, version: str) -> AsyncIterator[bytes]:
        """Run ``job`` and return an iterator of result bytes.

        Errors found before the first byte (syntax, time limit, a limit passed in the first
        64 kB) raise here, so they can become a proper HTTP error; later ones abort the
        iteration."""
        loop = asyncio.get_running_loop()
        deadline = loop.time() + self.timeout
        try:
            await asyncio.wait_for(self._slots.acquire(), timeout=self.timeout)
        except TimeoutError:
            raise QueryTimeout(
                f"all {self.workers} query slots stayed busy for {self.timeout:g} s; try again"
            ) from None
        hold = _Hold(self, loop)
        try:
            public = await self._public_graphs(version, deadline)
            text, offset = _job_text(job)
            data = {"query": text, **_protocol_dataset(job, public, self.union_default_graph)}
            dialect = self.store.dialect
            via_nt = job.media_type in dialect.graphs_via_ntriples
            accept = NT if via_nt else job.media_type
            request = self._client.build_request(
                "POST", self.store.endpoints.query, data=data, headers={"Accept": accept}
            )
            hold.sending = asyncio.ensure_future(self._client.send(request, stream=True))
            hold.response = response = await self._before(deadline, hold.sending)
            if response.status_code != 200:
                body = await self._before(deadline, asyncio.ensure_future(response.aread()))
                raise _query_error(
                    response.status_code, body.decode("utf-8", "replace"), offset, _lines(job.query)
                )
            chunks = response.aiter_bytes()
            answered = response.headers.get("content-type", "").split(";")[0].strip()
            fix = {JSON: dialect.fix_json, NT: dialect.fix_ntriples}
            if via_nt and answered == NT:
                fmt = RdfFormat.from_media_type(job.media_type)
                chunks = rewritten_graph(chunks, fmt, dialect.fix_ntriples or (lambda b: b))
            elif fix.get(answered) is not None:
                chunks = fixed_chunks(chunks, fix[answered])
            hold.reader = reader = _Results(self, job, chunks, deadline)
            first = await reader.first()
        except (QueryTimeout, asyncio.CancelledError):  # the remote may still be at work
            hold.abandon()
            raise
        except BaseException:
            hold.release()
            raise
        if not first:
            self.answered["remote"] += 1
            hold.release()
            return _empty()
        rest = self._rest(hold, reader, first)
        # A generator that is never iterated never runs its `finally`: release at collection.
        weakref.finalize(rest, hold.release)
        return rest

    async def _rest(self, hold: _Hold, reader: _Results, first: bytes) -> AsyncIterator[bytes]:
        try:
            yield first
            while (chunk := await reader.next()) is not None:
                yield chunk
            self.answered["remote"] += 1
        except QueryTimeout:
            hold.abandon()
            raise
        finally:
            hold.release()  # a no-op after abandon()

    async def collect(self, job: QueryJob, version: str) -> bytes:
        """The whole result as bytes (for the REST facade and pages)."""
        chunks = [chunk async for chunk in await self.stream(job, version)]
        return b"".join(chunks)

    async def _public_graphs(self, version: str, deadline: float) -> frozenset[str]:
        """The public graphs at ``version`` (read once per version)."""
        if self._public[0] == version:
            return self._public[1]
        response = await self._before(
            deadline,
            asyncio.ensure_future(
                self._client.post(
                    self.store.endpoints.query,
                    data={"query": self.store.dialect.graphs},
                    headers={"Accept": JSON},
                )
            ),
            cancel=True,
        )
        if response.status_code != 200:
            raise StoreError(_refusal(self.store.endpoints.query, response))
        graphs = frozenset(
            row["g"].value
            for row in ox.parse_query_results(
                self.store._json(response), ox.QueryResultsFormat.JSON
            )
            if isinstance(row["g"], NamedNode)
            and not row["g"].value.startswith(PRIVATE_GRAPH_PREFIX)
            and row["g"].value not in self.store.dialect.own_graphs
        )
        self._public = (version, graphs)
        return graphs

    async def _before(self, deadline: float, task: asyncio.Future, *, cancel: bool = False):
        """``task``'s result within the query's time limit, the remote's failures mapped. Past
        the limit the task goes on (unless ``cancel``): whoever holds it waits it out."""
        remaining = deadline - asyncio.get_running_loop().time()
        try:
            if remaining <= 0:
                raise TimeoutError
            return await asyncio.wait_for(asyncio.shield(task), timeout=remaining)
        except TimeoutError:
            if cancel:
                task.cancel()
            raise QueryTimeout(
                f"the query ran past the time limit of {self.timeout:g} s and was stopped"
            ) from None
        except httpx.HTTPError as exc:
            raise StoreError(f"the remote store failed during the query: {exc}") from exc


class _Results:
    """A result's bytes from the remote, counted against the byte and row limits."""

    def __init__(self, executor: RemoteExecutor, job: QueryJob, chunks, deadline: float):
        self.executor, self.chunks, self.deadline = executor, chunks, deadline
        rows = executor.max_result_rows
        self.counter = (
            RowCounter(job.media_type) if rows and job.media_type in RESULT_TYPES else None
        )
        self.received = 0
        self.pending: asyncio.Future | None = None  # the read under way (None: none)

    def read(self) -> asyncio.Future:
        """The next chunk (``b""`` at the end), read in a task of its own that outlives a
        time limit."""
        if self.pending is None:
            self.pending = asyncio.ensure_future(_next_chunk(self.chunks))
        return self.pending

    async def next(self) -> bytes | None:
        chunk = await self.executor._before(self.deadline, self.read())
        self.pending = None
        if not chunk:
            return None
        self.received += len(chunk)
        limit = self.executor.max_result_bytes
        if self.received > limit:
            raise ResultTooLarge(f"the result passed the limit of {limit:,} bytes")
        if self.counter is not None:
            self.counter.feed(chunk)
            if self.counter.rows > self.executor.max_result_rows:
                raise ResultTooLarge(
                    f"the result has more than {self.executor.max_result_rows:,} rows; "
                    "add a LIMIT or narrow the query"
                )
        return chunk

    async def first(self) -> bytes:
        """The first 64 kB (or the whole result when smaller), as the embedded workers send."""
        buffer = bytearray()
        while len(buffer) < CHUNK:
            chunk = await self.next()
            if chunk is None:
                break
            buffer += chunk
        return bytes(buffer)


async def _next_chunk(chunks) -> bytes:
    try:
        return await chunks.__anext__()
    except StopAsyncIteration:
        return b""


class _Hold:
    """One query's slot and its exchange with the remote, given back exactly once: at once
    (``release``: the remote answered, or is writing and stops when the connection closes), or
    once the remote has ended a query given up on (``abandon``). Safe from any thread (a
    garbage collection may run the finalizer anywhere): the work is done on the event loop."""

    def __init__(self, executor: RemoteExecutor, loop) -> None:
        self.executor, self.loop = executor, loop
        self.sending: asyncio.Future | None = None
        self.response: httpx.Response | None = None
        self.reader: _Results | None = None
        self.released = False
        self.lock = threading.Lock()

    def release(self) -> None:
        self._end(self._close)

    def abandon(self) -> None:
        """(On the event loop only.)"""
        if self._end(self._wait_out):
            self.executor.abandoned += 1  # at once: the slot is not free for what follows

    def _end(self, how) -> bool:
        with self.lock:
            if self.released:
                return False
            self.released = True
        with contextlib.suppress(RuntimeError):  # the loop is closed: the server is stopping
            self.loop.call_soon_threadsafe(how)
        return True

    def _close(self) -> None:
        self.executor._slots.release()
        for task in (self.sending, self.reader and self.reader.pending):
            if task is not None and not task.done():
                task.cancel()
        if self.response is not None and not self.response.is_closed:
            _background(self.response.aclose())

    def _wait_out(self) -> None:
        _background(self._waiting_out())

    async def _waiting_out(self) -> None:
        """Read what the remote still sends, to its end (or for ``abandon_wait`` seconds),
        then give the slot back."""
        try:
            async with asyncio.timeout(self.executor.abandon_wait):
                if self.response is None and self.sending is not None:
                    self.response = await self.sending
                if self.reader is not None:
                    while await self.reader.read():
                        self.reader.pending = None
                elif self.response is not None:
                    await self.response.aread()
        except Exception:  # the time is up, or the remote failed: either way, done
            pass
        finally:
            self.executor.abandoned -= 1
            self._close()


_BACKGROUND: set = set()


def _background(coroutine) -> None:
    task = asyncio.get_running_loop().create_task(coroutine)
    _BACKGROUND.add(task)
    task.add_done_callback(_BACKGROUND.discard)


async def _empty() -> AsyncIterator[bytes]:
    return
    yield b""


# ---- the text sent --------------------------------------------------------------------------
def _prologue(
    text: str, base_iri: str | None, prefixes: Mapping[str, str] | None
) -> tuple[str, int]:
    """``text`` after one line of BASE and PREFIX declarations (pyoxigraph's ``base_iri=`` and
    ``prefixes=``), and how many lines that added.

    >>> _prologue("ASK {}", "http://h/sparql", {"ex": "http://e/"})
    ('BASE <http://h/sparql> PREFIX ex: <http://e/>\\nASK {}', 1)
    """
    head = []
    if base_iri:
        try:
            head.append(f"BASE {NamedNode(base_iri)}")
        except ValueError as exc:
            raise BadRequest(f"not a base IRI: {base_iri[:80]!r} ({exc})") from None
    for prefix, namespace in (prefixes or {}).items():
        head.append(f"PREFIX {prefix}: {NamedNode(namespace)}")
    if not head:
        return text, 0
    return " ".join(head) + "\n" + text, 1


def _job_text(job: QueryJob) -> tuple[str, int]:
    """The job's query as the remote gets it: its substitutions bound as terms (as the embedded
    store's ``substitutions=`` mean them), after the endpoint's prefixes and base."""
    query = job.query
    if job.substitutions:
        query = bind_terms(query, {name: _term_text(term) for name, term in job.substitutions})
    return _prologue(query, job.base_iri, PREFIXES)


def _term_text(term: Term) -> str:
    """A substitution in its SPARQL form, made by pyoxigraph (which refuses an IRI that is not
    one and escapes literals)."""
    try:
        if term.kind == "iri":
            return str(NamedNode(term.value))
        if term.kind == "literal":
            if term.language:
                return str(Literal(term.value, language=term.language))
            if term.datatype:
                return str(Literal(term.value, datatype=NamedNode(term.datatype)))
            return str(Literal(term.value))
    except ValueError as exc:
        raise BadRequest(f"not a valid RDF term: {term.value[:80]!r} ({exc})") from None
    raise BadRequest("a blank node cannot be bound in a query to a remote store")


def _protocol_dataset(job: QueryJob, public: frozenset[str], union: bool) -> dict[str, list[str]]:
    """The job's dataset as ``default-graph-uri`` / ``named-graph-uri``, by the embedded
    workers' rules: only public graphs, ever.

    >>> public = frozenset({"http://g/a", "http://g/b"})
    >>> _protocol_dataset(QueryJob("ASK {}", JSON), public, True)
    {'default-graph-uri': ['http://g/a', 'http://g/b'], 'named-graph-uri': ['http://g/a', 'http://g/b']}
    >>> _protocol_dataset(QueryJob("ASK {}", JSON, named_graphs=("http://g/b", "http://g/x")), public, True)
    {'default-graph-uri': ['https://w3id.org/iatp/id/graph/private/none'], 'named-graph-uri': ['http://g/b']}
    >>> _protocol_dataset(QueryJob("ASK {}", JSON, query_dataset=True), public, True)
    {}
    """
    if job.default_graphs is not None:
        default = [g for g in job.default_graphs if g in public]
        named = [g for g in job.named_graphs or () if g in public]
    elif job.named_graphs is not None:
        default, named = [], [g for g in job.named_graphs if g in public]
    elif job.query_dataset:
        return {}  # the query's own FROM / FROM NAMED, checked public by the caller
    else:
        # Without the union, the remote's own default graph would be read: it cannot be named
        # in a protocol dataset, so it reads as empty (see the module's notes).
        default = sorted(public) if union or job.public_union else []
        named = sorted(public)
    out = {"default-graph-uri": default or [EMPTY]}
    if named:
        out["named-graph-uri"] = named
    return out


def _node(name: str | NamedNode) -> NamedNode:
    return name if isinstance(name, NamedNode) else NamedNode(str(name))


def _insert_data(
    items: Iterable[tuple[NamedNode | BlankNode | DefaultGraph, Quad]], dialect: Dialect = STANDARD
) -> str:
    """One INSERT DATA for quads grouped by graph (blank nodes shared across its graphs); an
    ``INSERT { … } WHERE {}`` when a blank node is there and the dialect refuses it in data.

    >>> from iatp_kg.dialects import VIRTUOSO
    >>> q = Quad(BlankNode("b"), NamedNode("a:p"), Literal("x"), NamedNode("a:g"))
    >>> _insert_data([(q.graph_name, q)], VIRTUOSO)
    'INSERT {\\nGRAPH <a:g> {\\n_:b <a:p> "x" .\\n}\\n} WHERE {}'
    """
    groups: dict[str, list[str]] = {}
    blank = False
    for graph, q in items:
        key = str(graph) if isinstance(graph, NamedNode) else ""
        groups.setdefault(key, []).append(f"{q.subject} {q.predicate} {q.object} .")
        blank = blank or isinstance(q.subject, BlankNode) or isinstance(q.object, BlankNode)
    if not groups:
        return ""
    parts = []
    for key, lines in groups.items():
        body = "\n".join(lines)
        parts.append(body if not key else f"GRAPH {key} {{\n{body}\n}}")
    return dialect.insert("\n".join(parts), blank)


def _marker(version: str, when: float) -> str:
    stamp = datetime.fromtimestamp(when, UTC).isoformat().replace("+00:00", "Z")
    return (
        f"DROP SILENT GRAPH <{MARKER}> ;\n"
        f'INSERT DATA {{ GRAPH <{MARKER}> {{ <{MARKER}> <{VERSION}> "{version}" . '
        f'<{MARKER}> <{MODIFIED}> "{stamp}"^^<http://www.w3.org/2001/XMLSchema#dateTime> }} }}'
    )


def _then(update: str, more: str) -> str:
    """``update`` followed by the operations of ``more``, in one request: a ``;`` between them
    unless the update has no operation or already ends with one (outside comments, strings
    and IRIs)."""
    if not update.strip():
        return more
    if not _OPERATIONS & set(keywords(update)):
        return f"{update}\n{more}"
    bare = _SKIP.sub(lambda m: " " if m.group(0).startswith("#") else "x", update)
    return f"{update}\n{more}" if bare.rstrip().endswith(";") else f"{update}\n;\n{more}"


# ---- answers --------------------------------------------------------------------------------
def _lines(text: str) -> int:
    return text.count("\n") + 1


def _syntax_error(message: str, line: int | None, column: int | None) -> SyntaxError:
    """pyoxigraph's ``error at L:C: message``; with a line and no column (Virtuoso), the
    message with the line in ``lineno``.

    >>> _syntax_error("syntax error", 2, None).lineno
    2
    """
    if line is not None and column is None:
        return SyntaxError(message, (None, line, None, None))
    return SyntaxError(f"error at {line}:{column}: {message}")


def _parse_error(
    status: int, text: str, offset: int, lines: int | None = None
) -> tuple[str, int | None, int | None] | None:
    """A remote's parse error (Oxigraph's ``error at L:C``, Jena's ``line L, column C``) as a
    message, line and column in the caller's text (of ``lines`` lines); None when the answer is
    something else. Virtuoso names a line and no column, one line past the end at the end of
    the text: read as the last line.

    >>> _parse_error(400, "error at 2:17: expected one of LATERAL, SERVICE", 1)
    ('expected one of LATERAL, SERVICE', 1, 17)
    >>> _parse_error(400, 'Encountered " "}" "} "" at line 3, column 5.', 1)
    ('Encountered " "}" "} "" at line 3, column 5.', 2, 5)
    >>> _parse_error(500, "error at 2:17: boom", 1) is None
    True
    >>> _parse_error(400, "Virtuoso 37000 Error SP030: SPARQL compiler, line 3: syntax error"
    ...     " at '}' before '}'\\n\\nSPARQL query:\\nASK {", 1)
    ("syntax error at '}' before '}'", 2, None)
    >>> _parse_error(400, "Virtuoso 37000 Error SP030: SPARQL compiler, line 3: syntax error", 1, 1)
    ('syntax error', 1, None)
    """
    if status != 400:
        return None
    message, line, column = syntax_location(text.strip())
    if line is None:
        m = _JENA_AT.search(text)
        virtuoso = _VIRTUOSO_AT.search(text)
        if m:
            message, line, column = readable(text.strip()), int(m.group(1)), int(m.group(2))
        elif virtuoso:
            message, line = virtuoso.group(2).strip(), int(virtuoso.group(1))
            if lines is not None:
                line = min(line, lines + offset)
        elif not _PARSE_WORDS.search(text):
            return None
    if line is not None:
        line = max(1, line - offset)
    return message, line, column


def _query_error(status: int, text: str, offset: int, lines: int | None = None) -> Exception:
    parse = _parse_error(status, text, offset, lines)
    if parse is not None:
        message, line, column = parse
        return SyntaxProblem(message, source="query", line=line, column=column)
    lowered = text.lower()
    if status in (408, 503, 504) or "timeout" in lowered or "cancelled" in lowered:
        return QueryTimeout(f"the remote store stopped the query: {text.strip()[:300]}")
    return StoreError(f"the remote store answered {status}: {text.strip()[:300]}")


def _refusal(url: str, response: httpx.Response) -> str:
    return f"{url} answered {response.status_code}: {response.text.strip()[:300]}"


def _serialize(
    quads: Iterable[Quad], output: IO[bytes], fmt: RdfFormat, *, triples: bool = False
) -> None:
    if triples or not fmt.supports_datasets:
        # A triples format (Turtle, N-Triples, RDF/XML) gets the merge of the graphs.
        ox.serialize((ox.Triple(q.subject, q.predicate, q.object) for q in quads), output, fmt)
    else:
        ox.serialize(quads, output, fmt)


class _Reader(io.RawIOBase):
    """A file-like reader over an iterator of bytes (a streamed response), for pyoxigraph."""

    def __init__(self, chunks: Iterator[bytes]) -> None:
        self.chunks = chunks
        self.pending = b""

    def readable(self) -> bool:
        return True

    def readinto(self, buffer) -> int:
        while not self.pending:
            try:
                self.pending = next(self.chunks)
            except StopIteration:
                return 0
        n = min(len(buffer), len(self.pending))
        buffer[:n] = self.pending[:n]
        self.pending = self.pending[n:]
        return n
