"""The bad-input corpus, HTTP: every case gets a clear 4xx whose JSON error says what is wrong,
and the store is unchanged (the public dataset's digest and the whole store's triple count,
private graphs included, are the same before and after).

Each case is one request: method, path, parameters, headers, body, the status expected, and a
part of the message. Cases for the REST facade and registrations join as those routes land.
"""

from __future__ import annotations

import hashlib
import json
import shutil
from dataclasses import dataclass, field

import httpx
import pytest
from conftest import ADMIN_TOKEN, cases, running_server
from reliability import record

ADMIN = {"authorization": f"Bearer {ADMIN_TOKEN}"}
TTL = {"content-type": "text/turtle"}
G = "https://example.org/bad-input-graph"
PRIVATE = "https://w3id.org/iatp/id/graph/private/contacts"
REMOTE = "http://127.0.0.1:9/context.jsonld"
LIMIT = 200_000  # the server's max_body_bytes below


@dataclass(frozen=True)
class Req:
    id: str
    method: str
    path: str
    status: int | tuple[int, ...]
    message: str = ""
    params: dict | list = field(default_factory=dict)
    headers: dict = field(default_factory=dict)
    body: bytes | None = None


def q(text: str) -> dict:
    return {"query": text}


def sq(body: bytes | str) -> dict:
    return {"content": body.encode() if isinstance(body, str) else body}


BILLION_LAUGHS = b"""<?xml version="1.0"?>
<!DOCTYPE lolz [<!ENTITY lol "lol"><!ENTITY lol2 "&lol;&lol;&lol;&lol;&lol;&lol;&lol;&lol;">
<!ENTITY lol3 "&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;">]>
<rdf:RDF xmlns:rdf="http://www.w3.org/1999/02/22-rdf-syntax-ns#"
         xmlns:ex="https://example.org/"><rdf:Description rdf:about="https://example.org/a">
<ex:p>&lol3;</ex:p></rdf:Description></rdf:RDF>"""
XXE = b"""<?xml version="1.0"?><!DOCTYPE r [<!ENTITY x SYSTEM "file:///etc/passwd">]>
<rdf:RDF xmlns:rdf="http://www.w3.org/1999/02/22-rdf-syntax-ns#" xmlns:ex="https://example.org/">
<rdf:Description rdf:about="https://example.org/a"><ex:p>&x;</ex:p></rdf:Description></rdf:RDF>"""
INVALID_INITIATIVE = b"""@prefix iatp: <https://w3id.org/iatp/ontology#> .
<https://w3id.org/iatp/id/initiative/bad> a iatp:ClusterInitiative ."""

