"""Every namespace the project uses, defined once."""

from rdflib import Namespace
from rdflib.namespace import (
    DCAT,
    DCTERMS,
    ORG,
    OWL,
    PROV,
    RDF,
    RDFS,
    SDO,
    SH,
    SKOS,
    TIME,
    VOID,
    XSD,
)

IATP = Namespace("https://w3id.org/iatp/ontology#")
ID = Namespace("https://w3id.org/iatp/id/")
GRAPH = Namespace("https://w3id.org/iatp/id/graph/")
GEO = Namespace("http://www.opengis.net/ont/geosparql#")
WGS84 = Namespace("http://www.w3.org/2003/01/geo/wgs84_pos#")
SCHEMA = SDO  # https://schema.org/
SD = Namespace("http://www.w3.org/ns/sparql-service-description#")
WD = Namespace("http://www.wikidata.org/entity/")
GEONAMES = Namespace("https://sws.geonames.org/")

PREFIXES: dict[str, str] = {
    "iatp": str(IATP),
    "id": str(ID),
    "rdf": str(RDF),
    "rdfs": str(RDFS),
    "owl": str(OWL),
    "xsd": str(XSD),
    "skos": str(SKOS),
    "dcterms": str(DCTERMS),
    "dcat": str(DCAT),
    "void": str(VOID),
    "prov": str(PROV),
    "org": str(ORG),
    "schema": str(SCHEMA),
    "time": str(TIME),
    "geo": str(GEO),
    "wgs84": str(WGS84),
    "sh": str(SH),
    "sd": str(SD),
    "wd": str(WD),
    "foaf": "http://xmlns.com/foaf/0.1/",
}

PRIVATE_GRAPH_PREFIX = str(ID) + "graph/private/"

__all__ = [
    "DCAT",
    "DCTERMS",
    "GEO",
    "GEONAMES",
    "GRAPH",
    "IATP",
    "ID",
    "ORG",
    "OWL",
    "PREFIXES",
    "PRIVATE_GRAPH_PREFIX",
    "PROV",
    "RDF",
    "RDFS",
    "SCHEMA",
    "SD",
    "SH",
    "SKOS",
    "TIME",
    "VOID",
    "WD",
    "WGS84",
    "XSD",
]
