"""Loading files and running pipelines into the store: parse everything, validate the batch,
then write it in one transaction. If anything fails, nothing is written."""

from __future__ import annotations

import os
import sys
import time
from collections.abc import Iterable, Sequence
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path

import pyoxigraph as ox
from rich.console import Console
from rich.progress import Progress, SpinnerColumn, TextColumn, TimeElapsedColumn
from slugify import slugify

from iatp_kg.errors import BadRequest, NotConforming, SyntaxProblem
from iatp_kg.formats import RDF_BY_EXTENSION, RDF_FORMATS_BY_NAME, RdfSyntax
from iatp_kg.namespaces import GRAPH
from iatp_kg.store import Store
from iatp_kg.validation import ValidationReport, context_for, quads_to_graph, validate_graph

__all__ = [
    "LoadResult",
    "checked_document",
    "ingest",
    "load_files",
    "parse_file",
    "seed_store",
    "syntax_for",
    "syntax_problem",
]


@dataclass
class LoadResult:
    """What a load or an ingest wrote: triples per named graph, and how long it took."""

    graphs: dict[str, int] = field(default_factory=dict)
    seconds: float = 0.0
    report: ValidationReport | None = None

    @property
    def triples(self) -> int:
        return sum(self.graphs.values())


def syntax_for(path: Path, fmt: str | None) -> RdfSyntax:
    """The RDF syntax named by ``--format``, or else by the file's extension."""
    if fmt is not None:
        syntax = RDF_FORMATS_BY_NAME.get(fmt)
        if syntax is None:
            raise BadRequest(f"unknown --format {fmt!r}; use one of {sorted(RDF_FORMATS_BY_NAME)}")
        return syntax
    ext = path.name.rsplit(".", 1)[-1].lower() if "." in path.name else ""
    syntax = RDF_BY_EXTENSION.get(ext)
    if syntax is None:
        raise BadRequest(
            f"{path}: cannot tell the RDF syntax from the extension {ext!r}; "
            f"use --format ({', '.join(sorted(RDF_FORMATS_BY_NAME))})"
        )
    return syntax


def default_graph_for(path: Path) -> str:
    """Triples from a file with no --graph land in ``.../graph/file/{slug of the file name}``."""
    return str(GRAPH[f"file/{slugify(path.name)}"])


def parse_file(path: Path, *, fmt: str | None = None, graph: str | None = None) -> list[ox.Quad]:
    """Parse one file into quads. Triples (and a quad format's default graph) go to ``graph``.

    JSON-LD is parsed without ever loading a remote ``@context``. A syntax error raises
    :class:`SyntaxProblem` naming the file, line and column.
    """
    syntax = syntax_for(path, fmt)
    try:
        data = path.read_bytes()
    except OSError as exc:
        raise BadRequest(f"{path}: cannot read: {exc.strerror or exc}") from exc
    target = ox.NamedNode(graph or default_graph_for(path))
    quads = []
    for q in parse_bytes(data, syntax, base_iri=path.resolve().as_uri(), source=str(path)):
        if isinstance(q, ox.Triple) or isinstance(q.graph_name, ox.DefaultGraph) or graph:
            quads.append(ox.Quad(q.subject, q.predicate, q.object, target))
        else:
            quads.append(q)
    return quads


def parse_bytes(data: bytes, syntax: RdfSyntax, *, base_iri: str, source: str) -> list:
    """Parse one document (every entry point uses this: files, HTTP bodies, registrations).

    A UTF-8 byte-order mark is stripped; anything not UTF-8 is refused with its line and
    column; RDF/XML must be well-formed XML (Oxigraph's parser accepts a truncated document
    silently); a remote JSON-LD ``@context`` is refused and never fetched.

    >>> from iatp_kg.formats import RDF_SYNTAXES
    >>> xml = next(s for s in RDF_SYNTAXES if s.media_type == "application/rdf+xml")
    >>> parse_bytes(b"<rdf:RDF xmlns:rdf='http://www.w3.org/1999/02/22-rdf-syntax-ns#'>",
    ...             xml, base_iri="https://example.org/", source="a.rdf")
    Traceback (most recent call last):
    iatp_kg.errors.SyntaxProblem: a.rdf:1:66: not well-formed XML: no element found
    """
    data = checked_document(data, syntax, source)
    try:
        return list(ox.parse(data, syntax.oxigraph, base_iri=base_iri))
    except SyntaxError as exc:
        raise syntax_problem(exc, source) from exc
    except (ValueError, OSError) as exc:
        raise SyntaxProblem(str(exc), source=source) from exc


