"""An in-memory copy of the public graphs, kept by each query worker.

Measured at 10k initiatives (658,054 triples, benchmarks/RESULTS.md): scans and aggregates over
an in-memory Oxigraph store ran 3 to 40 times faster than over the on-disk store, and the copy
holds only the public graphs, so queries use Oxigraph's native union default graph instead of a
list of graphs (which was itself 2 to 7 times slower). The on-disk store stays the store of
record: every write goes there first, and the copy follows it.

A thread of the worker keeps the copy. After a write the worker's next query names the new
store version: the query runs on disk (always current), while the thread brings the copy up to
that version, re-copying only the graphs the writes touched (the store's journal of recent
writes says which) or, when that is not known, rebuilding it. A query uses the copy only when
the copy is at exactly the query's version, so a write is never hidden.
"""

from __future__ import annotations

import os
import sys
import tempfile
import threading
import time
import traceback

import pyoxigraph as ox

from iatp_kg.namespaces import PRIVATE_GRAPH_PREFIX

Changes = tuple[tuple[int, frozenset[str] | None], ...]
Key = tuple[str, int]  # (the writer's store id, its write counter)


def version_key(version: str) -> Key | None:
    """``"1a2b3c-7"`` → ``("1a2b3c", 7)``; None for a version of another shape."""
    head, _, tail = version.rpartition("-")
    return (head, int(tail)) if head and tail.isdigit() else None


def changed_graphs(at: Key, wanted: Key, changes: Changes) -> set[str] | None:
    """The graphs written between ``at`` and ``wanted``, or None when the journal cannot say
    (another writer process, a gap in the journal, a write of unknown reach).

    >>> changed_graphs(("a", 3), ("a", 5), ((4, frozenset({"g1"})), (5, frozenset({"g2"}))))
    ['g1', 'g2']
    >>> changed_graphs(("a", 3), ("a", 5), ((5, frozenset({"g2"})),)) is None  # a gap
    True
    >>> changed_graphs(("a", 3), ("a", 4), ((4, None),)) is None  # an arbitrary update
    True
    >>> changed_graphs(("a", 3), ("b", 4), ((4, frozenset()),)) is None  # another store
    True
    """
    if at[0] != wanted[0] or wanted[1] < at[1]:
        return None
    entries = [(n, graphs) for n, graphs in changes if at[1] < n <= wanted[1]]
    if len(entries) != wanted[1] - at[1] or any(graphs is None for _, graphs in entries):
        return None
    out: set[str] = set()
    for _, graphs in entries:
        out |= graphs  # type: ignore[arg-type]
    return sorted(out)  # type: ignore[return-value]


class MemoryCopy:
    """The public graphs of the on-disk store at ``store_path``, in memory.

    ``with_default_graph``: copy the store's default graph too (when the endpoint does not
    use the union of the named graphs as its default graph, the default graph is public).
    """

    def __init__(self, store_path: str, *, with_default_graph: bool, open_read_only) -> None:
        self.store_path = store_path
        self.with_default_graph = with_default_graph
        self._open = open_read_only
        self.store: ox.Store | None = None
        self.at: Key | None = None
        self.lock = threading.Lock()  # held while a query reads the copy or the thread writes
        self._wanted: tuple[Key, Changes] | None = None
        self._cond = threading.Condition()
        self.rebuilds = 0
        self.refreshes = 0
        threading.Thread(target=self._run, daemon=True, name="memory-copy").start()

    # ---- the query side ----------------------------------------------------------------------
    def want(self, version: str, changes: Changes) -> None:
        """Ask the thread to bring the copy to ``version`` (it will, in the background)."""
        key = version_key(version)
        if key is None or key == self.at:
            return
        with self._cond:
            self._wanted = (key, changes)
            self._cond.notify()

    def acquire(self, version: str) -> ox.Store | None:
        """The copy, locked for the caller, when it is at exactly ``version``; else None."""
        key = version_key(version)
        if key is None or self.at != key or not self.lock.acquire(blocking=False):
            return None
        if self.at != key or self.store is None:
            self.lock.release()
            return None
        return self.store

    def release(self) -> None:
        self.lock.release()

    # ---- the thread --------------------------------------------------------------------------
    def _run(self) -> None:  # pragma: no cover - runs in the worker process
        failures = 0
        while True:
            with self._cond:
                while self._wanted is None or self._wanted[0] == self.at:
                    self._cond.wait()
                key, changes = self._wanted
            if self.at is not None and key[0] == self.at[0] and key[1] < self.at[1]:
                with self._cond:  # an older version than the copy's: nothing to do
                    if self._wanted == (key, changes):
                        self._wanted = None
                continue
            try:
                self._refresh(key, changes)
                failures = 0
            except Exception:
                failures += 1
                traceback.print_exc(file=sys.stderr)
                with self.lock:
                    self.store, self.at = None, None
                time.sleep(min(30.0, 0.05 * 2**failures))

    def _refresh(self, key: Key, changes: Changes) -> None:  # pragma: no cover
        disk = self._open(self.store_path)
        graphs = (
            changed_graphs(self.at, key, changes)
            if self.at is not None and self.store is not None
            else None
        )
        if graphs is None:
            self._rebuild(disk, key)
            return
        with self.lock:
            self.at = None  # while it changes, queries read the disk
            for name in graphs:
                self._copy_graph(disk, name, replace=True)
            self.at = key
        self.refreshes += 1

    def _rebuild(self, disk, key: Key) -> None:  # pragma: no cover
        with self.lock:  # drop the old copy first: two at once would double the memory
            self.store, self.at = None, None
        fresh = ox.Store()
        names = [g.value for g in disk.public_graphs()]
        if self.with_default_graph:
            names.append("")
        for name in names:
            self._copy_graph(disk, name, replace=False, target=fresh)
        with self.lock:
            self.store, self.at = fresh, key
        self.rebuilds += 1

    def _copy_graph(
        self, disk, name: str, *, replace: bool, target=None
    ) -> None:  # pragma: no cover
        target = target if target is not None else self.store
        if name == "":
            if not self.with_default_graph:
                return
            node = ox.DefaultGraph()
            if replace:
                target.clear_graph(node)
        else:
            if name.startswith(PRIVATE_GRAPH_PREFIX):
                return
            node = ox.NamedNode(name)
            if replace and target.contains_named_graph(node):
                target.remove_graph(node)
            if not disk.contains_graph(node):
                return
            target.add_graph(node)
        # Through a file: Oxigraph's dump and bulk_load release the GIL, so the worker keeps
        # answering from disk meanwhile (``extend`` over a Python iterator held it: measured at
        # 10k initiatives, the worker's other thread ran 6 times less often).
        with tempfile.TemporaryDirectory(prefix="iatp-kg-copy-") as tmp:
            path = os.path.join(tmp, "graph.nt")
            disk.dump_graph(path, node)
            target.bulk_load(path=path, format=ox.RdfFormat.N_TRIPLES, to_graph=node)
