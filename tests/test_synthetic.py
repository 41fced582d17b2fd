"""The synthetic pipeline: deterministic, streaming, conforming, and with countable defects.

pyshacl (the reference validator) is the judge of conformance here; the SPARQL validator's
agreement with it is tested in test_validation_scaling.py.
"""

from __future__ import annotations

import hashlib
import io
from functools import cache

from conftest import digest, iatp_kg
from rdflib import Graph
from rdflib.namespace import SH

from iatp_kg.pipelines import PIPELINES, SEED_PIPELINES, synthetic, territories
from iatp_kg.store import NamedNode, Store
from iatp_kg.validation import validate_graph


def _nquads(**kwargs) -> tuple[str, synthetic.Summary]:
    buf = io.StringIO()
    summary = synthetic.write_nquads(buf, **kwargs)
    return buf.getvalue(), summary


@cache
def _with_territories(size: int, seed: int, defects: float) -> Graph:
    g = Graph()
    g += synthetic.run(size=size, seed=seed, defects=defects).public[synthetic.GRAPH_IRI]
    g += territories.build()
    return g


def top_level(report) -> set[tuple[str, str | None, str]]:
    """``(focus, path, component)`` of the report's results, without nested details."""
    g = report.graph
    out = set()
    for result in g.objects(None, SH.result):
        path = g.value(result, SH.resultPath)
        out.add(
            (
                str(g.value(result, SH.focusNode)),
                None if path is None else str(path),
                str(g.value(result, SH.sourceConstraintComponent)).rsplit("#", 1)[-1],
            )
        )
    return out


def test_same_seed_and_size_give_identical_nquads():
    a, sa = _nquads(size=120, seed=11, defects=0.1)
    b, sb = _nquads(size=120, seed=11, defects=0.1)
    assert hashlib.sha256(a.encode()).digest() == hashlib.sha256(b.encode()).digest()
    assert sa.triples == sb.triples == a.count("\n")
    assert sa.defects == sb.defects


def test_another_seed_or_size_gives_other_data():
    base, _ = _nquads(size=50, seed=1)
    assert _nquads(size=50, seed=2)[0] != base
    assert _nquads(size=51, seed=1)[0] != base


def test_defects_change_only_the_defective_blocks():
    clean, _ = _nquads(size=200, seed=4)
    dirty, summary = _nquads(size=200, seed=4, defects=0.05)
    assert summary.defects, "a 5% fraction of 200 blocks should inject something"
    changed = set(clean.splitlines()) ^ set(dirty.splitlines())
    defective = {d.focus for d in summary.defects}
    # every changed line is about a defective node, a part of one (#period, #start), or the
    # graph itself (its description states the parameters)
    subjects = {line.split(" ", 1)[0][1:-1].split("#", 1)[0] for line in changed}
    assert subjects <= defective | {synthetic.GRAPH_IRI}


def test_generation_streams_in_chunks():
    writes = []

    class Recorder(io.StringIO):
        def write(self, text):
            writes.append(len(text))
            return super().write(text)

    summary = synthetic.write_nquads(Recorder(), size=600, seed=0)
    assert len(writes) > 1
    assert max(writes) < sum(writes)  # never the whole output in one piece
    assert summary.triples > 20_000  # more than one buffer's worth


def test_size_gives_about_sixty_triples_per_initiative():
    _, summary = _nquads(size=500, seed=0)
    assert summary.initiatives == 500
    assert 50 <= summary.triples / summary.initiatives <= 75


def test_every_kind_sector_and_entity_appears():
    g = _with_territories(300, 1, 0.0)
    text = "\n".join(sorted({str(t) for triple in g for t in triple}))
    for kind in ("cluster", "production-chain", "local-productive", "business-network",
                 "supplier-development"):  # fmt: skip
        assert f"/initiative-kind/{kind}" in text
    for sector in ("public", "private", "academic", "civil-society"):
        assert f"/actor-sector/{sector}" in text
    for thing in ("/firm-size/", "/role/coordinator", "/participation-role/", "/isic/",
                  "/subdivision/", "/country/", "community-event/", "project/"):  # fmt: skip
        assert thing in text, thing


def test_links_reach_real_territories_and_isic_codes():
    data = synthetic.run(size=100, seed=5).public[synthetic.GRAPH_IRI]
    terr = territories.build()
    from iatp_kg.pipelines import isic

    known = {str(s) for s in terr.subjects()} | {str(s) for s in isic.build().subjects()}
    linked = {
        str(o)
        for o in data.objects()
        if any(f"/id/{k}/" in str(o) for k in ("country", "subdivision", "isic"))
    }
    assert linked and linked <= known


def test_synthetic_data_conforms_to_the_shapes():
    report = validate_graph(_with_territories(150, 3, 0.0), whole=True)
    assert report.conforms, report.table()


def test_pyshacl_finds_exactly_the_injected_defects():
    _, summary = _nquads(size=200, seed=9, defects=1.0)
    assert set(summary.defects_by_kind()) == set(synthetic.DEFECT_KINDS)
    report = validate_graph(_with_territories(200, 9, 1.0), whole=True)
    expected = {(d.focus, d.path, d.constraint) for d in summary.defects}
    assert top_level(report) == expected


def test_synthetic_is_a_pipeline_but_not_a_seed_one():
    assert "synthetic" in PIPELINES and "synthetic" not in SEED_PIPELINES
    assert len(PIPELINES["synthetic"](size=5)) == _nquads(size=5)[1].triples


def _triples_in_graph(path) -> int:
    store = Store.open(path, read_only=True)
    return sum(1 for _ in store.quads(None, None, None, NamedNode(synthetic.GRAPH_IRI)))


def test_ingest_synthetic_bulk_loads_and_replaces_its_graph(seeded_dir):
    _, summary = _nquads(size=80, seed=6)
    args = ("ingest", "synthetic", "--size", "80", "--random-seed", "6", "--store", seeded_dir)
    first = iatp_kg(*args)
    assert first.returncode == 0, first.stderr
    assert f"{summary.triples:,}" in first.stderr
    assert _triples_in_graph(seeded_dir) == summary.triples
    again = iatp_kg(*args)
    assert again.returncode == 0, again.stderr
    assert _triples_in_graph(seeded_dir) == summary.triples  # replaced, not added


def test_ingest_synthetic_with_defects_is_refused_and_writes_nothing(seeded_dir):
    before = digest(seeded_dir)
    result = iatp_kg(
        "ingest", "synthetic", "--size", "100", "--defects", "0.2", "--store", seeded_dir,
        "--report-format", "json",
    )  # fmt: skip
    assert result.returncode == 1, result.stderr
    assert "does not conform" in result.stderr
    assert digest(seeded_dir) == before


def test_ingest_synthetic_with_defects_loads_without_validation(seeded_dir):
    _, summary = _nquads(size=100, seed=0, defects=0.2)
    result = iatp_kg(
        "ingest", "synthetic", "--size", "100", "--defects", "0.2", "--no-validate",
        "--store", seeded_dir,
    )  # fmt: skip
    assert result.returncode == 0, result.stderr
    for kind, count in summary.defects_by_kind().items():
        assert f"{count:>8,}  defect {kind}" in result.stderr
    assert _triples_in_graph(seeded_dir) == summary.triples


def test_synthetic_runs_alone_and_checks_its_arguments(seeded_dir):
    assert iatp_kg("ingest", "synthetic", "platform", "--store", seeded_dir).returncode == 2
    bad = iatp_kg("ingest", "synthetic", "--defects", "2", "--store", seeded_dir)
    assert bad.returncode == 2 and "fraction" in bad.stderr
