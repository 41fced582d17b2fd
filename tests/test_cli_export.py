"""`iatp-kg export`, `query`, `backup` and `restore` over a seeded store."""

from __future__ import annotations

import gzip

import pyoxigraph as ox
import pytest
from conftest import digest, iatp_kg

from iatp_kg.store import Store


def test_export_nquads_gz_holds_every_public_quad(seeded_dir, tmp_path):
    out = tmp_path / "dump.nq.gz"
    result = iatp_kg("export", "--format", "nq", "-o", out, "--store", seeded_dir)
    assert result.returncode == 0, result.stderr
    quads = list(ox.parse(gzip.decompress(out.read_bytes()), ox.RdfFormat.N_QUADS))
    assert len(quads) == len(Store.open(seeded_dir, read_only=True))


@pytest.mark.parametrize("fmt", ["ttl", "nt", "jsonld", "trig"])
def test_export_every_format_holds_the_public_triples(seeded_dir, fmt):
    """Triples formats get the merge of the public graphs; dataset formats keep the graphs."""
    result = iatp_kg("export", "--format", fmt, "--store", seeded_dir)
    assert result.returncode == 0, result.stderr
    syntax = {"ttl": ox.RdfFormat.TURTLE, "nt": ox.RdfFormat.N_TRIPLES}.get(fmt)
    syntax = syntax or {"jsonld": ox.RdfFormat.JSON_LD, "trig": ox.RdfFormat.TRIG}[fmt]
    parsed = {(q.subject, q.predicate, q.object) for q in ox.parse(result.stdout, syntax)}
    store = Store.open(seeded_dir, read_only=True)
    expected = {
        (q.subject, q.predicate, q.object)
        for g in store.public_graphs()
        for q in store.quads(graph=g)
    }
    assert parsed == expected


def test_export_never_includes_private_graphs(seeded_dir, tmp_path):
    store = Store.open(seeded_dir)
    private = ox.NamedNode("https://w3id.org/iatp/id/graph/private/test")
    store.add_quads(
        [
            ox.Quad(
                ox.NamedNode("https://example.org/s"),
                ox.NamedNode("https://schema.org/email"),
                ox.Literal("canary@example.org"),
                private,
            )
        ]
    )
    del store
    result = iatp_kg("export", "--format", "trig", "--store", seeded_dir)
    assert result.returncode == 0
    assert "canary@example.org" not in result.stdout
    assert iatp_kg("export", "--graph", private.value, "--store", seeded_dir).returncode == 2


def test_query_command_prints_csv(seeded_dir):
    result = iatp_kg(
        "query",
        "SELECT (COUNT(*) AS ?n) WHERE { ?c a iatp:Country }",
        "--format",
        "csv",
        "--store",
        seeded_dir,
    )
    assert result.returncode == 0, result.stderr
    assert result.stdout.split() == ["n", "33"]


def test_query_command_reports_syntax_errors(seeded_dir):
    result = iatp_kg("query", "SELECT * WHERE { ?s ?p }", "--store", seeded_dir)
    assert result.returncode == 2
    assert "query:1:" in result.stderr


def test_backup_and_restore_round_trip(seeded_dir, tmp_path):
    before = digest(seeded_dir)
    backup = tmp_path / "backup"
    assert iatp_kg("backup", backup, "--store", seeded_dir).returncode == 0
    store = Store.open(seeded_dir)
    store.update("DROP ALL")
    del store
    assert digest(seeded_dir) != before
    result = iatp_kg("restore", backup, "--store", seeded_dir)
    assert result.returncode == 0, result.stderr
    assert digest(seeded_dir) == before