CASES: list[Req] = [
    # -- /sparql: malformed queries -------------------------------------------------------------
    Req("sparql-unclosed-brace", "GET", "/sparql", 400, "query:1:", q("SELECT * WHERE { ?s ?p ?o")),
    Req(
        "sparql-unknown-prefix",
        "GET",
        "/sparql",
        400,
        "undeclared prefix",
        q("SELECT * WHERE { ?s nope:p ?o }"),
    ),
    Req("sparql-bad-iri", "GET", "/sparql", 400, "query:1:", q("SELECT * WHERE { <a b> ?p ?o }")),
    Req("sparql-trailing-garbage", "GET", "/sparql", 400, "query:1:", q("ASK {} garbage")),
    Req("sparql-empty-query", "GET", "/sparql", 400, "query", q("")),
    Req("sparql-only-comment", "GET", "/sparql", 400, "", q("# nothing")),
    Req("sparql-bad-filter", "GET", "/sparql", 400, "query:1:", q("SELECT * WHERE { FILTER( }")),
    Req(
        "sparql-deep-nesting",
        "GET",
        "/sparql",
        400,
        "",
        q("SELECT * WHERE " + "{" * 3000 + "}" * 3000),
    ),
    Req(
        "sparql-deep-parentheses",
        "GET",
        "/sparql",
        400,
        "",
        q("ASK { FILTER(" + "(" * 5000 + "1" + ")" * 5000 + ") }"),
    ),
    Req(
        "sparql-query-given-twice",
        "GET",
        "/sparql",
        400,
        "once",
        [("query", "ASK {}"), ("query", "ASK {}")],
    ),
    Req(
        "sparql-update-on-query-endpoint",
        "POST",
        "/sparql",
        400,
        "send it to /update",
        headers={"content-type": "application/sparql-query"},
        body=b"INSERT DATA { <urn:a> <urn:b> <urn:c> }",
    ),
    Req(
        "sparql-update-param-on-query-endpoint",
        "POST",
        "/sparql",
        400,
        "",
        headers={"content-type": "application/x-www-form-urlencoded"},
        body=b"update=DROP+ALL",
    ),
    Req(
        "sparql-wrong-media-type",
        "POST",
        "/sparql",
        415,
        "text/plain",
        headers={"content-type": "text/plain"},
        body=b"ASK {}",
    ),
    Req("sparql-no-media-type", "POST", "/sparql", 415, "", body=b"ASK {}"),
    Req(
        "sparql-oversized-body",
        "POST",
        "/sparql",
        413,
        "",
        headers={"content-type": "application/sparql-query"},
        body=b"ASK {} #" + b"x" * (LIMIT + 10),
    ),
    Req(
        "sparql-invalid-utf8-body",
        "POST",
        "/sparql",
        400,
        "UTF-8",
        headers={"content-type": "application/sparql-query"},
        body=b"ASK { ?s ?p '\xff' }",
    ),
    Req(
        "sparql-invalid-utf8-form",
        "POST",
        "/sparql",
        400,
        "UTF-8",
        headers={"content-type": "application/x-www-form-urlencoded"},
        body=b"query=ASK+%7B%7D%FF",
    ),
    Req(
        "sparql-nothing-acceptable",
        "GET",
        "/sparql",
        406,
        "",
        q("ASK {}"),
        headers={"accept": "image/png"},
    ),
    Req(
        "sparql-select-as-turtle",
        "GET",
        "/sparql",
        406,
        "",
        q("SELECT * WHERE { ?s ?p ?o } LIMIT 1"),
        headers={"accept": "text/turtle"},
    ),
    Req(
        "sparql-bad-default-graph-uri",
        "GET",
        "/sparql",
        400,
        "",
        [("query", "ASK {}"), ("default-graph-uri", "not an iri")],
    ),
    Req(
        "sparql-service-not-allowed",
        "GET",
        "/sparql",
        403,
        "SERVICE",
        q("SELECT * WHERE { SERVICE <http://127.0.0.1:9/sparql> { ?s ?p ?o } }"),
    ),
    Req(
        "sparql-service-variable",
        "GET",
        "/sparql",
        403,
        "SERVICE",
        q("SELECT * WHERE { SERVICE ?x { ?s ?p ?o } }"),
    ),
    # -- /update --------------------------------------------------------------------------------
    Req(
        "update-without-token",
        "POST",
        "/update",
        401,
        "Bearer",
        headers={"content-type": "application/sparql-update"},
        body=b"INSERT DATA { <urn:a> <urn:b> <urn:c> }",
    ),
    Req(
        "update-wrong-token",
        "POST",
        "/update",
        401,
        "not valid",
        headers={"content-type": "application/sparql-update", "authorization": "Bearer nope"},
        body=b"INSERT DATA { <urn:a> <urn:b> <urn:c> }",
    ),
    Req(
        "update-basic-auth",
        "POST",
        "/update",
        401,
        "Bearer",
        headers={
            "content-type": "application/sparql-update",
            "authorization": "Basic YWRtaW46YWRtaW4=",
        },
        body=b"INSERT DATA { <urn:a> <urn:b> <urn:c> }",
    ),
    Req(
        "update-malformed",
        "POST",
        "/update",
        400,
        "update:1:",
        headers={**ADMIN, "content-type": "application/sparql-update"},
        body=b"INSERT DATA { <urn:a> <urn:b> }",
    ),
    Req(
        "update-load",
        "POST",
        "/update",
        400,
        "LOAD",
        headers={**ADMIN, "content-type": "application/sparql-update"},
        body=b"LOAD <http://127.0.0.1:9/x.ttl>",
    ),
    Req(
        "update-load-silent-into-graph",
        "POST",
        "/update",
        400,
        "LOAD",
        headers={**ADMIN, "content-type": "application/sparql-update"},
        body=b"LOAD SILENT <file:///etc/passwd> INTO GRAPH <urn:g>",
    ),
    Req(
        "update-service-in-where",
        "POST",
        "/update",
        403,
        "SERVICE",
        headers={**ADMIN, "content-type": "application/sparql-update"},
        body=b"INSERT { <urn:a> <urn:b> ?o } WHERE { SERVICE <http://127.0.0.1:9/> { ?s ?p ?o } }",
    ),
    Req(
        "update-second-statement-broken",
        "POST",
        "/update",
        400,
        "update:1:",
        headers={**ADMIN, "content-type": "application/sparql-update"},
        body=b"INSERT DATA { <urn:a> <urn:b> <urn:c> } ; INSERT DATA { oops }",
    ),
    Req(
        "update-wrong-media-type",
        "POST",
        "/update",
        415,
        "",
        headers={**ADMIN, "content-type": "text/plain"},
        body=b"CLEAR ALL",
    ),
    Req(
        "update-invalid-utf8",
        "POST",
        "/update",
        400,
        "UTF-8",
        headers={**ADMIN, "content-type": "application/sparql-update"},
        body=b"INSERT DATA { <urn:a> <urn:b> '\xff' }",
    ),
    Req(
        "update-oversized",
        "POST",
        "/update",
        413,
        "",
        headers={**ADMIN, "content-type": "application/sparql-update"},
        body=b"CLEAR SILENT GRAPH <urn:x> #" + b"x" * (LIMIT + 10),
    ),
    Req("update-via-get", "GET", "/update", (400, 405), "", {"update": "CLEAR ALL"}, headers=ADMIN),
    Req(
        "update-deep-nesting",
        "POST",
        "/update",
        400,
        "levels deep",
        headers={**ADMIN, "content-type": "application/sparql-update"},
        body=b"INSERT DATA { <urn:a> <urn:b> " + b"( " * 30_000 + b")" * 30_000 + b" }",
    ),
    # -- /store (Graph Store Protocol) ---------------------------------------------------------
    Req(
        "store-put-without-token",
        "PUT",
        "/store",
        401,
        "",
        {"graph": G},
        TTL,
        b"<urn:a> <urn:b> <urn:c> .",
    ),
    Req(
        "store-put-bad-turtle",
        "PUT",
        "/store",
        400,
        "body:1:",
        {"graph": G},
        {**ADMIN, **TTL},
        b"<urn:a> <urn:b> .",
    ),
    Req(
        "store-put-shacl-invalid",
        "PUT",
        "/store",
        422,
        "conform",
        {"graph": G},
        {**ADMIN, **TTL},
        INVALID_INITIATIVE,
    ),
    Req(
        "store-put-wrong-media-type",
        "PUT",
        "/store",
        415,
        "",
        {"graph": G},
        {**ADMIN, "content-type": "application/pdf"},
        b"%PDF",
    ),
    Req(
        "store-put-jsonld-remote-context",
        "PUT",
        "/store",
        400,
        "remote @context",
        {"graph": G},
        {**ADMIN, "content-type": "application/ld+json"},
        json.dumps({"@context": REMOTE, "@id": "urn:a"}).encode(),
    ),
    Req(
        "store-put-jsonld-deep",
        "PUT",
        "/store",
        400,
        "",
        {"graph": G},
        {**ADMIN, "content-type": "application/ld+json"},
        b"[" * 70_000 + b"]" * 70_000,
    ),
    Req(
        "store-put-jsonld-invalid-json",
        "PUT",
        "/store",
        400,
        "",
        {"graph": G},
        {**ADMIN, "content-type": "application/ld+json"},
        b'{"@id": ',
    ),
    Req(
        "store-put-huge-json",
        "PUT",
        "/store",
        413,
        "",
        {"graph": G},
        {**ADMIN, "content-type": "application/ld+json"},
        json.dumps([{"@id": f"urn:x:{i}", "urn:p": "v" * 20} for i in range(10_000)]).encode(),
    ),
    Req(
        "store-put-invalid-utf8",
        "PUT",
        "/store",
        400,
        "UTF-8",
        {"graph": G},
        {**ADMIN, **TTL},
        b"<urn:a> <urn:b> '\xe9' .",
    ),
    Req(
        "store-put-utf16",
        "PUT",
        "/store",
        400,
        "UTF-8",
        {"graph": G},
        {**ADMIN, **TTL},
        "<urn:a> <urn:b> 'x' .".encode("utf-16"),
    ),
    Req(
        "store-put-billion-laughs",
        "PUT",
        "/store",
        400,
        "DOCTYPE",
        {"graph": G},
        {**ADMIN, "content-type": "application/rdf+xml"},
        BILLION_LAUGHS,
    ),
    Req(
        "store-put-xxe",
        "PUT",
        "/store",
        400,
        "DOCTYPE",
        {"graph": G},
        {**ADMIN, "content-type": "application/rdf+xml"},
        XXE,
    ),
    Req(
        "store-put-truncated-rdfxml",
        "PUT",
        "/store",
        400,
        "XML",
        {"graph": G},
        {**ADMIN, "content-type": "application/rdf+xml"},
        b'<rdf:RDF xmlns:rdf="http://www.w3.org/1999/02/22-rdf-syntax-ns#"><rdf:Description>',
    ),
    Req(
        "store-put-graph-and-default",
        "PUT",
        "/store",
        400,
        "",
        [("graph", G), ("default", "")],
        {**ADMIN, **TTL},
        b"<urn:a> <urn:b> <urn:c> .",
    ),
    Req(
        "store-put-graph-twice",
        "PUT",
        "/store",
        400,
        "",
        [("graph", G), ("graph", G + "2")],
        {**ADMIN, **TTL},
        b"<urn:a> <urn:b> <urn:c> .",
    ),
    Req(
        "store-put-graph-not-an-iri",
        "PUT",
        "/store",
        400,
        "",
        {"graph": "http://exa mple.org/<g>"},
        {**ADMIN, **TTL},
        b"<urn:a> <urn:b> <urn:c> .",
    ),
    Req(
        "store-put-oversized",
        "PUT",
        "/store",
        413,
        "",
        {"graph": G},
        {**ADMIN, **TTL},
        b"<urn:a> <urn:b> '" + b"x" * (LIMIT + 10) + b"' .",
    ),
    Req(
        "store-delete-missing-graph",
        "DELETE",
        "/store",
        404,
        "",
        {"graph": "https://example.org/never-there"},
        ADMIN,
    ),
    Req("store-get-private-graph", "GET", "/store", 404, "", {"graph": PRIVATE}),
    Req(
        "store-get-missing-graph",
        "GET",
        "/store",
        404,
        "",
        {"graph": "https://example.org/never-there"},
    ),
    # -- paths ---------------------------------------------------------------------------------
    Req("static-path-traversal", "GET", "/static/../../../../etc/passwd", 404, ""),
    Req("static-encoded-traversal", "GET", "/static/%2e%2e/%2e%2e/%2e%2e/etc/passwd", 404, ""),
    Req(
        "static-double-encoded-traversal",
        "GET",
        "/static/%252e%252e/%252e%252e/etc/passwd",
        404,
        "",
    ),
    Req("store-direct-traversal", "GET", "/store/../../../etc/passwd", 404, ""),
    Req("store-direct-encoded-traversal", "GET", "/store/%2e%2e/%2e%2e/etc/passwd", 404, ""),
    Req("unknown-route", "GET", "/etc/passwd", 404, ""),
    Req("method-not-allowed", "DELETE", "/sparql", 405, ""),
]


