"""The SPARQL validator (shapes compiled to SPARQL, run by Oxigraph) agrees with pyshacl.

Agreement means the same results: focus node, path, value and constraint component, and the
same nested results under ``sh:node`` failures. It is checked on every example under
tests/shapes, on the seed data, and on seed data plus synthetic data carrying every kind of
injected defect. No timing is asserted here: the benchmarks measure speed.
"""

from __future__ import annotations

import shutil
from pathlib import Path

import orjson
import pytest
from conftest import iatp_kg
from rdflib import BNode, Graph, Literal, URIRef
from rdflib.namespace import RDF, SH

from iatp_kg.pipelines import synthetic
from iatp_kg.store import NamedNode, RdfFormat, Store
from iatp_kg.validation import context_for, load_shapes, validate_graph, validate_store
from iatp_kg.validation_sparql import (
    UnsupportedShape,
    compile_shapes,
    validate_graph_sparql,
    validate_store_sparql,
)

HERE = Path(__file__).parent / "shapes"
EXAMPLES = sorted((HERE / "invalid").glob("*.ttl")) + sorted((HERE / "valid").glob("*.ttl"))


def _id(term) -> str | None:
    if term is None:
        return None
    return "_:blank" if isinstance(term, BNode) else str(term)


def results(report, subjects: set[str] | None = None) -> set[tuple]:
    """Every result as ``(nested?, focus, path, value, component)``; with ``subjects``, only
    top-level results about those nodes (and their nested results). Blank nodes compare as
    one token: a sequence path or an anonymous interval has no stable name."""
    g = report.graph
    tops = [
        r
        for r in g.objects(None, SH.result)
        if subjects is None or str(g.value(r, SH.focusNode)) in subjects
    ]
    out = set()

    def add(result, nested: bool) -> None:
        out.add(
            (
                nested,
                _id(g.value(result, SH.focusNode)),
                _id(g.value(result, SH.resultPath)),
                _id(g.value(result, SH.value)),
                str(g.value(result, SH.sourceConstraintComponent)).rsplit("#", 1)[-1],
            )
        )
        for detail in g.objects(result, SH.detail):
            add(detail, True)

    for r in tops:
        add(r, False)
    return out


@pytest.fixture(scope="module")
def territory_store() -> Store:
    from iatp_kg.pipelines import PIPELINES
    from iatp_kg.validation import rdflib_to_quads

    store = Store.in_memory()
    for name, graph in PIPELINES["territories"]().public.items():
        store.add_quads(rdflib_to_quads(graph, name))
    return store


@pytest.mark.parametrize("path", EXAMPLES, ids=lambda p: f"{p.parent.name}/{p.name}")
def test_agrees_with_pyshacl_on_example(path, territory_store):
    data = Graph().parse(path, format="turtle")
    context = context_for(territory_store, data)
    subjects = {str(s) for s in data.subjects()}
    expected = results(validate_graph(data, context=context), subjects)
    got = validate_graph_sparql(data, context=context)
    assert results(got, subjects) == expected
    assert got.conforms == (path.parent.name == "valid")


def test_messages_are_the_shapes_messages_in_both_languages(territory_store):
    path = HERE / "invalid" / "coordinates-outside-country-bbox.ttl"
    data = Graph().parse(path, format="turtle")
    report = validate_graph_sparql(data, context=context_for(territory_store, data))
    sparql = [v for v in report.violations if v.constraint == "SPARQLConstraintComponent"]
    assert sparql and "fall outside their country's bounding box" in sparql[0].message_en
    assert "caen fuera de la caja envolvente" in sparql[0].message_es
    assert "{?lat}" not in sparql[0].message_en  # the template was filled


@pytest.fixture(scope="module")
def defective_store(seeded_template, tmp_path_factory) -> tuple[Path, synthetic.Summary]:
    """The seeded store plus synthetic data in which every block carries a defect."""
    path = tmp_path_factory.mktemp("defective") / "store"
    shutil.copytree(seeded_template, path)
    nq = path.parent / "synthetic.nq"
    summary = synthetic.write_file(nq, size=200, seed=9, defects=1.0)
    store = Store.open(path)
    store.bulk_load(nq, RdfFormat.N_QUADS, None)
    store.flush()
    del store
    return path, summary


def test_agrees_with_pyshacl_on_the_seed_data(seeded_template):
    store = Store.open(seeded_template, read_only=True)
    reference = validate_store(store)
    report = validate_store_sparql(store)
    assert results(report) == results(reference)
    assert report.conforms == reference.conforms


