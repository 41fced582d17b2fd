"""SPARQL 1.1 Update at /update, against a real server over a scratch on-disk store."""

from __future__ import annotations

import hashlib
import socket
import threading
import uuid

import httpx
import pytest
from conftest import ADMIN_TOKEN, running_server

AUTH = {"Authorization": f"Bearer {ADMIN_TOKEN}"}
UPDATE = {"content-type": "application/sparql-update"}
EX = "http://example.org/update-test/"
PRIVATE = "https://w3id.org/iatp/id/graph/private/update-test"


@pytest.fixture(scope="module")
def base(tmp_path_factory) -> str:
    """An admin server over an empty, unseeded store."""
    path = tmp_path_factory.mktemp("update") / "store"
    with running_server(
        path, admin_token=ADMIN_TOKEN, seed_on_start="false", max_body_bytes="20000"
    ) as url:
        yield url


@pytest.fixture(scope="module")
def locked(tmp_path_factory) -> str:
    """A server with no admin token configured: writes are disabled."""
    path = tmp_path_factory.mktemp("locked") / "store"
    with running_server(path, seed_on_start="false") as url:
        yield url


def post_update(base: str, text: str, headers: dict | None = None, **kw) -> httpx.Response:
    return httpx.post(
        f"{base}/update", content=text, headers={**UPDATE, **AUTH, **(headers or {})}, **kw
    )


def ask(base: str, query: str) -> bool:
    r = httpx.get(
        f"{base}/sparql",
        params={"query": query},
        headers={"accept": "application/sparql-results+json"},
    )
    assert r.status_code == 200, r.text
    return r.json()["boolean"]


def store_digest(base: str) -> str:
    """SHA-256 of the sorted N-Quads of the whole store, read through the server."""
    r = httpx.get(f"{base}/store", headers={"accept": "application/n-quads", **AUTH})
    assert r.status_code == 200, r.text
    return hashlib.sha256(b"\n".join(sorted(r.content.splitlines()))).hexdigest()


ASK_BUG = (
    "an ASK with a protocol dataset answers true for a graph it has never held (a SELECT of the "
    "same pattern finds no row)"
)
NOT_ONE_TRANSACTION = (
    "a multi-operation update is not one transaction (what ran before a failure stays)"
)


def fresh_graph() -> str:
    return f"{EX}graph/{uuid.uuid4().hex[:8]}"


# ---- who may update --------------------------------------------------------------------------
@pytest.mark.not_virtuoso(ASK_BUG)
def test_update_is_403_when_no_admin_token_is_configured(locked):
    g = fresh_graph()
    r = httpx.post(
        f"{locked}/update",
        content=f"INSERT DATA {{ GRAPH <{g}> {{ <{EX}s> <{EX}p> 1 }} }}",
        headers={**UPDATE, **AUTH},
    )
    assert r.status_code == 403
    assert r.json()["error"]["code"] == "forbidden"
    assert not ask(locked, f"ASK {{ GRAPH <{g}> {{ ?s ?p ?o }} }}")


@pytest.mark.parametrize(
    "authorization",
    [None, "Bearer wrong-token", f"Basic {ADMIN_TOKEN}", "Bearer"],
    ids=["missing", "wrong", "not-bearer", "empty"],
)
@pytest.mark.not_virtuoso(ASK_BUG)
def test_update_is_401_with_a_missing_or_wrong_token(base, authorization):
    g = fresh_graph()
    headers = {**UPDATE}
    if authorization is not None:
        headers["authorization"] = authorization
    r = httpx.post(
        f"{base}/update",
        content=f"INSERT DATA {{ GRAPH <{g}> {{ <{EX}s> <{EX}p> 1 }} }}",
        headers=headers,
    )
    assert r.status_code == 401
    assert r.headers["www-authenticate"].startswith("Bearer")
    assert not ask(base, f"ASK {{ GRAPH <{g}> {{ ?s ?p ?o }} }}")


# ---- the round trip --------------------------------------------------------------------------
@pytest.mark.not_virtuoso(ASK_BUG)
def test_update_round_trip_is_seen_by_the_next_query(base):
    g = fresh_graph()
    triple = f'<{EX}s> <{EX}p> "café"@fr'
    pattern = f"ASK {{ GRAPH <{g}> {{ {triple} }} }}"
    assert not ask(base, pattern)

    r = post_update(base, f"INSERT DATA {{ GRAPH <{g}> {{ {triple} }} }}")
    assert r.status_code == 204, r.text
    assert ask(base, pattern)

    # the form-encoded variant of the Protocol, for the delete
    r = httpx.post(
        f"{base}/update",
        data={"update": f"DELETE DATA {{ GRAPH <{g}> {{ {triple} }} }}"},
        headers=AUTH,
    )
    assert r.status_code == 204, r.text
    assert not ask(base, pattern)