@pytest.fixture(scope="module")
def base(seeded_template, tmp_path_factory):
    path = tmp_path_factory.mktemp("bad-http") / "store"
    shutil.copytree(seeded_template, path)
    with running_server(
        path, admin_token=ADMIN_TOKEN, max_body_bytes=str(LIMIT), query_timeout="10"
    ) as url:
        yield url


def state(base: str) -> tuple[str, int]:
    dataset = httpx.get(f"{base}/store", headers={"accept": "application/n-quads"}, timeout=60)
    assert dataset.status_code == 200
    return (
        hashlib.sha256(dataset.content).hexdigest(),
        httpx.get(f"{base}/health").json()["triples"],
    )


def send(base: str, case: Req) -> httpx.Response:
    # A raw path (traversal cases) must reach the server unnormalised.
    url = httpx.URL(base).copy_with(raw_path=case.path.encode())
    with httpx.Client(timeout=60) as client:
        request = client.build_request(
            case.method, url, params=case.params or None, headers=case.headers, content=case.body
        )
        return client.send(request)


@pytest.mark.parametrize(
    "case",
    cases(
        CASES,
        [c.id for c in CASES],
        {
            "sparql-unknown-prefix": "its words for an undeclared prefix ('Undefined namespace "
            "prefix at 'nope'')",
            "update-second-statement-broken": "it refuses the first statement, an INSERT DATA "
            "into its default graph ('No plain default graph specified'), before it reads the "
            "second",
        },
    ),
)
def test_bad_request_is_a_clear_4xx_and_nothing_changes(base, case):
    before = state(base)
    r = send(base, case)
    after = state(base)
    expected = case.status if isinstance(case.status, tuple) else (case.status,)
    is_json = r.headers.get("content-type", "").startswith("application/json")
    message = r.json()["error"]["message"] if is_json else r.text[:200]
    record(
        "bad input (HTTP)",
        case.id,
        entry=f"{case.method} {case.path.split('?')[0][:40]}",
        outcome=str(r.status_code),
        message=message[:160],
        unchanged=after == before,
    )
    assert r.status_code in expected, f"{r.status_code}: {r.text[:500]}"
    assert is_json, r.headers.get("content-type")
    assert set(r.json()["error"]) >= {"code", "message", "request_id"}
    assert case.message.lower() in message.lower(), message
    assert "Traceback" not in r.text and "/etc/passwd:" not in r.text
    assert "root:" not in r.text
    assert after == before