def checked_document(data: bytes, syntax: RdfSyntax, source: str) -> bytes:
    """The checks every document passes before a parser sees it: a byte-order mark stripped,
    UTF-8, well-formed XML for RDF/XML."""
    if data.startswith(b"\xef\xbb\xbf"):
        data = data[3:]  # a UTF-8 byte-order mark is harmless; strip it
    try:
        data.decode("utf-8")
    except UnicodeDecodeError as exc:
        line = data[: exc.start].count(b"\n") + 1
        column = exc.start - (data.rfind(b"\n", 0, exc.start) + 1) + 1
        raise SyntaxProblem(
            "the document is not valid UTF-8", source=source, line=line, column=column
        ) from exc
    if syntax.media_type == "application/rdf+xml":
        _check_well_formed_xml(data, source)
    return data


def syntax_problem(exc: SyntaxError, source: str) -> SyntaxProblem:
    """Oxigraph's ``SyntaxError`` as the error that names ``source:line:column``."""
    return SyntaxProblem(_syntax_message(exc), source=source, line=exc.lineno, column=exc.offset)


def _check_well_formed_xml(data: bytes, source: str) -> None:
    from xml.parsers import expat

    parser = expat.ParserCreate()

    # No external entity is ever fetched (expat does not, unless told to), and a document
    # type declaration is refused outright: RDF/XML needs none, and it is the way to
    # entity-expansion attacks.
    def no_doctype(*_args) -> None:
        raise SyntaxProblem(
            "a DOCTYPE is not allowed in RDF/XML here", source=source, line=parser.CurrentLineNumber
        )

    parser.StartDoctypeDeclHandler = no_doctype
    try:
        parser.Parse(data, True)
    except expat.ExpatError as exc:
        raise SyntaxProblem(
            f"not well-formed XML: {expat.ErrorString(exc.code)}",
            source=source,
            line=exc.lineno,
            column=exc.offset + 1,
        ) from exc


def _syntax_message(exc: SyntaxError) -> str:
    text = exc.msg if isinstance(exc.msg, str) and exc.msg else str(exc)
    if "remote context" in text or "LoadDocumentCallback" in text:
        return (
            "the JSON-LD document names a remote @context, and remote contexts are never "
            "fetched; put the context inline"
        )
    return text


@contextmanager
def _progress(label: str, enabled: bool):
    """A spinner with a rate on a terminal; nothing when stderr is not one."""
    if not enabled:
        yield lambda **_: None
        return
    with Progress(
        SpinnerColumn(),
        TextColumn("{task.description}"),
        TextColumn("{task.fields[triples]:,} triples"),
        TextColumn("{task.fields[rate]}"),
        TimeElapsedColumn(),
        console=Console(stderr=True),
        transient=True,
    ) as progress:
        task = progress.add_task(label, triples=0, rate="")
        start = time.monotonic()

        def update(*, description: str | None = None, triples: int | None = None) -> None:
            fields = {}
            if triples is not None:
                elapsed = max(time.monotonic() - start, 1e-6)
                fields = {"triples": triples, "rate": f"{triples / elapsed:,.0f}/s"}
            progress.update(task, description=description or label, **fields)

        yield update


def _show_progress() -> bool:
    return sys.stderr.isatty() and not os.environ.get("CI")


def _check(
    quads: Sequence[ox.Quad], store: Store, replaced: Iterable[str] = ()
) -> ValidationReport:
    data = quads_to_graph(quads)
    report = validate_graph(data, context=context_for(store, data, exclude=set(replaced)))
    if not report.conforms:
        raise NotConforming(
            f"the data does not conform to the shapes ({len(report.violations)} violations)",
            detail=report,
        )
    return report


