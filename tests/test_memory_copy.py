"""The query workers' in-memory copies of the public graphs (memory_copy.py): the same answers
as the disk, a write never hidden, private graphs never copied.

Which store answered is read from /health (``queries_answered``), counted by the server; each
test's server serves only that test's requests, one at a time, with no result cache (which
would answer repeated queries before any worker).
"""

from __future__ import annotations

import re
import shutil
import time
import uuid
from pathlib import Path

import httpx
import pytest
from conftest import ADMIN_TOKEN, running_server

from iatp_kg.namespaces import PRIVATE_GRAPH_PREFIX

# The copies belong to the embedded store's query workers; a remote engine keeps its own caches.
pytestmark = pytest.mark.embedded_only

QUERIES = sorted((Path(__file__).resolve().parents[1] / "queries").glob("*.rq"))
AUTH = {"Authorization": f"Bearer {ADMIN_TOKEN}"}
JSON = {"Accept": "application/sparql-results+json"}
ID = "https://w3id.org/iatp/id/"


def answered(base: str) -> dict[str, int]:
    return httpx.get(f"{base}/health").json()["queries_answered"]


def select(base: str, query: str, **params) -> list[tuple]:
    r = httpx.post(f"{base}/sparql", data={"query": query, **params}, headers=JSON, timeout=60)
    assert r.status_code == 200, r.text
    data = r.json()
    # GROUP_CONCAT's order is not defined: compare its parts as a sorted list
    concatenated = set(re.findall(r"GROUP_CONCAT\(.*?\)\s+AS\s+\?(\w+)", query, re.I | re.S))
    if "boolean" in data:
        return [("boolean", data["boolean"])]
    rows = []
    for b in data["results"]["bindings"]:
        row = []
        for var in data["head"]["vars"]:
            term = b.get(var)
            if term is None:
                row.append(None)
            elif var in concatenated:
                row.append(("concat", sorted(term["value"].split())))
            elif term["type"] == "bnode":
                row.append(("bnode",))  # labels differ between stores
            else:
                row.append((term["type"], term["value"], term.get("xml:lang"),
                            term.get("datatype")))  # fmt: skip
        rows.append(tuple(row))
    return sorted(rows, key=repr)


def source_of(base: str, query: str, **params) -> tuple[str, list[tuple]]:
    """Run one query; say which store answered it."""
    before = answered(base)
    rows = select(base, query, **params)
    after = answered(base)
    (source,) = [k for k in after if after[k] != before[k]]
    return source, rows


def wait_for_memory(base: str, query: str = "ASK { ?s ?p ?o }", **params) -> list[tuple]:
    """Repeat ``query`` until the in-memory copy answers it (the copy caught up)."""
    deadline = time.monotonic() + 120
    while time.monotonic() < deadline:
        source, rows = source_of(base, query, **params)
        if source == "memory":
            return rows
        time.sleep(0.05)
    raise AssertionError("the in-memory copy never caught up")


@pytest.fixture(scope="module", params=["true", "false"], ids=["union", "no-union"])
def servers(request, seeded_template, tmp_path_factory):
    """The same store served with and without in-memory copies."""
    union = request.param
    paths = []
    for name in ("memory", "disk"):
        path = tmp_path_factory.mktemp(f"copy-{name}") / "store"
        shutil.copytree(seeded_template, path)
        paths.append(path)
    with (
        running_server(paths[0], union_default_graph=union, result_cache_bytes="0") as memory,
        running_server(
            paths[1], union_default_graph=union, query_memory_copy="false", result_cache_bytes="0"
        ) as disk,
    ):
        wait_for_memory(memory)
        yield memory, disk


DATASETS = {
    "protocol-default": {"default-graph-uri": f"{ID}graph/lac-initiatives"},
    "protocol-named": {"named-graph-uri": f"{ID}graph/lac-initiatives"},
}


@pytest.mark.parametrize("path", QUERIES, ids=lambda p: p.stem)
def test_every_named_query_answers_the_same_from_memory_and_from_disk(servers, path):
    memory, disk = servers
    text = path.read_text(encoding="utf-8")
    source, rows = source_of(memory, text)
    assert source == "memory"
    assert source_of(disk, text) == ("disk", rows)


