"""The ``iatp-kg`` command: thin commands over plain functions.

Exit codes: 0 ok (or the data conforms), 1 the data does not conform, 2 any other error.
"""

from __future__ import annotations

import sys
from pathlib import Path
from typing import Annotated

import typer
from rich.console import Console

from iatp_kg.errors import IatpError
from iatp_kg.settings import Settings

app = typer.Typer(
    name="iatp-kg",
    help="Load, validate, query, export and serve the IATP knowledge graph.",
    no_args_is_help=True,
    add_completion=False,
    pretty_exceptions_enable=False,
)
err = Console(stderr=True)

StoreOpt = Annotated[
    Path | None,
    typer.Option(
        "--store",
        help="Store directory (default: the IATP_KG_STORE or IATP_KG_STORE_DIR setting).",
    ),
]


def _settings(store: Path | None) -> Settings:
    settings = Settings()
    if store is not None:  # --store DIR: the embedded store in DIR, whatever IATP_KG_STORE says
        settings = settings.model_copy(update={"store_dir": store, "store": None})
    return settings


def _fail(exc: IatpError) -> typer.Exit:
    err.print(f"[bold red]error:[/] {exc.message}", highlight=False, soft_wrap=True)
    return typer.Exit(exc.exit_code)


ReportFormat = Annotated[
    str,
    typer.Option(
        "--report-format",
        help="How to print a SHACL report: text (a table on stderr), json or ttl (on stdout).",
    ),
]
LangOpt = Annotated[str, typer.Option("--lang", help="Language of messages: en or es.")]


def _print_report(report, fmt: str, lang: str) -> None:
    if fmt == "json":
        import orjson

        sys.stdout.buffer.write(orjson.dumps(report.to_json(), option=orjson.OPT_INDENT_2) + b"\n")
    elif fmt == "ttl":
        sys.stdout.write(report.to_turtle())
    else:
        err.print(report.table(lang), highlight=False, markup=False, soft_wrap=True)


def _fail_with_report(exc: IatpError, fmt: str, lang: str) -> typer.Exit:
    from iatp_kg.errors import NotConforming

    if isinstance(exc, NotConforming) and exc.detail is not None:
        _print_report(exc.detail, fmt, lang)
    return _fail(exc)


@app.command()
def load(
    files: Annotated[list[Path], typer.Argument(help="RDF files: .ttl .trig .nt .nq .jsonld .rdf")],
    graph: Annotated[
        str | None,
        typer.Option("--graph", help="Named graph for triples (default: one per file)."),
    ] = None,
    fmt: Annotated[
        str | None, typer.Option("--format", help="Syntax of every file, instead of extensions.")
    ] = None,
    no_validate: Annotated[
        bool, typer.Option("--no-validate", help="Skip SHACL validation.")
    ] = False,
    report_format: ReportFormat = "text",
    lang: LangOpt = "en",
    store: StoreOpt = None,
) -> None:
    """Add RDF files to the store in one transaction, after validating them together.

    If any file does not parse (exit 2, with file:line:column) or the batch does not conform
    to the shapes (exit 1, with a table), nothing is written. Graph names under
    .../graph/private/ are allowed: load is an operator's tool.
    """
    from iatp_kg.commands import open_store
    from iatp_kg.loading import load_files

    try:
        result = load_files(
            open_store(_settings(store)), files, graph=graph, fmt=fmt, validate=not no_validate
        )
    except IatpError as exc:
        raise _fail_with_report(exc, report_format, lang) from exc
    err.print(
        f"added {result.triples:,} new triples to {len(result.graphs)} graph(s) "
        f"in {result.seconds:.2f} s",
        highlight=False,
    )


