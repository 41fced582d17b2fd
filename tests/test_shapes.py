"""Every shape has conforming and non-conforming examples; adding a file adds a test.

Invalid files are named after their defect, and start with ``# expect: <text>``: a part of the
English message the violation must carry.
"""

from __future__ import annotations

from functools import cache
from pathlib import Path

import pytest
from rdflib import BNode, Graph, URIRef
from rdflib.namespace import RDF, RDFS

from iatp_kg.namespaces import SH
from iatp_kg.pipelines import PIPELINES, vocabularies
from iatp_kg.store import Store
from iatp_kg.validation import context_for, load_shapes, rdflib_to_quads, validate_graph

HERE = Path(__file__).parent / "shapes"
VALID = sorted((HERE / "valid").glob("*.ttl"))
INVALID = sorted((HERE / "invalid").glob("*.ttl"))


@cache
def territories() -> Store:
    """A store holding the territories (countries with bounding boxes, municipalities): what
    the examples link to, and what `context_for` draws the validation context from."""
    store = Store.in_memory()
    for name, graph in PIPELINES["territories"]().public.items():
        store.add_quads(rdflib_to_quads(graph, name))
    return store


def _validate(path: Path):
    data = Graph().parse(path, format="turtle")
    return validate_graph(data, context=context_for(territories(), data))


@pytest.mark.parametrize("path", VALID, ids=lambda p: p.name)
def test_valid_example_conforms(path):
    report = _validate(path)
    assert report.conforms, report.table()


@pytest.mark.parametrize("path", INVALID, ids=lambda p: p.name)
def test_invalid_example_is_rejected_for_its_defect(path):
    expect = path.read_text(encoding="utf-8").splitlines()[0].removeprefix("# expect:").strip()
    report = _validate(path)
    assert not report.conforms, f"{path.name} conforms but should not"
    messages = [v.message_en for v in report.violations]
    assert any(expect in m for m in messages), f"no violation says {expect!r}:\n{report.table()}"


def _node_shapes() -> set:
    shapes = load_shapes()
    return {
        s
        for s in shapes.subjects(RDF.type, SH.NodeShape)
        if isinstance(s, URIRef) and not str(s).rsplit("#", 1)[-1].startswith("In")
    }  # the In...Scheme value-set shapes are checked through the properties that use them


def _owning_shape(shape: str) -> URIRef:
    shapes = load_shapes()
    node = URIRef(shape) if not shape.startswith("n") else BNode(shape)
    return shapes.value(predicate=SH.property, object=node) or node


def test_every_node_shape_fails_on_some_invalid_example():
    failing = set()
    for path in INVALID:
        failing |= {_owning_shape(v.shape) for v in _validate(path).violations}
    missing = {
        str(s)
        for s in _node_shapes() - failing
        if (s, SH.targetClass, None) in load_shapes()
        or (s, SH.targetSubjectsOf, None) in load_shapes()
    }
    assert not missing, f"no invalid example exercises {sorted(missing)}"


def test_every_targeted_class_has_a_valid_example():
    shapes = load_shapes()
    ontology = vocabularies.build_ontology()
    typed = set()
    for path in VALID:
        for cls in Graph().parse(path, format="turtle").objects(None, RDF.type):
            typed |= set(ontology.transitive_objects(cls, RDFS.subClassOf))
    targets = set(shapes.objects(None, SH.targetClass))
    assert targets <= typed, f"no valid example holds a {sorted(map(str, targets - typed))}"


def test_every_message_is_in_spanish_and_english():
    shapes = load_shapes()
    for owner in set(shapes.subjects(SH.message, None)):
        langs = {m.language for m in shapes.objects(owner, SH.message)}
        assert {"es", "en"} <= langs, f"{owner} lacks a Spanish or English message: {langs}"


def test_report_table_and_json_name_the_defect():
    path = HERE / "invalid" / "initiative-without-country.ttl"
    report = _validate(path)
    assert "at least one country" in report.table("en")
    assert "al menos un país" in report.table("es")
    data = report.to_json()
    assert data["conforms"] is False
    assert any(v["resultPath"].endswith("#country") for v in data["violations"])
    assert "sh:Violation" in report.to_turtle() or "Violation" in report.to_turtle()