@pytest.mark.parametrize(
    "query, params",
    [
        ("SELECT ?g (COUNT(*) AS ?n) { GRAPH ?g { ?s ?p ?o } } GROUP BY ?g", {}),
        ("SELECT (COUNT(*) AS ?n) { ?s ?p ?o }", {}),
        ("SELECT (COUNT(*) AS ?n) { ?s ?p ?o }", DATASETS["protocol-default"]),
        ("SELECT ?g (COUNT(*) AS ?n) { GRAPH ?g { ?s ?p ?o } } GROUP BY ?g",
         DATASETS["protocol-named"]),
        (f"SELECT (COUNT(*) AS ?n) FROM <{ID}graph/isic> {{ ?s ?p ?o }}", {}),
        (f"SELECT ?g (COUNT(*) AS ?n) FROM NAMED <{ID}graph/isic> "
         "{ GRAPH ?g { ?s ?p ?o } } GROUP BY ?g", {}),
    ],
)  # fmt: skip
def test_datasets_are_the_same_from_memory_and_from_disk(servers, query, params):
    memory, disk = servers
    source, rows = source_of(memory, query, **params)
    assert source == "memory"
    assert rows and rows != [(None,)]
    assert source_of(disk, query, **params) == ("disk", rows)


@pytest.fixture(scope="module")
def admin(seeded_template, tmp_path_factory):
    path = tmp_path_factory.mktemp("copy-admin") / "store"
    shutil.copytree(seeded_template, path)
    with running_server(path, admin_token=ADMIN_TOKEN, result_cache_bytes="0") as base:
        wait_for_memory(base)
        yield base


def test_a_write_is_never_hidden_and_the_copy_catches_up(admin):
    graph = f"{ID}graph/memory-copy-{uuid.uuid4().hex[:8]}"
    query = f"SELECT ?v {{ GRAPH <{graph}> {{ <{ID}thing/x> <{ID}p> ?v }} }}"
    for i in range(12):
        if i % 3 == 2:  # a SPARQL Update: the copy cannot know what it touched, and rebuilds
            r = httpx.post(
                f"{admin}/update",
                data={
                    "update": f"DELETE WHERE {{ GRAPH <{graph}> {{ ?s ?p ?o }} }} ; "
                    f'INSERT DATA {{ GRAPH <{graph}> {{ <{ID}thing/x> <{ID}p> "{i}" }} }}'
                },
                headers=AUTH,
            )
        else:  # the Graph Store Protocol: the copy re-copies that graph only
            r = httpx.put(
                f"{admin}/store",
                params={"graph": graph},
                content=f'<{ID}thing/x> <{ID}p> "{i}" .\n',
                headers={**AUTH, "Content-Type": "application/n-triples"},
            )
        assert r.status_code in (200, 201, 204), r.text
        expected = [(("literal", str(i), None, None),)]
        assert select(admin, query) == expected  # at once, whichever store answers
        if i % 4 == 0:
            assert wait_for_memory(admin, query) == expected  # and from the copy


def test_private_graphs_are_never_copied(admin):
    secret = f"copy-canary-{uuid.uuid4().hex}@example.org"
    graph = f"{PRIVATE_GRAPH_PREFIX}memory-copy-{uuid.uuid4().hex[:8]}"
    r = httpx.post(
        f"{admin}/update",
        data={
            "update": f'INSERT DATA {{ GRAPH <{graph}> {{ <{ID}thing/y> <{ID}p> "{secret}" }} }}'
        },
        headers=AUTH,
    )
    assert r.status_code == 204, r.text
    for query in (
        f'SELECT * {{ ?s ?p "{secret}" }}',
        f'SELECT * {{ GRAPH ?g {{ ?s ?p "{secret}" }} }}',
        f"SELECT ?g {{ GRAPH ?g {{ }} FILTER (STRSTARTS(STR(?g), '{PRIVATE_GRAPH_PREFIX}')) }}",
    ):
        assert wait_for_memory(admin, query) == []
