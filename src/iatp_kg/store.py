"""The only module that talks to the triple store.

It is kept narrow (query, update, atomic graph writes, quads, dump, backup) so that a remote
SPARQL 1.1 server could stand behind the same interface. It knows nothing of HTTP or SHACL.

>>> store = Store.in_memory()
>>> store.replace_graphs({"https://example.org/g": [
...     Quad(NamedNode("https://example.org/s"), NamedNode("https://example.org/p"),
...          Literal("o"), NamedNode("https://example.org/g"))]})
>>> len(store)
1
>>> store.ask("ASK { GRAPH ?g { ?s ?p 'o' } }")
True
"""

from __future__ import annotations

import ctypes
import ctypes.util
import gc
import hashlib
import itertools
import os
import shutil
import threading
import time
import uuid
from collections import defaultdict, deque
from collections.abc import Iterable, Iterator, Mapping
from contextlib import contextmanager
from pathlib import Path
from typing import IO

import pyoxigraph as ox
from pyoxigraph import BlankNode, DefaultGraph, Literal, NamedNode, Quad, RdfFormat

from iatp_kg.dialects import STANDARD
from iatp_kg.errors import StoreError
from iatp_kg.namespaces import PRIVATE_GRAPH_PREFIX

__all__ = [
    "BlankNode",
    "BulkBatch",
    "DefaultGraph",
    "Literal",
    "NamedNode",
    "Quad",
    "RdfFormat",
    "Store",
]

_INSERT_CHUNK = 50_000
# How many recent writes the store remembers the graphs of (see ``Store.changes``).
JOURNAL_LENGTH = 64

Changes = tuple[tuple[int, frozenset[str] | None], ...]


