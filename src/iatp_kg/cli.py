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
    typer.Option("--store", help="Store directory (default: the IATP_KG_STORE_DIR setting)."),
]


def _settings(store: Path | None) -> Settings:
    settings = Settings()
    if store is not None:
        settings = settings.model_copy(update={"store_dir": store})
    return settings


def _fail(exc: IatpError) -> typer.Exit:
    err.print(f"[bold red]error:[/] {exc.message}", highlight=False, soft_wrap=True)
    return typer.Exit(exc.exit_code)


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


def main() -> None:
    app()


if __name__ == "__main__":
    main()
