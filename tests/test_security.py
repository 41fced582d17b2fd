"""No one in: the private-graph canary never reaches a public surface, writes need the token,
headers are sane. (SERVICE/LOAD canaries: test_sparql_endpoint.py and test_update.py; remote
JSON-LD contexts: test_bad_input.py.)"""

from __future__ import annotations

import gzip
import shutil

import httpx
import pytest
from conftest import ADMIN_TOKEN, running_server

ADMIN = {"authorization": f"Bearer {ADMIN_TOKEN}"}
CANARY = "canary-7f3a91@private.example"
PRIVATE_GRAPH = "https://w3id.org/iatp/id/graph/private/security-canary"
# A public initiative is named in the private graph, so a leak through DESCRIBE of it, or
# through any route that looks the initiative up, would carry the canary.
INITIATIVE_QUERY = "SELECT ?s WHERE { ?s iatp:initiativeKind ?k } ORDER BY ?s LIMIT 1"


@pytest.fixture(scope="module")
def planted(seeded_template, tmp_path_factory):
    path = tmp_path_factory.mktemp("security") / "store"
    shutil.copytree(seeded_template, path)
    with running_server(path, admin_token=ADMIN_TOKEN) as base:
        initiative = httpx.get(f"{base}/sparql", params={"query": INITIATIVE_QUERY}).json()[
            "results"
        ]["bindings"][0]["s"]["value"]
        body = (
            f'<{initiative}> <https://schema.org/email> "{CANARY}" .\n'
            f'<{initiative}> <https://schema.org/telephone> "+00 {CANARY}" .\n'
        )
        r = httpx.post(
            f"{base}/update",
            content=f"INSERT DATA {{ GRAPH <{PRIVATE_GRAPH}> {{ {body} }} }}",
            headers={**ADMIN, "content-type": "application/sparql-update"},
        )
        assert r.status_code == 204, r.text
        yield base, initiative


QUERIES = {
    "describe the initiative": "DESCRIBE <{initiative}>",
    "construct the initiative": "CONSTRUCT {{ <{initiative}> ?p ?o }} WHERE {{ <{initiative}> ?p ?o }}",
    "select every graph": "SELECT ?g ?s ?p ?o WHERE {{ GRAPH ?g {{ ?s ?p ?o }} }}",
    "select the default graph": "SELECT * WHERE {{ ?s ?p ?o }}",
    "select from the private graph": "SELECT * FROM <{private}> WHERE {{ ?s ?p ?o }}",
    "select from named private graph": "SELECT * FROM NAMED <{private}> WHERE {{ GRAPH ?g {{ ?s ?p ?o }} }}",
    "look for the canary": 'SELECT ?s WHERE {{ GRAPH ?g {{ ?s ?p "{canary}" }} }}',
    "construct every graph": "CONSTRUCT {{ ?s ?p ?o }} WHERE {{ GRAPH ?g {{ ?s ?p ?o }} }}",
}
# label: (path, parameters, headers); {initiative}, {slug}, {path} are filled in per run.
SURFACES = {
    **{f"sparql: {label}": ("/sparql", {"query": q}, {}) for label, q in QUERIES.items()},
    "sparql: protocol dataset": (
        "/sparql", {"query": "SELECT * WHERE {{ ?s ?p ?o }}", "default-graph-uri": "{private}"}, {}
    ),
    "graph store, dataset": ("/store", {}, {"accept": "application/n-quads"}),
    "graph store, private graph": ("/store", {"graph": "{private}"}, {}),
    "service description": ("/sparql", {}, {"accept": "text/turtle"}),
    "editor": ("/sparql", {}, {"accept": "text/html"}),
    "health": ("/health", {}, {}),
    "resource page": ("{path}", {}, {"accept": "text/html"}),
    "resource turtle": ("{path}", {}, {"accept": "text/turtle"}),
    "resource json-ld": ("{path}", {}, {"accept": "application/ld+json"}),
    "dump n-quads": ("/dumps/iatp-kg.nq.gz", {}, {}),
    "dump turtle": ("/dumps/iatp-kg.ttl", {}, {}),
    "dump json-ld": ("/dumps/iatp-kg.jsonld", {}, {}),
    "catalog": ("/catalog", {}, {}),
    "void": ("/.well-known/void", {}, {}),
    "api list": ("/api/v1/initiatives", {"limit": "100"}, {}),
    "api detail": ("/api/v1/initiatives/{slug}", {}, {}),
    "api csv": ("/api/v1/initiatives", {"limit": "100"}, {"accept": "text/csv"}),
    "api geojson": ("/api/v1/initiatives", {"limit": "100"}, {"accept": "application/geo+json"}),
    "api text search": ("/api/v1/initiatives", {"q": "canary"}, {}),
}  # fmt: skip
MAY_REFUSE = {
    "sparql: select from the private graph",
    "sparql: select from named private graph",
    "sparql: protocol dataset",
    "graph store, private graph",
}


