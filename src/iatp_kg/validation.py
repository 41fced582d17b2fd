"""SHACL in, a report out (as a graph, as text and as JSON).

Data is validated together with the reference vocabularies (ontology, SKOS schemes, ISIC), so
that ``sh:targetClass`` reaches subclasses and value sets see their concepts, and with the
store's triples about every IRI the data mentions, so that a batch is checked against what is
already stored without validating the whole store.
"""

from __future__ import annotations

import io
import logging
from collections.abc import Iterable
from dataclasses import dataclass, field
from functools import cache

import pyoxigraph as ox
from pyshacl import validate as pyshacl_validate
from rdflib import BNode, Dataset, Graph, Literal, URIRef
from rdflib.namespace import RDFS, SH
from rich.console import Console
from rich.table import Table

from iatp_kg.paths import bundled

__all__ = [
    "ValidationReport",
    "Violation",
    "context_for",
    "load_reference",
    "load_shapes",
    "quads_to_graph",
    "rdflib_to_quads",
    "validate_graph",
    "validate_store",
]

# rdflib logs a traceback for every ill-typed literal it meets ("many"^^xsd:integer); the
# shapes report those as violations, so the log would only be noise on the console.
logging.getLogger("rdflib.term").setLevel(logging.CRITICAL)


@dataclass(frozen=True)
class Violation:
    focus: str
    path: str | None
    value: str | None
    severity: str
    message_en: str
    message_es: str
    shape: str
    constraint: str

    def message(self, lang: str = "en") -> str:
        return self.message_es if lang == "es" else self.message_en


@dataclass
class ValidationReport:
    conforms: bool
    graph: Graph
    text: str
    violations: list[Violation] = field(default_factory=list)

    def table(self, lang: str = "en") -> str:
        """A readable fixed-width table of the violations."""
        if self.conforms:
            return "Conforma." if lang == "es" else "Conforms."
        headers = (
            ("nodo", "ruta", "valor", "mensaje")
            if lang == "es"
            else ("focus node", "path", "value", "message")
        )
        table = Table(*headers, show_lines=False, expand=False)
        for v in self.violations:
            table.add_row(_short(v.focus), _short(v.path), _short(v.value), v.message(lang))
        out = io.StringIO()
        Console(file=out, width=160, force_terminal=False, color_system=None).print(table)
        return out.getvalue()

    def to_json(self) -> dict:
        return {
            "conforms": self.conforms,
            "violations": [
                {
                    "focusNode": v.focus,
                    "resultPath": v.path,
                    "value": v.value,
                    "severity": v.severity,
                    "message": {"en": v.message_en, "es": v.message_es},
                    "sourceShape": v.shape,
                    "sourceConstraintComponent": v.constraint,
                }
                for v in self.violations
            ],
        }

    def to_turtle(self) -> str:
        return self.graph.serialize(format="turtle")


def _short(term: str | None) -> str:
    if term is None:
        return ""
    for prefix, short in (
        ("https://w3id.org/iatp/id/", "id:"),
        ("https://w3id.org/iatp/ontology#", "iatp:"),
        ("http://www.w3.org/2000/01/rdf-schema#", "rdfs:"),
        ("http://purl.org/dc/terms/", "dcterms:"),
    ):
        if term.startswith(prefix):
            return short + term[len(prefix) :]
    return term


@cache
def load_shapes() -> Graph:
    """Every ``shapes/*.ttl``, parsed once."""
    g = Graph()
    for path in sorted(bundled("shapes").glob("*.ttl")):
        g.parse(path, format="turtle")
    return g


@cache
def load_reference() -> Graph:
    """The ontology, the SKOS schemes and ISIC: what every validation sees."""
    from iatp_kg.pipelines import isic, vocabularies

    g = Graph()
    g += vocabularies.build_ontology()
    g += vocabularies.build_vocabularies()
    g += isic.build()
    return g


_XSD_STRING = "http://www.w3.org/2001/XMLSchema#string"


def _to_rdflib(term):
    if isinstance(term, ox.NamedNode):
        return URIRef(term.value)
    if isinstance(term, ox.BlankNode):
        return BNode(term.value)
    if isinstance(term, ox.Literal):
        if term.language:
            return Literal(term.value, lang=term.language)
        if term.datatype.value == _XSD_STRING:  # RDF 1.1: a simple literal is an xsd:string
            return Literal(term.value)
        return Literal(term.value, datatype=URIRef(term.datatype.value))
    raise TypeError(f"unsupported term {term!r}")


def quads_to_graph(quads: Iterable[ox.Quad | ox.Triple], into: Graph | None = None) -> Graph:
    """pyoxigraph quads or triples as one rdflib graph (graph names dropped)."""
    g = into if into is not None else Graph()
    for q in quads:
        g.add((_to_rdflib(q.subject), _to_rdflib(q.predicate), _to_rdflib(q.object)))
    return g


def _from_rdflib(term):
    if isinstance(term, URIRef):
        return ox.NamedNode(str(term))
    if isinstance(term, BNode):
        return ox.BlankNode(str(term))
    if isinstance(term, Literal):
        if term.language:
            return ox.Literal(str(term), language=term.language)
        if term.datatype:
            return ox.Literal(str(term), datatype=ox.NamedNode(str(term.datatype)))
        return ox.Literal(str(term))
    raise TypeError(f"unsupported term {term!r}")


def rdflib_to_quads(graph: Graph, graph_name: str) -> list[ox.Quad]:
    """An rdflib graph as pyoxigraph quads in the named graph ``graph_name``."""
    g = ox.NamedNode(graph_name)
    return [ox.Quad(_from_rdflib(s), _from_rdflib(p), _from_rdflib(o), g) for s, p, o in graph]


