r"""Reading the public graph from routes, through the executor (time limit, public graphs only).

Values from a request are bound as typed RDF terms, never pasted as text: pyoxigraph makes
each term (and refuses an IRI that is not one), and :func:`iatp_kg.sparql_text.bind_terms`
puts it where the variable stands, as Jena's ``ParameterizedSparqlString`` does. (Oxigraph's
own ``substitutions=`` join after the fact, so a route query ran over the whole store.)

>>> select_job("SELECT ?label WHERE { ?s rdfs:label ?label }", s=iri("https://w3id.org/iatp/id/country/co")).query
'SELECT ?label WHERE { <https://w3id.org/iatp/id/country/co> rdfs:label ?label }'
>>> select_job("SELECT ?s WHERE { ?s rdfs:label ?l }", l='x" } ; DROP ALL #').query
'SELECT ?s WHERE { ?s rdfs:label "x\\" } ; DROP ALL #" }'
>>> select_job("ASK { ?s ?p ?o }", s=iri("https://e.org/a> } ; DROP ALL #"))
Traceback (most recent call last):
...
iatp_kg.errors.BadRequest: not a valid RDF term: 'https://e.org/a> } ; DROP ALL #' (...)
"""

from __future__ import annotations

from typing import Any

import orjson
import pyoxigraph as ox

from iatp_kg.context import AppContext
from iatp_kg.errors import BadRequest
from iatp_kg.executor import QueryJob, Term
from iatp_kg.sparql_text import bind_terms

SELECT_JSON = "application/sparql-results+json"


def iri(value: str) -> Term:
    return Term("iri", value)


def literal(value: str, *, language: str | None = None, datatype: str | None = None) -> Term:
    return Term("literal", value, language, datatype)


def _job(query: str, media_type: str, bindings: dict[str, Term | str | int | float]) -> QueryJob:
    terms: dict[str, str] = {}
    for name, value in bindings.items():
        if isinstance(value, Term):
            term = value
        elif isinstance(value, bool):
            raise TypeError("bind booleans as typed literals")
        elif isinstance(value, int):
            term = Term("literal", str(value), None, "http://www.w3.org/2001/XMLSchema#integer")
        elif isinstance(value, float):
            term = Term("literal", repr(value), None, "http://www.w3.org/2001/XMLSchema#double")
        else:
            term = Term("literal", str(value))
        terms[name] = _sparql_term(term)
    return QueryJob(bind_terms(query, terms), media_type, public_union=True)


def _sparql_term(term: Term) -> str:
    """A bound value in its SPARQL form, made by pyoxigraph: an IRI that is not one (``>``,
    spaces, quotes) is refused, a literal is escaped."""
    try:
        if term.kind == "iri":
            return str(ox.NamedNode(term.value))
        if term.kind == "literal":
            if term.language:
                return str(ox.Literal(term.value, language=term.language))
            if term.datatype:
                return str(ox.Literal(term.value, datatype=ox.NamedNode(term.datatype)))
            return str(ox.Literal(term.value))
    except ValueError as exc:
        raise BadRequest(f"not a valid RDF term: {term.value[:80]!r} ({exc})") from None
    raise TypeError(f"cannot bind a {term.kind}")


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