class Store:
    """An Oxigraph store, on disk (``Store.open(path)``) or in memory (``Store.in_memory()``)."""

    dialect = STANDARD  # the SPARQL it takes: all of 1.1 (a remote store's may differ)

    def __init__(self, inner: ox.Store, path: Path | None, *, read_only: bool = False) -> None:
        self._inner = inner
        self.path = path
        self.read_only = read_only
        self._lock = threading.Lock()
        # The version changes on every write; ETags derive from it.
        self._version = uuid.uuid4().hex[:12]
        self._counter = 0
        # (counter, the graphs that write touched, or None when unknown) for recent writes:
        # the query workers' in-memory copies refresh only those graphs.
        self._journal: deque[tuple[int, frozenset[str] | None]] = deque(maxlen=JOURNAL_LENGTH)
        self.last_modified = time.time()

    # ---- opening ---------------------------------------------------------------------------
    @classmethod
    def open(cls, path: str | os.PathLike[str], *, read_only: bool = False) -> Store:
        p = Path(path)
        try:
            if read_only:
                inner = ox.Store.read_only(str(p))
            else:
                p.mkdir(parents=True, exist_ok=True)
                inner = ox.Store(str(p))
        except OSError as exc:
            raise StoreError(f"cannot open the store at {p}: {exc}") from exc
        return cls(inner, p, read_only=read_only)

    @classmethod
    def in_memory(cls) -> Store:
        return cls(ox.Store(), None)

    # ---- state -----------------------------------------------------------------------------
    @property
    def version(self) -> str:
        """An opaque token that changes whenever this process writes to the store."""
        return f"{self._version}-{self._counter}"

    def changes(self) -> tuple[str, Changes]:
        """The version and the graphs each recent write touched (``None``: not known, such as
        after an arbitrary SPARQL Update), oldest first. The default graph is ``""``."""
        return self.version, tuple(self._journal)

    def _touch(self, graphs: Iterable[str] | None) -> None:
        if self.path is not None:
            # Flushed after every write, before the version changes: a read-only opening (the
            # query workers, an online backup) of the new version then sees the write in the
            # on-disk files, not only in the write-ahead log.
            self._inner.flush()
        self._journal.append((self._counter + 1, None if graphs is None else frozenset(graphs)))
        self._counter += 1
        self.last_modified = time.time()

    def __len__(self) -> int:
        return len(self._inner)

    def is_empty(self) -> bool:
        return next(iter(self._inner.quads_for_pattern(None, None, None, None)), None) is None

    def named_graphs(self) -> list[NamedNode]:
        return [g for g in self._inner.named_graphs() if isinstance(g, NamedNode)]

    def public_graphs(self) -> list[NamedNode]:
        """Named graphs a public surface may see (never the private ones)."""
        return [g for g in self.named_graphs() if not g.value.startswith(PRIVATE_GRAPH_PREFIX)]

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
        """Evaluate a SPARQL query. Raises ``SyntaxError`` for a malformed query."""
        return self._inner.query(
            sparql,
            default_graph=default_graph,
            named_graphs=named_graphs,
            use_default_graph_as_union=union_default_graph,
            substitutions=dict(substitutions) if substitutions else None,
            base_iri=base_iri,
            prefixes=dict(prefixes) if prefixes else None,
        )

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
        return self._inner.quads_for_pattern(subject, predicate, obj, graph)

    def contains_graph(self, graph: NamedNode) -> bool:
        return self._inner.contains_named_graph(graph)

    # ---- writing (every write is one transaction) -----------------------------------------
    def update(
        self,
        sparql: str,
        *,
        base_iri: str | None = None,
        graphs: Iterable[str | NamedNode | DefaultGraph] | None = None,
    ) -> None:
        """Run a SPARQL 1.1 Update as one transaction: all of it, or none of it.

        ``graphs``: the graphs the update can change, when the caller knows them (the default
        graph as ``DefaultGraph()``); unknown by default.
        """
        self._check_writable()
        touched = None if graphs is None else [_graph_key(g) for g in graphs]
        with self._lock:
            try:
                self._inner.update(sparql, base_iri=base_iri)
            except OSError as exc:
                raise StoreError(f"the store refused the write: {exc}") from exc
            self._touch(touched)

    def add_quads(self, quads: Iterable[Quad]) -> None:
        """Add quads in one transaction."""
        self._check_writable()
        touched: set[str] = set()

        def noted(quads: Iterable[Quad]) -> Iterator[Quad]:
            for q in quads:
                touched.add(_graph_key(q.graph_name))
                yield q

        with self._lock:
            try:
                self._inner.extend(noted(quads))
            except OSError as exc:
                raise StoreError(f"the store refused the write: {exc}") from exc
            self._touch(touched)

    def replace_graphs(self, graphs: Mapping[str | NamedNode, Iterable[Quad]]) -> None:
        """Replace the content of each named graph, all graphs in one transaction.

        The quads' own graph names are ignored: each goes to the graph it is listed under.
        """
        self._check_writable()
        parts: list[str] = []
        for name, quads in graphs.items():
            iri = name.value if isinstance(name, NamedNode) else str(name)
            parts.append(f"DROP SILENT GRAPH <{iri}>")
            body = _ntriples(quads)
            if body:
                parts.append(f"INSERT DATA {{ GRAPH <{iri}> {{\n{body}\n}} }}")
        if parts:
            self.update(" ;\n".join(parts), graphs=graphs.keys())

    def drop_graphs(self, graphs: Iterable[str | NamedNode]) -> None:
        names = [g.value if isinstance(g, NamedNode) else str(g) for g in graphs]
        if names:
            self.update(" ;\n".join(f"DROP SILENT GRAPH <{n}>" for n in names), graphs=names)

    def bulk_load(
        self, path: str | os.PathLike[str], fmt: RdfFormat, graph: NamedNode | None
    ) -> None:
        """Fast, non-transactional load of a large file (for benchmarks and ``--bulk``)."""
        self._check_writable()
        with self._lock:
            self._inner.bulk_load(path=str(path), format=fmt, to_graph=graph)
            self._touch(None if graph is None else [graph.value])

    # ---- export and maintenance ------------------------------------------------------------
    def dump(
        self,
        output: IO[bytes],
        fmt: RdfFormat,
        *,
        graph: NamedNode | DefaultGraph | None = None,
        graphs: Iterable[NamedNode] | None = None,
    ) -> None:
        """Serialise the store, one graph, or a list of graphs, streaming into ``output``; a
        format without named graphs gets the merge of the selected graphs."""
        if graph is not None:
            self._inner.dump(output, fmt, from_graph=graph)
            return
        selected = list(graphs) if graphs is not None else None
        if selected is None:
            self._inner.dump(output, fmt)
            return
        quads = itertools.chain.from_iterable(
            self._inner.quads_for_pattern(None, None, None, g) for g in selected
        )
        if not fmt.supports_datasets:
            # A triples format (Turtle, N-Triples, RDF/XML) gets the merge of the graphs.
            quads = (ox.Triple(q.subject, q.predicate, q.object) for q in quads)
        ox.serialize(quads, output, fmt)

    def dump_graph(self, path: str | os.PathLike[str], graph: NamedNode | DefaultGraph) -> None:
        """Write one graph as N-Triples to the file at ``path`` (without holding the GIL)."""
        self._inner.dump(str(path), RdfFormat.N_TRIPLES, from_graph=graph)

    def dump_public(self, output: IO[bytes], fmt: RdfFormat) -> None:
        """Serialise every public named graph from one snapshot, streaming into ``output``
        (a triples format gets their merge). Private graphs and the default graph are left
        out, whatever is written meanwhile."""
        quads = (
            q
            for q in self._inner.quads_for_pattern(None, None, None, None)
            if isinstance(q.graph_name, NamedNode)
            and not q.graph_name.value.startswith(PRIVATE_GRAPH_PREFIX)
        )
        if not fmt.supports_datasets:
            quads = (ox.Triple(q.subject, q.predicate, q.object) for q in quads)
        ox.serialize(quads, output, fmt)

    def digest(self) -> str:
        """SHA-256 of the sorted N-Quads of the whole store: equal digests mean equal stores."""
        lines = sorted(str(q) for q in self._inner.quads_for_pattern(None, None, None, None))
        h = hashlib.sha256()
        for line in lines:
            h.update(line.encode())
            h.update(b"\n")
        return h.hexdigest()

    def backup(self, target: str | os.PathLike[str]) -> None:
        """An online, consistent copy of an on-disk store into a new directory."""
        if self.path is None:
            raise StoreError("an in-memory store cannot be backed up; dump it instead")
        self._inner.backup(str(target))

    def flush(self) -> None:
        if not self.read_only:
            self._inner.flush()

    def optimize(self) -> None:
        if not self.read_only:
            self._inner.optimize()

    def _check_writable(self) -> None:
        if self.read_only:
            raise StoreError("this store is open read-only")

    # ---- bulk writes (an operator's process holding the store alone) -----------------------
    @contextmanager
    def bulk_batch(self) -> Iterator[BulkBatch]:
        """Add a large batch at Oxigraph's bulk-loading speed, still all or nothing.

        On disk, the batch goes into a checkpoint of the store (hard links, so it costs little)
        beside it, through Oxigraph's bulk loader, which is fast but not atomic; only a complete
        copy is swapped in for the store, in one ``renameat2(RENAME_EXCHANGE)``, and the old
        files are then removed. A failure or a kill -9 before the swap leaves the store as it
        was (the next batch removes the leftover copy). This is the way of Jena's
        ``tdb2.tdbloader`` and Neo4j's import, made safe for a store that has data. Where the
        swap cannot be made (an in-memory store, a store directory that is a mount point, a
        C library without the call), the batch is written in one transaction instead. Counts
        in ``added`` are the triples the store did not hold before, per graph.

        Only for a process that holds the store alone: the command line's ``load``, never the
        server (query workers read the store's directory).
        """
        self._check_writable()
        with self._lock:
            batch = BulkBatch(self)
            try:
                yield batch
                batch.finish()
            finally:
                batch.discard()
            self._touch(batch.graphs)


