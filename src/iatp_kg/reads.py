"""Reading the public graph from routes, through the executor (time limit, public graphs only).

Values from a request are bound with ``substitutions``, never pasted into the query text.
Oxigraph binds only variables a SELECT projects (``SELECT ?s ?label``, or ``SELECT *``):

>>> job = select_job("SELECT ?label WHERE { ?s rdfs:label ?label }", s=iri("https://w3id.org/iatp/id/country/co"))
>>> job.substitutions
(('s', Term(kind='iri', value='https://w3id.org/iatp/id/country/co', language=None, datatype=None)),)
"""

from __future__ import annotations

from typing import Any

import orjson

from iatp_kg.context import AppContext
from iatp_kg.executor import QueryJob, Term

SELECT_JSON = "application/sparql-results+json"


def iri(value: str) -> Term:
    return Term("iri", value)


def literal(value: str, *, language: str | None = None, datatype: str | None = None) -> Term:
    return Term("literal", value, language, datatype)


def _job(query: str, media_type: str, bindings: dict[str, Term | str | int | float]) -> QueryJob:
    subs = []
    for name, value in bindings.items():
        if isinstance(value, Term):
            subs.append((name, value))
        elif isinstance(value, bool):
            raise TypeError("bind booleans as typed literals")
        elif isinstance(value, int):
            subs.append(
                (
                    name,
                    Term("literal", str(value), None, "http://www.w3.org/2001/XMLSchema#integer"),
                )
            )
        elif isinstance(value, float):
            subs.append(
                (
                    name,
                    Term("literal", repr(value), None, "http://www.w3.org/2001/XMLSchema#double"),
                )
            )
        else:
            subs.append((name, Term("literal", str(value))))
    return QueryJob(query, media_type, substitutions=tuple(subs), public_union=True)


def select_job(query: str, **bindings: Term | str | int | float) -> QueryJob:
    return _job(query, SELECT_JSON, bindings)


async def select(ctx: AppContext, query: str, **bindings: Term | str | int | float) -> list[dict]:
    """Rows of a SELECT over the public graphs, as SPARQL JSON bindings
    (``{"var": {"type": "uri", "value": ...}}``)."""
    body = await ctx.executor.collect(select_job(query, **bindings), ctx.store.version)
    return orjson.loads(body)["results"]["bindings"] if body else []


async def ask(ctx: AppContext, query: str, **bindings: Term | str | int | float) -> bool:
    body = await ctx.executor.collect(_job(query, SELECT_JSON, bindings), ctx.store.version)
    return bool(orjson.loads(body)["boolean"])


async def graph(
    ctx: AppContext, query: str, media_type: str, **bindings: Term | str | int | float
) -> bytes:
    """A CONSTRUCT or DESCRIBE over the public graphs, serialised as ``media_type``
    (any RDF syntax of :mod:`iatp_kg.formats`)."""
    return await ctx.executor.collect(_job(query, media_type, bindings), ctx.store.version)


def value(row: dict, name: str, default: Any = None) -> Any:
    """The lexical value of ``name`` in a SPARQL JSON row."""
    cell = row.get(name)
    return cell["value"] if cell else default