def test_an_update_changes_the_etag_of_query_results(base):
    query = {"query": f"SELECT (COUNT(*) AS ?n) WHERE {{ GRAPH ?g {{ ?s <{EX}etag> ?o }} }}"}
    before = httpx.get(f"{base}/sparql", params=query)
    assert before.status_code == 200 and before.headers.get("etag")
    r = post_update(base, f"INSERT DATA {{ GRAPH <{fresh_graph()}> {{ <{EX}s> <{EX}etag> 1 }} }}")
    assert r.status_code == 204, r.text
    after = httpx.get(f"{base}/sparql", params=query)
    assert after.headers["etag"] != before.headers["etag"]
    assert after.json() != before.json()


def test_using_graph_uri_and_using_named_graph_uri_set_the_dataset(base):
    g1, g2, out1, out2 = (fresh_graph() for _ in range(4))
    r = post_update(
        base,
        f"INSERT DATA {{ GRAPH <{g1}> {{ <{EX}a> <{EX}p> 1 }} GRAPH <{g2}> {{ <{EX}b> <{EX}p> 2 }} }}",
    )
    assert r.status_code == 204, r.text

    r = httpx.post(
        f"{base}/update",
        params={"using-graph-uri": g1},
        content=f"INSERT {{ GRAPH <{out1}> {{ ?s ?p ?o }} }} WHERE {{ ?s ?p ?o }}",
        headers={**UPDATE, **AUTH},
    )
    assert r.status_code == 204, r.text
    assert ask(base, f"ASK {{ GRAPH <{out1}> {{ <{EX}a> <{EX}p> 1 }} }}")
    assert not ask(base, f"ASK {{ GRAPH <{out1}> {{ <{EX}b> ?p ?o }} }}")

    r = httpx.post(
        f"{base}/update",
        data={
            "update": f"INSERT {{ GRAPH <{out2}> {{ ?s ?p ?g }} }} WHERE {{ GRAPH ?g {{ ?s ?p ?o }} }}",
            "using-named-graph-uri": g2,
        },
        headers=AUTH,
    )
    assert r.status_code == 204, r.text
    assert ask(base, f"ASK {{ GRAPH <{out2}> {{ <{EX}b> <{EX}p> <{g2}> }} }}")
    assert not ask(base, f"ASK {{ GRAPH <{out2}> {{ <{EX}a> ?p ?o }} }}")


def test_using_graph_uri_with_a_using_clause_in_the_update_is_400(base):
    g, out = fresh_graph(), fresh_graph()
    before = store_digest(base)
    r = httpx.post(
        f"{base}/update",
        params={"using-graph-uri": g},
        content=f"INSERT {{ GRAPH <{out}> {{ ?s ?p ?o }} }} USING <{g}> WHERE {{ ?s ?p ?o }}",
        headers={**UPDATE, **AUTH},
    )
    assert r.status_code == 400
    assert store_digest(base) == before


# ---- one transaction -------------------------------------------------------------------------
@pytest.mark.not_virtuoso(NOT_ONE_TRANSACTION)
def test_an_update_that_fails_half_way_changes_nothing(base):
    g, existing = fresh_graph(), fresh_graph()
    assert post_update(base, f"CREATE GRAPH <{existing}>").status_code == 204
    before = store_digest(base)
    r = post_update(
        base,
        f"INSERT DATA {{ GRAPH <{g}> {{ <{EX}s> <{EX}p> 1 }} }} ;\nCREATE GRAPH <{existing}>",
    )
    assert r.status_code == 400
    assert "already exists" in r.json()["error"]["message"]
    assert store_digest(base) == before
    assert not ask(base, f"ASK {{ GRAPH <{g}> {{ ?s ?p ?o }} }}")


