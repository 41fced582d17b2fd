"""Plain functions behind the CLI commands that need nothing but the store."""

from __future__ import annotations

import gzip
import shutil
import sys
from pathlib import Path
from typing import IO, TYPE_CHECKING

import pyoxigraph as ox

from iatp_kg.errors import BadRequest, NotFound, StoreError, SyntaxProblem
from iatp_kg.formats import RDF_FORMATS_BY_NAME, RESULT_FORMATS_BY_NAME
from iatp_kg.namespaces import PREFIXES
from iatp_kg.settings import Settings
from iatp_kg.sparql_text import check_depth, syntax_location
from iatp_kg.store import NamedNode, Store

if TYPE_CHECKING:
    from iatp_kg.remote import RemoteStore


def open_store(settings: Settings, *, read_only: bool = False) -> Store | RemoteStore:
    """The store the settings name: the embedded one, or a remote SPARQL server (whose version
    marker is written first if it has none)."""
    if settings.remote_store:
        from iatp_kg.remote import RemoteStore

        store = RemoteStore.from_settings(settings, read_only=read_only)
        store.ensure_marker()
        return store
    return Store.open(settings.store_dir, read_only=read_only)


def run_query(settings: Settings, sparql: str, fmt: str, out: IO[bytes]) -> None:
    """Evaluate ``sparql`` over the public graphs and write the result to ``out`` in ``fmt``."""
    check_depth(sparql)  # Oxigraph's parser overflows its stack on deep nesting
    store = open_store(settings, read_only=True)
    graphs = store.public_graphs()
    try:
        result = store.query(
            sparql,
            default_graph=graphs if settings.union_default_graph else None,
            named_graphs=graphs,
            prefixes=PREFIXES,
        )
    except SyntaxError as exc:
        message, line, column = syntax_location(str(exc))
        raise SyntaxProblem(message, source="query", line=line, column=column) from exc
    if isinstance(result, ox.QueryTriples):
        rdf = RDF_FORMATS_BY_NAME.get(fmt)
        if rdf is None:
            raise BadRequest(
                f"--format {fmt!r} does not fit a graph result; use one of {sorted(RDF_FORMATS_BY_NAME)}"
            )
        result.serialize(out, rdf.oxigraph)
    else:
        res = RESULT_FORMATS_BY_NAME.get(fmt)
        if res is None:
            raise BadRequest(
                f"--format {fmt!r} does not fit a table result; use one of {sorted(RESULT_FORMATS_BY_NAME)}"
            )
        result.serialize(out, res.oxigraph)
    out.flush()


def run_export(settings: Settings, fmt: str, graph: str | None, output: Path | None) -> None:
    rdf = RDF_FORMATS_BY_NAME.get(fmt)
    if rdf is None:
        raise BadRequest(f"--format {fmt!r} is not one of {sorted(RDF_FORMATS_BY_NAME)}")
    store = open_store(settings, read_only=True)
    public = store.public_graphs()
    if graph is not None:
        node = NamedNode(graph)
        if node not in public:
            raise NotFound(f"no public graph named <{graph}>")
        selected = [node]
    else:
        selected = public
    if output is None:
        store.dump(sys.stdout.buffer, rdf.oxigraph, graphs=selected)
        return
    tmp = output.with_name(output.name + ".part")
    opener = gzip.open if output.suffix == ".gz" else open
    with opener(tmp, "wb") as fh:
        store.dump(fh, rdf.oxigraph, graphs=selected)
    tmp.replace(output)


def run_backup(settings: Settings, target: Path) -> None:
    if target.exists():
        raise BadRequest(f"{target} already exists; backup writes into a new directory")
    # Read-only, so it runs online beside a server that holds the store: a consistent
    # point-in-time copy (RocksDB checkpoint) of what was written when it started.
    store = open_store(settings, read_only=True)
    try:
        store.backup(target)
    except OSError as exc:
        raise StoreError(f"backup to {target} failed: {exc}") from exc


def run_restore(settings: Settings, source: Path) -> None:
    if settings.remote_store:
        raise StoreError(
            "the store is a remote SPARQL server: restore it on that engine; iatp-kg restore "
            "replaces an embedded store only"
        )
    try:
        Store.open(source, read_only=True)
    except StoreError as exc:
        raise BadRequest(f"{source} is not a store backup: {exc.message}") from exc
    dest = settings.store_dir
    staging = dest.with_name(dest.name + ".restoring")
    if staging.exists():
        shutil.rmtree(staging)
    shutil.copytree(source, staging)
    old = dest.with_name(dest.name + ".old")
    if old.exists():
        shutil.rmtree(old)
    if dest.exists():
        dest.rename(old)
    staging.rename(dest)
    if old.exists():
        shutil.rmtree(old)