class BulkBatch:
    """What :meth:`Store.bulk_batch` yields: documents and quads to add, counted per graph."""

    def __init__(self, store: Store) -> None:
        self._store = store
        self._pending: list[Quad] = []  # the one-transaction fallback
        self.graphs: set[str] = set()
        self.added: dict[str, int] = {}
        self._staging: Path | None = None
        self._copy: ox.Store | None = None
        path = store.path
        if path is not None and _RENAME_EXCHANGE is not None and not os.path.ismount(path):
            for stale in path.parent.glob(f".{path.name}.bulk-*"):
                shutil.rmtree(stale, ignore_errors=True)  # we hold the store's lock: stale
            staging = path.parent / f".{path.name}.bulk-{os.getpid()}"
            try:
                store._inner.flush()
                store._inner.backup(str(staging))
                self._copy = ox.Store(str(staging))
                self._staging = staging
            except OSError:
                shutil.rmtree(staging, ignore_errors=True)
        self._before = _graph_sizes(store._inner)

    def load(self, data: bytes, fmt: RdfFormat, *, base_iri: str | None, graph: NamedNode) -> None:
        """Add one document; its triples (and a quad format's default graph) go to ``graph``.
        Raises ``SyntaxError`` as Oxigraph's parser does."""
        self.graphs.add(graph.value)
        if self._copy is None:
            for q in ox.parse(data, fmt, base_iri=base_iri):
                self._add(q, graph)
            return
        try:
            self._copy.bulk_load(data, fmt, base_iri=base_iri, to_graph=graph)
        except OSError as exc:
            raise StoreError(f"the store refused the write: {exc}") from exc

    def extend(self, quads: Iterable[Quad]) -> None:
        """Add quads as they are."""
        quads = list(quads)
        self.graphs.update(_graph_key(q.graph_name) for q in quads)
        if self._copy is None:
            self._pending.extend(quads)
            return
        try:
            self._copy.bulk_extend(quads)
        except OSError as exc:
            raise StoreError(f"the store refused the write: {exc}") from exc

    def _add(self, q: Quad | ox.Triple, graph: NamedNode) -> None:
        if isinstance(q, ox.Triple) or isinstance(q.graph_name, DefaultGraph):
            q = Quad(q.subject, q.predicate, q.object, graph)
        else:
            self.graphs.add(_graph_key(q.graph_name))
        self._pending.append(q)

    def finish(self) -> None:
        inner = self._store
        if self._copy is None:
            try:
                inner._inner.extend(self._pending)
            except OSError as exc:
                raise StoreError(f"the store refused the write: {exc}") from exc
            self.added = _grown(self._before, _graph_sizes(inner._inner))
            self.graphs.update(self.added)
            return
        try:
            self._copy.flush()
            self.added = _grown(self._before, _graph_sizes(self._copy))
            self.graphs.update(self.added)
        except OSError as exc:
            raise StoreError(f"the store refused the write: {exc}") from exc
        self._copy = None  # closes the copy (nothing else holds it)
        gc.collect()
        path, staging = inner.path, self._staging
        assert path is not None and staging is not None
        inner._inner = None  # close the store before its directory moves
        gc.collect()
        try:
            _RENAME_EXCHANGE(staging, path)
        except OSError as exc:
            inner._inner = ox.Store(str(path))
            raise StoreError(f"cannot swap the loaded copy in for the store: {exc}") from exc
        inner._inner = ox.Store(str(path))

    def discard(self) -> None:
        self._copy = None
        self._pending = []
        if self._staging is not None:
            shutil.rmtree(self._staging, ignore_errors=True)
            self._staging = None


