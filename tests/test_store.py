"""The store layer: atomic writes, digests, public graphs."""

from __future__ import annotations

import pytest

from iatp_kg.namespaces import PRIVATE_GRAPH_PREFIX
from iatp_kg.store import Literal, NamedNode, Quad, Store

EX = "https://example.org/"


def quad(s: str, o: str, g: str) -> Quad:
    return Quad(NamedNode(EX + s), NamedNode(EX + "p"), Literal(o), NamedNode(g))


def test_replace_graphs_swaps_content_in_one_transaction(tmp_path):
    store = Store.open(tmp_path / "s")
    store.replace_graphs({EX + "g": [quad("a", "1", EX + "g")]})
    store.replace_graphs({EX + "g": [quad("b", "2", EX + "g")]})
    rows = store.select("SELECT ?s WHERE { GRAPH ?g { ?s ?p ?o } }")
    assert [r["s"].value for r in rows] == [EX + "b"]


def test_failed_update_leaves_store_unchanged(tmp_path):
    store = Store.open(tmp_path / "s")
    store.replace_graphs({EX + "g": [quad("a", "1", EX + "g")]})
    before = store.digest()
    with pytest.raises(RuntimeError):
        store.update(
            f"INSERT DATA {{ GRAPH <{EX}g> {{ <{EX}x> <{EX}p> 1 }} }} ; DROP GRAPH <{EX}missing>"
        )
    assert store.digest() == before


def test_version_changes_on_every_write():
    store = Store.in_memory()
    v0 = store.version
    store.add_quads([quad("a", "1", EX + "g")])
    assert store.version != v0


def test_public_graphs_leave_out_private_ones():
    store = Store.in_memory()
    private = PRIVATE_GRAPH_PREFIX + "contacts"
    store.add_quads([quad("a", "1", EX + "g"), quad("b", "2", private)])
    assert [g.value for g in store.public_graphs()] == [EX + "g"]


def test_store_persists_on_disk(tmp_path):
    store = Store.open(tmp_path / "s")
    store.add_quads([quad("a", "1", EX + "g")])
    digest = store.digest()
    del store
    assert Store.open(tmp_path / "s", read_only=True).digest() == digest
