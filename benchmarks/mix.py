"""The query mix: every named query of ``queries/``, plus lookups by IRI (a different IRI on
every request), paged lists, text filters and aggregates. Every query declares its prefixes,
so that servers without predefined prefixes run the same text."""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
ID = "https://w3id.org/iatp/id/"
PREFIXES = """PREFIX iatp: <https://w3id.org/iatp/ontology#>
PREFIX rdfs: <http://www.w3.org/2000/01/rdf-schema#>
PREFIX org: <http://www.w3.org/ns/org#>
PREFIX skos: <http://www.w3.org/2004/02/skos/core#>
"""


@dataclass(frozen=True)
class Query:
    name: str
    group: str  # lookup, list, text, aggregate, named
    text: str  # for a lookup: a template with {n}, the initiative number
    varying: bool = False  # a different IRI on every request
    # The same text on every request (a dashboard polling): a result cache may answer it.
    # Every other query gets a unique comment per request, so no cache can help.
    repeat: bool = False


def lookup_text(n: int) -> str:
    return f"SELECT ?p ?o WHERE {{ <{ID}initiative/synthetic-{n}> ?p ?o }}"


def mix() -> list[Query]:
    out = [
        Query("lookup-by-iri", "lookup", "SELECT ?p ?o WHERE { <" + ID + "initiative/synthetic-{n}> ?p ?o }", True),
        Query(
            "paged-list-offset-1000",
            "list",
            PREFIXES
            + "SELECT ?i ?name WHERE { ?i iatp:initiativeKind <" + ID + "initiative-kind/cluster> ;"
            " rdfs:label ?name } ORDER BY ?name ?i LIMIT 20 OFFSET 1000",
        ),
        Query(
            "text-filter-cafe",
            "text",
            PREFIXES
            + 'SELECT ?i ?name WHERE { ?i iatp:initiativeKind ?k ; rdfs:label ?name '
            'FILTER (CONTAINS(LCASE(STR(?name)), "café")) } LIMIT 100',
        ),
        Query(
            "aggregate-initiatives-per-kind",
            "aggregate",
            PREFIXES
            + "SELECT ?k (COUNT(?i) AS ?n) WHERE { ?i iatp:initiativeKind ?k } GROUP BY ?k",
        ),
        Query(
            "aggregate-memberships-per-role",
            "aggregate",
            PREFIXES
            + "SELECT ?role (COUNT(?m) AS ?n) WHERE { ?m org:role ?role } GROUP BY ?role",
        ),
    ]  # fmt: skip
    for path in sorted((ROOT / "queries").glob("*.rq")):
        out.append(Query(path.stem, "named", path.read_text(encoding="utf-8")))
    polled = ("aggregate-initiatives-per-kind", "initiatives-per-country-and-kind",
              "initiatives-per-isic-section")  # fmt: skip
    out += [
        Query(f"repeated: {q.name}", "repeated", q.text, repeat=True)
        for q in list(out)
        if q.name in polled
    ]
    return out
