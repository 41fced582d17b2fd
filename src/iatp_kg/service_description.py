"""The SPARQL 1.1 Service Description of the endpoint, with VoID statistics."""

from __future__ import annotations

import orjson
from rdflib import BNode, Graph, Literal, URIRef
from rdflib.namespace import RDF, VOID, XSD

from iatp_kg.executor import Executor, QueryJob
from iatp_kg.formats import RDF_SYNTAXES, RESULT_SYNTAXES
from iatp_kg.namespaces import SD

FORMATS = "http://www.w3.org/ns/formats/"
FORMAT_IRIS = {
    "application/sparql-results+json": "SPARQL_Results_JSON",
    "application/sparql-results+xml": "SPARQL_Results_XML",
    "text/csv": "SPARQL_Results_CSV",
    "text/tab-separated-values": "SPARQL_Results_TSV",
    "text/turtle": "Turtle",
    "application/n-triples": "N-Triples",
    "application/n-quads": "N-Quads",
    "application/trig": "TriG",
    "application/rdf+xml": "RDF_XML",
    "application/ld+json": "JSON-LD",
}

GRAPH_COUNTS = "SELECT ?g (COUNT(*) AS ?n) WHERE { GRAPH ?g { ?s ?p ?o } } GROUP BY ?g"


async def graph_statistics(executor: Executor, version: str) -> dict[str, int]:
    """Triples per public named graph."""
    body = await executor.collect(
        QueryJob(GRAPH_COUNTS, "application/sparql-results+json"), version
    )
    rows = orjson.loads(body)["results"]["bindings"]
    return {r["g"]["value"]: int(r["n"]["value"]) for r in rows}


def build(
    endpoint: str,
    statistics: dict[str, int],
    *,
    union_default_graph: bool,
    update_endpoint: str | None,
) -> Graph:
    g = Graph()
    g.bind("sd", SD)
    g.bind("void", VOID)
    service = URIRef(endpoint + "#service")
    g.add((service, RDF.type, SD.Service))
    g.add((service, SD.endpoint, URIRef(endpoint)))
    g.add((service, SD.supportedLanguage, SD.SPARQL11Query))
    if update_endpoint:
        g.add((service, SD.supportedLanguage, SD.SPARQL11Update))
    for syntax in (*RESULT_SYNTAXES, *RDF_SYNTAXES):
        g.add((service, SD.resultFormat, URIRef(FORMATS + FORMAT_IRIS[syntax.media_type])))
    if union_default_graph:
        g.add((service, SD.feature, SD.UnionDefaultGraph))
    g.add((service, SD.feature, SD.BasicFederatedQuery))
    dataset = BNode()
    g.add((service, SD.defaultDataset, dataset))
    g.add((dataset, RDF.type, SD.Dataset))
    default = BNode()
    g.add((dataset, SD.defaultGraph, default))
    g.add((default, RDF.type, SD.Graph))
    total = sum(statistics.values())
    g.add((default, VOID.triples, Literal(total, datatype=XSD.integer)))
    for name, count in sorted(statistics.items()):
        named = BNode()
        graph = BNode()
        g.add((dataset, SD.namedGraph, named))
        g.add((named, RDF.type, SD.NamedGraph))
        g.add((named, SD.name, URIRef(name)))
        g.add((named, SD.graph, graph))
        g.add((graph, RDF.type, SD.Graph))
        g.add((graph, VOID.triples, Literal(count, datatype=XSD.integer)))
    return g
