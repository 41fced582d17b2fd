"""Media types and the formats behind them, defined once."""

from __future__ import annotations

from dataclasses import dataclass

import pyoxigraph as ox


@dataclass(frozen=True)
class RdfSyntax:
    name: str
    media_type: str
    extension: str
    oxigraph: ox.RdfFormat
    datasets: bool  # can it carry named graphs?


@dataclass(frozen=True)
class ResultSyntax:
    name: str
    media_type: str
    extension: str
    oxigraph: ox.QueryResultsFormat


RDF_SYNTAXES: tuple[RdfSyntax, ...] = (
    RdfSyntax("ttl", "text/turtle", "ttl", ox.RdfFormat.TURTLE, False),
    RdfSyntax("nt", "application/n-triples", "nt", ox.RdfFormat.N_TRIPLES, False),
    RdfSyntax("nq", "application/n-quads", "nq", ox.RdfFormat.N_QUADS, True),
    RdfSyntax("trig", "application/trig", "trig", ox.RdfFormat.TRIG, True),
    RdfSyntax("rdfxml", "application/rdf+xml", "rdf", ox.RdfFormat.RDF_XML, False),
    RdfSyntax("jsonld", "application/ld+json", "jsonld", ox.RdfFormat.JSON_LD, True),
)

RESULT_SYNTAXES: tuple[ResultSyntax, ...] = (
    ResultSyntax("json", "application/sparql-results+json", "srj", ox.QueryResultsFormat.JSON),
    ResultSyntax("xml", "application/sparql-results+xml", "srx", ox.QueryResultsFormat.XML),
    ResultSyntax("csv", "text/csv", "csv", ox.QueryResultsFormat.CSV),
    ResultSyntax("tsv", "text/tab-separated-values", "tsv", ox.QueryResultsFormat.TSV),
)

RDF_FORMATS_BY_NAME = {s.name: s for s in RDF_SYNTAXES} | {
    "turtle": RDF_SYNTAXES[0],
    "xml-rdf": RDF_SYNTAXES[4],
}
RESULT_FORMATS_BY_NAME = {s.name: s for s in RESULT_SYNTAXES}

# File extensions accepted by `iatp-kg load` (chosen by extension unless --format is given).
RDF_BY_EXTENSION = {
    "ttl": RDF_SYNTAXES[0],
    "turtle": RDF_SYNTAXES[0],
    "nt": RDF_SYNTAXES[1],
    "nq": RDF_SYNTAXES[2],
    "trig": RDF_SYNTAXES[3],
    "rdf": RDF_SYNTAXES[4],
    "owl": RDF_SYNTAXES[4],
    "xml": RDF_SYNTAXES[4],
    "jsonld": RDF_SYNTAXES[5],
    "json": RDF_SYNTAXES[5],
}