@app.command()
def ingest(
    pipelines: Annotated[
        list[str] | None, typer.Argument(help="Pipeline names (see --list).")
    ] = None,
    seed: Annotated[bool, typer.Option("--seed", help="Run every seed pipeline.")] = False,
    file: Annotated[
        Path | None, typer.Option("--file", help="Input file, for the registry pipeline.")
    ] = None,
    list_: Annotated[bool, typer.Option("--list", help="List the pipelines and exit.")] = False,
    no_validate: Annotated[
        bool, typer.Option("--no-validate", help="Skip SHACL validation.")
    ] = False,
    size: Annotated[
        int, typer.Option("--size", help="Initiatives, for the synthetic pipeline.")
    ] = 1000,
    random_seed: Annotated[
        int, typer.Option("--random-seed", help="Random seed, for the synthetic pipeline.")
    ] = 0,
    defects: Annotated[
        float,
        typer.Option("--defects", help="Fraction of synthetic blocks with a known defect."),
    ] = 0.0,
    report_format: ReportFormat = "text",
    lang: LangOpt = "en",
    store: StoreOpt = None,
) -> None:
    """Run pipelines and replace their named graphs, all in one transaction, if they conform.

    The synthetic pipeline (benchmarks) runs alone: it streams N-Quads into a file, validates
    them with the SPARQL engine, and bulk-loads them.
    """
    from iatp_kg.commands import open_store
    from iatp_kg.loading import ingest as run_ingest
    from iatp_kg.pipelines import PIPELINES, SEED_PIPELINES

    if list_:
        for name in PIPELINES:
            typer.echo(f"{name}{'  (seed)' if name in SEED_PIPELINES else ''}")
        return
    names = list(SEED_PIPELINES) if seed else list(pipelines or [])
    if not names:
        err.print("error: name a pipeline, or use --seed (see --list)")
        raise typer.Exit(2)
    if "synthetic" in names:
        _ingest_synthetic(
            names, size, random_seed, defects, not no_validate, store, report_format, lang
        )
        return
    try:
        result = run_ingest(
            open_store(_settings(store)), names, file=file, validate=not no_validate
        )
    except IatpError as exc:
        raise _fail_with_report(exc, report_format, lang) from exc
    for iri, count in result.graphs.items():
        err.print(f"{count:>8,}  {iri}", highlight=False)
    err.print(f"ingested {result.triples:,} triples in {result.seconds:.2f} s", highlight=False)


def _ingest_synthetic(names, size, seed, defects, validate, store, report_format, lang) -> None:
    from iatp_kg.commands import open_store
    from iatp_kg.pipelines import synthetic

    if names != ["synthetic"]:
        err.print("error: the synthetic pipeline runs alone")
        raise typer.Exit(2)
    try:
        result, summary = synthetic.ingest(
            open_store(_settings(store)), size=size, seed=seed, defects=defects, validate=validate
        )
    except ValueError as exc:
        err.print(f"error: {exc}")
        raise typer.Exit(2) from exc
    except IatpError as exc:
        raise _fail_with_report(exc, report_format, lang) from exc
    for kind, count in sorted(summary.defects_by_kind().items()):
        err.print(f"{count:>8,}  defect {kind}", highlight=False)
    err.print(
        f"ingested {result.triples:,} synthetic triples ({summary.initiatives:,} initiatives) "
        f"in {result.seconds:.2f} s",
        highlight=False,
    )


@app.command()
def validate(
    files: Annotated[
        list[Path] | None, typer.Argument(help="Files to validate; none: the whole store.")
    ] = None,
    fmt: Annotated[str | None, typer.Option("--format", help="Syntax of every file.")] = None,
    engine: Annotated[
        str,
        typer.Option(
            "--engine",
            help="pyshacl (the reference) or sparql (the shapes compiled to SPARQL, run by "
            "Oxigraph: the whole store in seconds).",
        ),
    ] = "pyshacl",
    report_format: ReportFormat = "text",
    lang: LangOpt = "en",
    store: StoreOpt = None,
) -> None:
    """Validate files (against the store's content) or the whole store. Exit 0 conforms, 1 not."""
    from iatp_kg.commands import open_store
    from iatp_kg.loading import parse_file
    from iatp_kg.validation import context_for, quads_to_graph, validate_graph, validate_store

    if engine not in ("pyshacl", "sparql"):
        err.print(f"error: --engine {engine!r} is not pyshacl or sparql")
        raise typer.Exit(2)
    if engine == "sparql":
        from iatp_kg.validation_sparql import validate_graph_sparql as validate_graph
        from iatp_kg.validation_sparql import validate_store_sparql as validate_store
    try:
        if files:
            settings = _settings(store)
            present = settings.remote_store or settings.store_dir.exists()
            target = open_store(settings, read_only=True) if present else None
            quads = [q for f in files for q in parse_file(f, fmt=fmt)]
            data = quads_to_graph(quads)
            context = context_for(target, data) if target is not None else None
            report = validate_graph(data, context=context)
        else:
            report = validate_store(open_store(_settings(store), read_only=True))
    except IatpError as exc:
        raise _fail(exc) from exc
    _print_report(report, report_format, lang)
    raise typer.Exit(0 if report.conforms else 1)