def _merged(data: Graph | Dataset) -> Graph:
    if isinstance(data, Dataset):
        g = Graph()
        for s, p, o, _ in data.quads((None, None, None, None)):
            g.add((s, p, o))
        return g
    return data


def context_for(store, data: Graph | Dataset, *, exclude: set[str] = frozenset()) -> Graph:
    """The store's public triples about every IRI ``data`` mentions, and about the parts of
    those resources (hash IRIs such as ``{country}#bbox`` or ``{place}#geometry``), so that
    links can be checked against the store. Graphs named in ``exclude`` (about to be replaced)
    are left out."""
    g = Graph()
    iris = {t for triple in _merged(data) for t in (triple[0], triple[2]) if isinstance(t, URIRef)}
    public = {n for n in store.public_graphs() if n.value not in exclude}
    seen: set[str] = set()
    frontier = list(iris)
    for _hop in range(2):
        nxt = []
        for iri in frontier:
            if iri in seen:
                continue
            seen.add(iri)
            for q in store.quads(ox.NamedNode(str(iri)), None, None, None):
                if q.graph_name not in public:
                    continue
                quads_to_graph([q], g)
                if isinstance(q.object, ox.NamedNode) and q.object.value.startswith(f"{iri}#"):
                    nxt.append(URIRef(q.object.value))
        frontier = nxt
    return g


def validate_graph(
    data: Graph | Dataset, *, context: Graph | None = None, whole: bool = False
) -> ValidationReport:
    """Validate ``data`` against the shapes, with ``context`` to resolve links.

    The reference vocabularies (ontology, SKOS schemes, ISIC) join the data graph: their
    subclass axioms, and the concepts and schemes within two links of what the data mentions
    (``whole`` takes all of them instead, as a whole-store validation does). Context and
    reference nodes were validated when they were stored: only violations whose focus node is
    a subject of ``data`` are reported, unless ``whole`` is set.
    """
    merged = _merged(data)
    g = Graph()
    g += merged
    if context is not None:
        g += context
    if whole:
        g += load_reference()
    else:
        g += _reference_near(g)
    conforms, report_graph, text = pyshacl_validate(
        g,
        shacl_graph=load_shapes(),
        inference="none",
        advanced=True,
        allow_warnings=True,
        meta_shacl=False,
    )
    violations = _violations(report_graph)
    if not whole:
        subjects = {str(t) for t in merged.subjects()}
        violations = [v for v in violations if v.focus in subjects]
        conforms = not any(v.severity == "Violation" for v in violations)
    return ValidationReport(conforms, report_graph, text, violations)


@cache
def _reference_index() -> tuple[Graph, dict[URIRef, list[tuple]]]:
    reference = load_reference()
    axioms = Graph()
    by_subject: dict[URIRef, list[tuple]] = {}
    for triple in reference:
        if triple[1] == RDFS.subClassOf:
            axioms.add(triple)
        if isinstance(triple[0], URIRef):
            by_subject.setdefault(triple[0], []).append(triple)
    return axioms, by_subject


def _reference_near(graph: Graph, hops: int = 2) -> Graph:
    """Subclass axioms, and the reference triples within ``hops`` links of ``graph``'s IRIs."""
    axioms, by_subject = _reference_index()
    out = Graph()
    out += axioms
    frontier = {t for triple in graph for t in triple if isinstance(t, URIRef)}
    seen: set[URIRef] = set()
    for _ in range(hops):
        nxt = set()
        for iri in frontier - seen:
            seen.add(iri)
            for triple in by_subject.get(iri, ()):
                out.add(triple)
                if isinstance(triple[2], URIRef):
                    nxt.add(triple[2])
        frontier = nxt
    return out


def validate_store(store) -> ValidationReport:
    """Validate every public graph of ``store`` together."""
    g = Graph()
    for graph in store.public_graphs():
        quads_to_graph(store.quads(None, None, None, graph), g)
    return validate_graph(g, whole=True)


def _violations(report: Graph) -> list[Violation]:
    out = []
    for result in report.subjects(SH.resultSeverity, None):
        messages = _messages_by_language(report, result)

        def one(pred, result=result):
            value = report.value(result, pred)
            return None if value is None else str(value)

        out.append(
            Violation(
                focus=one(SH.focusNode) or "",
                path=one(SH.resultPath),
                value=_shorten(one(SH.value)),
                severity=_short(one(SH.resultSeverity)).rsplit("#", 1)[-1],
                message_en=messages.get("en") or next(iter(messages.values()), ""),
                message_es=messages.get("es") or messages.get("en") or "",
                shape=one(SH.sourceShape) or "",
                constraint=(one(SH.sourceConstraintComponent) or "").rsplit("#", 1)[-1],
            )
        )
    return sorted(out, key=lambda v: (v.focus, v.path or "", v.message_en))


def _shorten(value: str | None, limit: int = 200) -> str | None:
    """A value as a report shows it: a huge literal is cut, with its length said."""
    if value is None or len(value) <= limit:
        return value
    return f"{value[:limit]}… ({len(value):,} characters)"


def _messages_by_language(report: Graph, result) -> dict[str, str]:
    """The result's messages keyed by language. pyshacl drops the language tag of a SPARQL
    constraint's templated message, so an untagged one is matched to its tagged template."""
    templates = [
        m
        for c in report.objects(result, SH.sourceConstraint)
        for m in report.objects(c, SH.message)
        if isinstance(m, Literal) and m.language
    ]
    out: dict[str, str] = {}
    for m in report.objects(result, SH.resultMessage):
        lang = m.language
        if lang is None:
            for t in templates:
                if str(m).startswith(str(t).split("{", 1)[0]):
                    lang = t.language
                    break
        out.setdefault(lang or "en", str(m))
    return out