def _graph_sizes(store: ox.Store) -> dict[str, int]:
    sizes = {
        _graph_key(row["g"]): int(row["n"].value)
        for row in store.query("SELECT ?g (COUNT(*) AS ?n) { GRAPH ?g { ?s ?p ?o } } GROUP BY ?g")
    }
    default = int(next(iter(store.query("SELECT (COUNT(*) AS ?n) { ?s ?p ?o }")))["n"].value)
    if default:
        sizes[""] = default
    return sizes


def _grown(before: Mapping[str, int], after: Mapping[str, int]) -> dict[str, int]:
    return {g: n - before.get(g, 0) for g, n in after.items() if n > before.get(g, 0)}


def _renameat2_exchange():
    """``renameat2(RENAME_EXCHANGE)`` from the C library: two directories change places in
    one step (Linux 3.15, glibc 2.28), or ``None`` where there is no such call."""
    try:
        libc = ctypes.CDLL(ctypes.util.find_library("c") or "libc.so.6", use_errno=True)
        call = libc.renameat2
    except (OSError, AttributeError):
        return None
    at_fdcwd, rename_exchange = -100, 2

    def exchange(a: Path, b: Path) -> None:
        if call(at_fdcwd, os.fsencode(a), at_fdcwd, os.fsencode(b), rename_exchange) != 0:
            errno = ctypes.get_errno()
            raise OSError(errno, os.strerror(errno), str(b))

    return exchange


_RENAME_EXCHANGE = _renameat2_exchange()


def _graph_key(graph: str | NamedNode | BlankNode | DefaultGraph) -> str:
    """A graph name as the journal keeps it: its IRI, ``""`` for the default graph."""
    if isinstance(graph, str):
        return graph
    return graph.value if isinstance(graph, NamedNode) else ""


def _ntriples(quads: Iterable[Quad]) -> str:
    """Triples of ``quads`` as N-Triples lines (the syntax INSERT DATA accepts)."""
    out: list[str] = []
    for q in quads:
        out.append(f"{q.subject} {q.predicate} {q.object} .")
    return "\n".join(out)


def group_by_graph(quads: Iterable[Quad]) -> dict[str, list[Quad]]:
    """Quads grouped by their named graph IRI (the default graph under ``""``)."""
    groups: dict[str, list[Quad]] = defaultdict(list)
    for q in quads:
        g = q.graph_name
        groups[g.value if isinstance(g, NamedNode) else ""].append(q)
    return dict(groups)