# ---- malformed requests ----------------------------------------------------------------------
@pytest.mark.not_virtuoso("its parse errors name a line but no column")
def test_a_malformed_update_is_400_with_line_and_column(base):
    before = store_digest(base)
    text = f"PREFIX ex: <{EX}>\nINSERT DATA {{\n  ex:s ex:p ex:o BOGUS\n}}"
    r = post_update(base, text)
    assert r.status_code == 400
    error = r.json()["error"]
    assert error["code"] == "syntax_error"
    # "update:LINE:COLUMN: message"; the defect is on line 3
    source, line, column, _ = error["message"].split(":", 3)
    assert (source, line) == ("update", "3")
    assert 1 <= int(column) <= len("  ex:s ex:p ex:o BOGUS") + 1
    assert store_digest(base) == before


def test_update_by_get_is_refused(base):
    r = httpx.get(f"{base}/update", params={"update": "CLEAR ALL"}, headers=AUTH)
    assert r.status_code in (400, 405)


def test_a_query_sent_to_update_is_refused(base):
    r = httpx.post(f"{base}/update", data={"query": "ASK {}"}, headers=AUTH)
    assert r.status_code == 400


def test_update_with_a_wrong_media_type_is_415(base):
    r = httpx.post(
        f"{base}/update",
        content="CLEAR ALL",
        headers={"content-type": "text/plain", **AUTH},
    )
    assert r.status_code == 415


def test_an_update_larger_than_the_body_limit_is_413(base):
    filler = "# " + "x" * 30_000 + "\n"
    before = store_digest(base)
    r = post_update(base, filler + f"INSERT DATA {{ <{EX}big> <{EX}p> 1 }}")
    assert r.status_code == 413
    assert store_digest(base) == before


# ---- LOAD never connects ---------------------------------------------------------------------
def test_the_canary_notices_a_connection(canary):
    """The listener the LOAD test relies on does see a connection when one is made."""
    with socket.create_connection(("127.0.0.1", canary.port), timeout=2):
        pass
    for _ in range(50):
        if canary.hits:
            break
        threading.Event().wait(0.05)
    assert canary.hits == 1


@pytest.mark.parametrize(
    "template",
    [
        "LOAD <{url}>",
        "load silent <{url}> into graph <http://example.org/g>",
        "INSERT DATA {{ <http://example.org/s> <http://example.org/p> 1 }} ;\nLOAD <{url}>",
        "# a comment first\nPREFIX ex: <http://example.org/>\nLoad <{url}> INTO GRAPH ex:g",
    ],
    ids=["plain", "silent-lowercase", "after-an-insert", "mixed-case-with-prefix"],
)
def test_load_is_refused_and_never_opens_a_connection(base, canary, template):
    url = f"http://127.0.0.1:{canary.port}/data.ttl"
    before = store_digest(base)
    for send in (
        lambda text: post_update(base, text),
        lambda text: httpx.post(f"{base}/update", data={"update": text}, headers=AUTH),
    ):
        r = send(template.format(url=url))
        assert r.status_code == 400, r.text
        assert "LOAD is refused" in r.json()["error"]["message"]
    assert store_digest(base) == before
    threading.Event().wait(0.3)  # a late connection attempt would still be recorded
    assert canary.hits == 0


def test_the_word_load_inside_data_is_not_a_load(base):
    g = fresh_graph()
    r = post_update(base, f'INSERT DATA {{ GRAPH <{g}> {{ <{EX}LOAD> <{EX}p> "LOAD <x>" }} }}')
    assert r.status_code == 204, r.text
    assert ask(base, f"ASK {{ GRAPH <{g}> {{ <{EX}LOAD> ?p ?o }} }}")


# ---- private graphs: the admin may write them; no HTTP read ever shows them -------------------
@pytest.mark.not_virtuoso("a second CREATE GRAPH fails with its own words, not 'already exists'")
def test_an_update_may_write_a_private_graph_that_no_read_shows(base):
    email = f"{uuid.uuid4().hex[:8]}@example.org"
    r = post_update(
        base, f'INSERT DATA {{ GRAPH <{PRIVATE}> {{ <{EX}contact> <{EX}email> "{email}" }} }}'
    )
    assert r.status_code == 204, r.text
    # the update did write it: a second CREATE of the graph fails because it exists
    r = post_update(base, f"CREATE GRAPH <{PRIVATE}>")
    assert r.status_code == 400 and "already exists" in r.text
    assert not ask(base, f'ASK {{ GRAPH ?g {{ ?s ?p "{email}" }} }}')
    for headers in ({}, AUTH):
        assert (
            httpx.get(f"{base}/store", params={"graph": PRIVATE}, headers=headers).status_code
            == 404
        )
        assert email.encode() not in httpx.get(f"{base}/store", headers=headers).content