@app.command()
def query(
    sparql: Annotated[str | None, typer.Argument(help="The SPARQL query text.")] = None,
    file: Annotated[
        Path | None, typer.Option("-f", "--file", help="Read the query from a .rq file.")
    ] = None,
    fmt: Annotated[
        str,
        typer.Option(
            "--format",
            help="json, csv, tsv, xml (SELECT/ASK); ttl, nt, nq, trig, jsonld, rdfxml (CONSTRUCT/DESCRIBE).",
        ),
    ] = "json",
    store: StoreOpt = None,
) -> None:
    """Run a SPARQL query over the store (the union of its public graphs) and print the result."""
    from iatp_kg.commands import run_query

    if (sparql is None) == (file is None):
        err.print("error: give a query, or -f FILE, but not both")
        raise typer.Exit(2)
    text = sparql if sparql is not None else file.read_text(encoding="utf-8")
    try:
        run_query(_settings(store), text, fmt, sys.stdout.buffer)
    except IatpError as exc:
        raise _fail(exc) from exc


@app.command()
def export(
    fmt: Annotated[str, typer.Option("--format", help="nq, trig, ttl, nt or jsonld.")] = "nq",
    graph: Annotated[str | None, typer.Option("--graph", help="Only this named graph.")] = None,
    output: Annotated[
        Path | None,
        typer.Option("-o", "--output", help="Write here (.gz compresses); default stdout."),
    ] = None,
    store: StoreOpt = None,
) -> None:
    """Export the public graphs (never the private ones), streaming."""
    from iatp_kg.commands import run_export

    try:
        run_export(_settings(store), fmt, graph, output)
    except IatpError as exc:
        raise _fail(exc) from exc


@app.command()
def backup(
    target: Annotated[Path, typer.Argument(help="A new directory to write the copy into.")],
    store: StoreOpt = None,
) -> None:
    """Copy the store consistently into TARGET; safe while the server runs."""
    from iatp_kg.commands import run_backup

    try:
        run_backup(_settings(store), target)
    except IatpError as exc:
        raise _fail(exc) from exc


@app.command()
def restore(
    source: Annotated[Path, typer.Argument(help="A directory written by `iatp-kg backup`.")],
    store: StoreOpt = None,
) -> None:
    """Replace the store with a backup (the server must be stopped)."""
    from iatp_kg.commands import run_restore

    try:
        run_restore(_settings(store), source)
    except IatpError as exc:
        raise _fail(exc) from exc


@app.command()
def replica(
    source: Annotated[
        Path,
        typer.Option(
            "--from",
            help="The directory the primary writes its backups into, one subdirectory per "
            "backup, names sorting by time (iatp-kg backup DIR/$(date -u +%Y%m%dT%H%M%SZ)).",
        ),
    ],
    interval: Annotated[
        float, typer.Option("--interval", help="Seconds between looks for a newer backup.")
    ] = 60.0,
    primary: Annotated[
        str | None,
        typer.Option("--primary", help="The primary's public URL, named when a write is refused."),
    ] = None,
    host: Annotated[str, typer.Option("--host", help="Interface to listen on.")] = "127.0.0.1",
    port: Annotated[int, typer.Option("--port", help="TCP port.")] = 8000,
    store: StoreOpt = None,
) -> None:
    """Serve a read-only replica that catches up with the primary's newest backup.

    Over a missing or empty store it first copies the newest backup in. Then, every INTERVAL
    seconds, it replaces the graphs that changed since the backup it applied, in one
    transaction, answering queries all the while. Writes are refused (403). See
    docs/deployment.md.
    """
    from iatp_kg.replica import serve_replica

    settings = _settings(store)
    err.print(
        f"iatp-kg replica of {source} on http://{host}:{port}/sparql  "
        f"(store: {settings.store_dir})",
        highlight=False,
    )
    try:
        serve_replica(settings, source, host=host, port=port, interval=interval, primary=primary)
    except IatpError as exc:
        raise _fail(exc) from exc


@app.command()
def serve(
    host: Annotated[str, typer.Option("--host", help="Interface to listen on.")] = "127.0.0.1",
    port: Annotated[int, typer.Option("--port", help="TCP port.")] = 8000,
    store: StoreOpt = None,
    workers: Annotated[
        int,
        typer.Option(
            "--workers",
            min=1,
            help="Server processes behind the port, over one store (over the embedded store: "
            "an oxigraph serve on it, on the loopback interface).",
        ),
    ] = 1,
) -> None:
    """Serve SPARQL, the Graph Store, REST and pages over the store (seeding an empty one)."""
    from iatp_kg.app import serve as run_server

    settings = _settings(store)
    err.print(
        f"iatp-kg on http://{host}:{port}/sparql  (store: {settings.describe_store()}"
        + (f", {workers} workers)" if workers > 1 else ")"),
        highlight=False,
    )
    if workers > 1:
        from iatp_kg.multi import serve_workers

        try:
            serve_workers(settings, host, port, workers)
        except IatpError as exc:
            raise _fail(exc) from exc
        return
    run_server(settings, host, port)


def main() -> None:
    app()


if __name__ == "__main__":
    main()