def load_files(
    store: Store,
    paths: Sequence[Path],
    *,
    graph: str | None = None,
    fmt: str | None = None,
    validate: bool = True,
) -> LoadResult:
    """Parse all ``paths``, validate them together, and add them in one transaction.

    Into the embedded store the batch goes through :meth:`Store.bulk_batch` (Oxigraph's bulk
    loader into a copy swapped in whole), and the counts are the triples added; without
    validation the files are parsed there only, never into Python objects.
    """
    start = time.monotonic()
    with _progress("parsing", _show_progress()) as update:
        quads: list[ox.Quad] | None = None
        report = None
        if validate or not isinstance(store, Store):
            quads = []
            for path in paths:
                update(description=f"parsing {path.name}")
                quads.extend(parse_file(path, fmt=fmt, graph=graph))
                update(triples=len(quads))
        if validate:
            update(description="validating")
            report = _check(quads, store)
        update(description="writing")
        if not isinstance(store, Store):
            store.add_quads(quads)
            counts: dict[str, int] = {}
            for q in quads:
                counts[q.graph_name.value] = counts.get(q.graph_name.value, 0) + 1
            return LoadResult(counts, time.monotonic() - start, report)
        with store.bulk_batch() as batch:
            if quads is not None:
                batch.extend(quads)
            else:
                for path in paths:
                    update(description=f"loading {path.name}")
                    _bulk_file(batch, path, fmt=fmt, graph=graph)
    return LoadResult(batch.added, time.monotonic() - start, report)


def _bulk_file(batch, path: Path, *, fmt: str | None, graph: str | None) -> None:
    """One file into a bulk batch, with the same checks and error messages as ``parse_file``."""
    syntax = syntax_for(path, fmt)
    if graph is not None and syntax.oxigraph.supports_datasets:
        # --graph moves a quad file's named graphs too: only a parse into quads can do that.
        batch.extend(parse_file(path, fmt=fmt, graph=graph))
        return
    try:
        data = path.read_bytes()
    except OSError as exc:
        raise BadRequest(f"{path}: cannot read: {exc.strerror or exc}") from exc
    data = checked_document(data, syntax, str(path))
    target = ox.NamedNode(graph or default_graph_for(path))
    try:
        batch.load(data, syntax.oxigraph, base_iri=path.resolve().as_uri(), graph=target)
    except SyntaxError as exc:
        raise syntax_problem(exc, str(path)) from exc
    except ValueError as exc:
        raise SyntaxProblem(str(exc), source=str(path)) from exc


def ingest(
    store: Store,
    names: Sequence[str],
    *,
    file: Path | None = None,
    validate: bool = True,
) -> LoadResult:
    """Run pipelines, validate their output, and replace their graphs in one transaction."""
    from iatp_kg.pipelines import PIPELINES
    from iatp_kg.validation import rdflib_to_quads

    unknown = [n for n in names if n not in PIPELINES]
    if unknown:
        raise BadRequest(f"unknown pipeline {unknown[0]!r}; known: {', '.join(sorted(PIPELINES))}")
    start = time.monotonic()
    graphs: dict[str, list[ox.Quad]] = {}
    with _progress("running pipelines", _show_progress()) as update:
        for name in names:
            update(description=f"pipeline {name}")
            if name == "registry":
                if file is None:
                    raise BadRequest("the registry pipeline needs --file PATH.csv")
                output = PIPELINES[name](file)
            else:
                output = PIPELINES[name]()
            for iri, g in output.graphs().items():
                graphs[iri] = rdflib_to_quads(g, iri)
            update(triples=sum(len(q) for q in graphs.values()))
        report = None
        if validate:
            update(description="validating")
            public = [q for iri, qs in graphs.items() if "/graph/private/" not in iri for q in qs]
            report = _check(public, store, replaced=graphs)
        update(description="writing")
        store.replace_graphs(graphs)
    return LoadResult(
        {iri: len(qs) for iri, qs in graphs.items()}, time.monotonic() - start, report
    )


def seed_store(store: Store, *, validate: bool = True) -> LoadResult:
    """Ingest every seed pipeline (the server does this on first start over an empty store)."""
    from iatp_kg.pipelines import SEED_PIPELINES

    return ingest(store, SEED_PIPELINES, validate=validate)
