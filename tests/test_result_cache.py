"""The /sparql result cache (result_cache.py): repeated queries are answered from it, a write
is never hidden by it, and what must not be cached is not.

Hits and misses are read from /health; each module's server serves only its own tests, one
request at a time.
"""

from __future__ import annotations

import shutil
import uuid

import httpx
import pytest
from conftest import ADMIN_TOKEN, running_server

AUTH = {"Authorization": f"Bearer {ADMIN_TOKEN}"}
ID = "https://w3id.org/iatp/id/"
COUNT = "SELECT (COUNT(*) AS ?n) WHERE { ?s ?p ?o }"


@pytest.fixture(scope="module")
def base(seeded_template, tmp_path_factory):
    path = tmp_path_factory.mktemp("result-cache") / "store"
    shutil.copytree(seeded_template, path)
    # 64 kB: results over 4 kB are not kept
    with running_server(path, admin_token=ADMIN_TOKEN, result_cache_bytes="64000") as url:
        yield url


def cache(base: str) -> dict[str, int]:
    return httpx.get(f"{base}/health").json()["result_cache"]


def query(base: str, text: str, accept: str = "text/csv") -> tuple[bytes, str]:
    """The body, and whether the cache answered it ("hit") or not ("miss")."""
    before = cache(base)
    r = httpx.get(f"{base}/sparql", params={"query": text}, headers={"Accept": accept})
    assert r.status_code == 200, r.text
    after = cache(base)
    if after["hits"] == before["hits"] + 1 and after["misses"] == before["misses"]:
        return r.content, "hit"
    if after["misses"] == before["misses"] + 1 and after["hits"] == before["hits"]:
        return r.content, "miss"
    return r.content, "not looked up"


def test_a_repeated_query_is_answered_from_the_cache_with_the_same_body(base):
    text = f"{COUNT} # {uuid.uuid4()}"
    first, how = query(base, text)
    assert how == "miss"
    assert query(base, text) == (first, "hit")
    # another format is another entry
    as_json, how = query(base, text, "application/sparql-results+json")
    assert how == "miss" and as_json.startswith(b"{")


def test_a_write_is_never_hidden_by_the_cache(base):
    graph = f"{ID}graph/result-cache-{uuid.uuid4().hex[:8]}"
    text = f"SELECT ?v WHERE {{ GRAPH <{graph}> {{ ?s ?p ?v }} }}"
    for i in range(5):
        r = httpx.put(
            f"{base}/store",
            params={"graph": graph},
            content=f'<{ID}thing/x> <{ID}p> "value {i}" .\n',
            headers={**AUTH, "Content-Type": "application/n-triples"},
        )
        assert r.status_code in (201, 204), r.text
        body, how = query(base, text)
        assert (body.decode().split("\r\n")[1], how) == (f"value {i}", "miss")
        assert query(base, text) == (body, "hit")


def test_queries_whose_answer_changes_between_runs_are_not_cached(base):
    for text in (
        "SELECT (RAND() AS ?r) {}",
        "SELECT (STRUUID() AS ?u) {}",
        "SELECT (NOW() AS ?t) {}",
    ):
        first, how = query(base, text)
        second, how_again = query(base, text)
        assert (how, how_again) == ("not looked up", "not looked up")
        if "NOW" not in text:  # two runs, two values
            assert first != second


def test_a_large_result_streams_and_is_not_kept(base):
    text = f"SELECT ?s ?p ?o WHERE {{ ?s ?p ?o }} LIMIT 500 # {uuid.uuid4()}"
    body, how = query(base, text)
    assert how == "miss" and len(body) > 4000
    assert query(base, text) == (body, "miss")