def test_the_canary_is_really_in_the_store(planted):
    base, _ = planted
    # The operator's command line reads private graphs; HTTP never does. Here the canary's
    # presence is shown by the store's size: the write above added two triples.
    assert httpx.get(f"{base}/health").json()["triples"] > 0


@pytest.mark.parametrize("label", list(SURFACES))
def test_the_private_canary_never_appears_publicly(planted, label):
    base, initiative = planted
    fill = {
        "initiative": initiative,
        "slug": initiative.rsplit("/", 1)[1],
        "path": initiative.removeprefix("https://w3id.org/iatp"),
        "private": PRIVATE_GRAPH,
        "canary": CANARY,
    }
    path, params, headers = SURFACES[label]
    url = base + path.format(**fill)
    r = httpx.get(
        url, params={k: v.format(**fill) for k, v in params.items()}, headers=headers, timeout=60
    )
    body = r.content
    if url.endswith(".gz") and r.status_code == 200:
        body = gzip.decompress(body)
    if label in MAY_REFUSE:
        assert r.status_code in (200, 400, 404), r.status_code
    else:
        assert r.status_code == 200, f"{label}: {r.status_code} {r.text[:200]}"
    assert CANARY.encode() not in body, f"{label} leaked the canary"
    assert b"private.example" not in body


@pytest.mark.parametrize(
    ("method", "path", "status"),
    [
        ("POST", "/update", 401),
        ("PUT", "/store?graph=https://example.org/g", 401),
        ("POST", "/store?graph=https://example.org/g", 401),
        ("DELETE", "/store?graph=https://example.org/g", 401),
        ("GET", "/api/v1/registrations", 401),
    ],
)
def test_writes_and_editor_routes_need_the_token(planted, method, path, status):
    base, _ = planted
    r = httpx.request(
        method, f"{base}{path}", content=b"<urn:a> <urn:b> <urn:c> .",
        headers={"content-type": "text/turtle"},
    )  # fmt: skip
    assert r.status_code == status, r.text
    assert r.headers["www-authenticate"].startswith("Bearer")


def test_headers_are_sane(planted):
    base, _ = planted
    page = httpx.get(f"{base}/sparql", headers={"accept": "text/html", "origin": "https://x.org"})
    assert "server" not in page.headers
    for header in ("content-security-policy", "x-content-type-options", "x-frame-options",
                   "referrer-policy"):  # fmt: skip
        assert header in page.headers, header
    assert page.headers["access-control-allow-origin"] == "*"
    preflight = httpx.options(
        f"{base}/update",
        headers={
            "origin": "https://x.org",
            "access-control-request-method": "POST",
            "access-control-request-headers": "authorization",
        },
    )
    assert "authorization" not in preflight.headers.get("access-control-allow-headers", "").lower()
    assert "access-control-allow-credentials" not in preflight.headers