def test_agrees_with_pyshacl_on_synthetic_data_with_every_defect(defective_store):
    path, summary = defective_store
    store = Store.open(path, read_only=True)
    expected = results(validate_store(store))
    for workers in (1, 2):
        assert results(validate_store_sparql(store, workers=workers)) == expected
    top = {(f, p, c) for nested, f, p, _, c in expected if not nested}
    assert top == {(d.focus, d.path, d.constraint) for d in summary.defects}


def test_focus_graph_keeps_results_about_that_graph_only(defective_store):
    path, summary = defective_store
    store = Store.open(path, read_only=True)
    kept = validate_store_sparql(store, focus_graph=NamedNode(synthetic.GRAPH_IRI))
    assert {v.focus for v in kept.violations} >= {d.focus for d in summary.defects}
    none = validate_store_sparql(
        store, focus_graph=NamedNode("https://w3id.org/iatp/id/graph/platform")
    )
    assert none.conforms


def test_cli_validate_engines_agree(defective_store):
    path, summary = defective_store
    outputs = {}
    for engine in ("pyshacl", "sparql"):
        result = iatp_kg("validate", "--engine", engine, "--report-format", "json", "--store", path)
        assert result.returncode == 1, result.stderr
        data = orjson.loads(result.stdout)
        outputs[engine] = sorted(
            (v["focusNode"], v["sourceConstraintComponent"]) for v in data["violations"]
        )
    assert outputs["sparql"] == outputs["pyshacl"]
    assert len(outputs["sparql"]) >= len(summary.defects)


def test_cli_validate_sparql_engine_conforming_store_exits_zero(seeded_template):
    result = iatp_kg("validate", "--engine", "sparql", "--store", seeded_template)
    assert result.returncode == 0, result.stderr
    assert iatp_kg("validate", "--engine", "nope", "--store", seeded_template).returncode == 2


def test_every_shape_compiles_and_a_foreign_feature_is_refused():
    checks = compile_shapes()
    shapes = load_shapes()
    targeted = {
        s
        for s in shapes.subjects(None, None)
        if (s, SH.targetClass, None) in shapes or (s, SH.targetSubjectsOf, None) in shapes
    }
    owners = {c.shape for c in checks} | {
        p for c in checks for p in shapes.subjects(SH.property, c.shape)
    }
    assert targeted <= owners  # every targeted shape yields checks
    extra = Graph()
    extra += shapes
    shape = URIRef("https://example.org/ClosedShape")
    extra.add((shape, SH.targetClass, URIRef("https://example.org/Thing")))
    extra.add((shape, SH.closed, Literal(True)))
    extra.add((shape, RDF.type, SH.NodeShape))
    with pytest.raises(UnsupportedShape, match="closed"):
        compile_shapes(extra)


REGISTRATION = {
    "name": "Clúster de Comparación", "kind": "cluster", "country": "CO",
    "subdivision": "CO-ANT", "city": "Medellín", "latitude": 6.25, "longitude": -75.56,
    "sectors": ["62"], "description": "Una iniciativa de prueba.", "founded": 2015,
    "coordinator": "Cámara de Prueba", "coordinator_sector": "private",
    "members": [{"name": "Universidad de Prueba", "sector": "academic"}],
    "lines_of_action": ["training"], "contact_name": "Persona de Prueba",
    "contact_email": "persona@example.org",
}  # fmt: skip


@pytest.mark.parametrize(
    "changes",
    [
        {},
        {"latitude": 40.0, "longitude": 3.0},  # a point outside the country's box
        {"subdivision": "CO-ZZZ"},  # a subdivision the store does not know
        {"members": []},
    ],
    ids=["valid", "point-outside", "unknown-subdivision", "no-members"],
)
def test_registrations_are_judged_as_pyshacl_judges_them(changes, territory_store):
    """Registrations are validated with the SPARQL engine (22 ms against pyshacl's 190 ms):
    it must find what pyshacl finds in the graphs a registration builds."""
    from iatp_kg.registration import build, new_id
    from iatp_kg.registration import validate as validate_registration

    reg, problems = validate_registration({**REGISTRATION, **changes})
    if reg is None:  # refused by the model before any SHACL: nothing to compare
        pytest.skip(f"refused before SHACL: {problems}")
    data = build(reg, new_id()).data
    context = context_for(territory_store, data)
    subjects = {str(s) for s in data.subjects()}
    expected = validate_graph(data, context=context)
    got = validate_graph_sparql(data, context=context)
    assert results(got, subjects) == results(expected, subjects)
    assert got.conforms == expected.conforms
