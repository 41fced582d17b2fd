"""The /sparql endpoint against a running server, with real clients."""

from __future__ import annotations

import concurrent.futures
import time

import httpx
import pytest
from conftest import ADMIN_TOKEN
from rdflib import Graph
from SPARQLWrapper import CSV, JSON, TURTLE, XML, SPARQLWrapper

COUNT_COUNTRIES = (
    "PREFIX iatp: <https://w3id.org/iatp/ontology#> "
    "SELECT (COUNT(?c) AS ?n) WHERE { ?c a iatp:Country }"
)
AUTH = {"Authorization": f"Bearer {ADMIN_TOKEN}"}


def wrapper(server: str, query: str, fmt) -> SPARQLWrapper:
    sparql = SPARQLWrapper(f"{server}/sparql")
    sparql.setQuery(query)
    sparql.setReturnFormat(fmt)
    return sparql


def test_sparqlwrapper_select_json(server):
    result = wrapper(server, COUNT_COUNTRIES, JSON).queryAndConvert()
    assert result["results"]["bindings"][0]["n"]["value"] == "33"


def test_sparqlwrapper_select_xml(server):
    doc = wrapper(server, COUNT_COUNTRIES, XML).queryAndConvert()
    assert doc.getElementsByTagName("literal")[0].firstChild.data == "33"


@pytest.mark.not_virtuoso('its CSV results quote the header line ("n")')
def test_sparqlwrapper_select_csv(server):
    text = wrapper(server, COUNT_COUNTRIES, CSV).queryAndConvert().decode()
    assert text.splitlines() == ["n", "33"]


def test_sparqlwrapper_ask(server):
    query = "ASK { <https://w3id.org/iatp/id/country/co> ?p ?o }"
    assert wrapper(server, query, JSON).queryAndConvert()["boolean"] is True


def test_sparqlwrapper_construct(server):
    query = (
        "PREFIX iatp: <https://w3id.org/iatp/ontology#> "
        "CONSTRUCT { ?c iatp:iso3166Alpha2 ?code } WHERE { ?c iatp:iso3166Alpha2 ?code }"
    )
    graph = wrapper(server, query, TURTLE).queryAndConvert()
    graph = graph if isinstance(graph, Graph) else Graph().parse(data=graph, format="turtle")
    assert len(graph) == 33


def test_select_with_turtle_accept_is_406(server):
    r = httpx.get(
        f"{server}/sparql", params={"query": COUNT_COUNTRIES}, headers={"accept": "text/turtle"}
    )
    assert r.status_code == 406
    assert "acceptable" in r.json()["error"]["message"]


def test_format_parameter_overrides_accept(server):
    r = httpx.get(
        f"{server}/sparql",
        params={"query": COUNT_COUNTRIES, "format": "csv"},
        headers={"accept": "application/sparql-results+json"},
    )
    assert r.status_code == 200
    assert r.headers["content-type"].startswith("text/csv")


def test_malformed_query_is_400_with_line_and_column(server):
    r = httpx.get(f"{server}/sparql", params={"query": "SELECT *\nWHERE { ?s ?p }"})
    assert r.status_code == 400
    assert "query:2:" in r.json()["error"]["message"]


def test_query_given_twice_is_400(server):
    r = httpx.get(f"{server}/sparql?query=ASK%7B%7D&query=ASK%7B%7D")
    assert r.status_code == 400
    assert "2 times" in r.json()["error"]["message"]


def test_wrong_request_media_type_is_415(server):
    r = httpx.post(f"{server}/sparql", content="ASK {}", headers={"content-type": "text/plain"})
    assert r.status_code == 415


def test_common_client_parameters_cause_no_error(server):
    r = httpx.get(
        f"{server}/sparql", params={"query": "ASK {}", "results": "json", "output": "json"}
    )
    assert r.status_code == 200


def test_etag_and_conditional_get(server):
    r1 = httpx.get(f"{server}/sparql", params={"query": COUNT_COUNTRIES})
    etag = r1.headers["etag"]
    assert r1.headers["last-modified"]
    r2 = httpx.get(
        f"{server}/sparql", params={"query": COUNT_COUNTRIES}, headers={"if-none-match": etag}
    )
    assert r2.status_code == 304
    other = httpx.get(f"{server}/sparql", params={"query": COUNT_COUNTRIES, "format": "csv"})
    assert other.headers["etag"] != etag


def test_etag_changes_after_a_write(admin_server):
    params = {"query": "ASK { <https://example.org/etag-probe> ?p ?o }"}
    before = httpx.get(f"{admin_server}/sparql", params=params)
    assert before.json()["boolean"] is False
    r = httpx.post(
        f"{admin_server}/update",
        content="INSERT DATA { GRAPH <https://example.org/g-etag> { <https://example.org/etag-probe> <https://example.org/p> 1 } }",
        headers={"content-type": "application/sparql-update", **AUTH},
    )
    assert r.status_code == 204
    after = httpx.get(
        f"{admin_server}/sparql", params=params, headers={"if-none-match": before.headers["etag"]}
    )
    assert after.status_code == 200
    assert after.json()["boolean"] is True


def test_cors_preflight_and_read_headers(server):
    pre = httpx.options(
        f"{server}/sparql",
        headers={
            "origin": "https://portal.example.org",
            "access-control-request-method": "POST",
            "access-control-request-headers": "content-type",
        },
    )
    assert pre.status_code == 200
    assert pre.headers["access-control-allow-origin"] in ("*", "https://portal.example.org")
    r = httpx.get(
        f"{server}/sparql",
        params={"query": "ASK {}"},
        headers={"origin": "https://portal.example.org"},
    )
    assert r.headers["access-control-allow-origin"] == "*"


def test_cors_never_allows_the_authorization_header(admin_server):
    pre = httpx.options(
        f"{admin_server}/update",
        headers={
            "origin": "https://evil.example",
            "access-control-request-method": "POST",
            "access-control-request-headers": "authorization",
        },
    )
    assert "authorization" not in pre.headers.get("access-control-allow-headers", "").lower()


def test_no_server_version_is_leaked(server):
    r = httpx.get(f"{server}/health")
    assert "server" not in r.headers
    assert r.json()["triples"] > 8000


def test_service_is_refused_and_never_contacts_the_endpoint(server, canary):
    for query in (
        f"SELECT * WHERE {{ SERVICE <{canary.url}> {{ ?s ?p ?o }} }}",
        f"select * where {{ service silent <{canary.url}> {{ ?s ?p ?o }} }}",
        "SELECT * WHERE { SERVICE ?endpoint { ?s ?p ?o } VALUES ?endpoint { <"
        + canary.url
        + "> } }",
    ):
        r = httpx.get(f"{server}/sparql", params={"query": query})
        assert r.status_code in (400, 403), r.text
    time.sleep(0.5)
    assert canary.hits == 0


def test_the_word_service_in_a_string_or_comment_is_not_refused(server):
    query = 'SELECT ("SERVICE <http://x>" AS ?x) WHERE { } # SERVICE <http://y> { }'
    assert httpx.get(f"{server}/sparql", params={"query": query}).status_code == 200


def test_load_is_refused_and_never_contacts_the_source(admin_server, canary):
    r = httpx.post(
        f"{admin_server}/update",
        content=f"LOAD <{canary.url}>",
        headers={"content-type": "application/sparql-update", **AUTH},
    )
    assert r.status_code in (400, 403), r.text
    assert "LOAD is refused" in r.json()["error"]["message"]
    time.sleep(0.5)
    assert canary.hits == 0


def test_sparql_never_runs_an_update(server):
    r = httpx.post(f"{server}/sparql", data={"update": "CLEAR ALL"})
    assert r.status_code == 400


@pytest.mark.parametrize(
    ("headers", "status"),
    [({}, 401), ({"Authorization": "Bearer wrong"}, 401), ({"Authorization": "Basic eA=="}, 401)],
)
def test_update_needs_the_token(admin_server, headers, status):
    r = httpx.post(
        f"{admin_server}/update",
        content="CLEAR ALL",
        headers={"content-type": "application/sparql-update", **headers},
    )
    assert r.status_code == status
    assert r.headers["www-authenticate"].startswith("Bearer")


def test_writes_are_disabled_without_a_configured_token(server):
    r = httpx.post(
        f"{server}/update",
        content="CLEAR ALL",
        headers={"content-type": "application/sparql-update", "Authorization": "Bearer anything"},
    )
    assert r.status_code == 403
    r = httpx.put(
        f"{server}/store?graph=https://example.org/g",
        content="<a:b> <a:c> <a:d> .",
        headers={"content-type": "application/n-triples"},
    )
    assert r.status_code == 403


def test_private_graphs_are_invisible_to_sparql(admin_server):
    private = "https://w3id.org/iatp/id/graph/private/test-canary"
    canary = "canary-private@example.org"
    r = httpx.post(
        f"{admin_server}/update",
        content=f'INSERT DATA {{ GRAPH <{private}> {{ <https://example.org/c> <https://schema.org/email> "{canary}" }} }}',
        headers={"content-type": "application/sparql-update", **AUTH},
    )
    assert r.status_code == 204
    probes = [
        ("SELECT * WHERE { GRAPH ?g { ?s ?p ?o } }", {}),
        ("SELECT * WHERE { ?s ?p ?o }", {}),
        (f"SELECT * FROM <{private}> WHERE {{ ?s ?p ?o }}", {}),
        (f"SELECT * FROM NAMED <{private}> WHERE {{ GRAPH ?g {{ ?s ?p ?o }} }}", {}),
        ("SELECT * WHERE { ?s ?p ?o }", {"default-graph-uri": private}),
        ("SELECT * WHERE { GRAPH ?g { ?s ?p ?o } }", {"named-graph-uri": private}),
        ("DESCRIBE <https://example.org/c>", {}),
        ("CONSTRUCT WHERE { GRAPH ?g { ?s ?p ?o } }", {}),
    ]
    for query, extra in probes:
        r = httpx.get(f"{admin_server}/sparql", params={"query": query, **extra}, timeout=30)
        assert canary not in r.text, query
    gsp = httpx.get(f"{admin_server}/store", params={"graph": private}, headers=AUTH)
    assert gsp.status_code == 404


def test_store_put_of_invalid_data_is_422_and_writes_nothing(admin_server):
    graph = "https://w3id.org/iatp/id/graph/test-422"
    bad = (
        "@prefix iatp: <https://w3id.org/iatp/ontology#> . @prefix rdfs: <http://www.w3.org/2000/01/rdf-schema#> .\n"
        '<https://w3id.org/iatp/id/initiative/bad> a iatp:ClusterInitiative ; rdfs:label "Bad"@es .'
    )
    count = "SELECT (COUNT(*) AS ?n) WHERE { ?s ?p ?o }"
    before = httpx.get(f"{admin_server}/sparql", params={"query": count}).json()
    r = httpx.put(
        f"{admin_server}/store",
        params={"graph": graph},
        content=bad,
        headers={"content-type": "text/turtle", **AUTH},
    )
    assert r.status_code == 422
    assert r.json()["error"]["report"]["conforms"] is False
    ttl = httpx.put(
        f"{admin_server}/store",
        params={"graph": graph},
        content=bad,
        headers={"content-type": "text/turtle", "accept": "text/turtle", **AUTH},
    )
    assert ttl.status_code == 422 and "sh:ValidationReport" in ttl.text
    after = httpx.get(f"{admin_server}/sparql", params={"query": count}).json()
    assert before == after
    assert httpx.get(f"{admin_server}/store", params={"graph": graph}).status_code == 404


def test_store_rejects_unknown_media_type_and_bad_syntax(admin_server):
    url = f"{admin_server}/store?graph=https://example.org/g-syntax"
    assert (
        httpx.put(url, content="x", headers={"content-type": "image/png", **AUTH}).status_code
        == 415
    )
    r = httpx.put(url, content="<a:b> <a:c> .", headers={"content-type": "text/turtle", **AUTH})
    assert r.status_code == 400


def test_oversized_body_is_413(limited_server):
    big = "ASK { " + " ".join(f"<urn:x:{i}> <urn:p> {i} ." for i in range(3000)) + " }"
    r = httpx.post(
        f"{limited_server}/sparql",
        content=big,
        headers={"content-type": "application/sparql-query"},
    )
    assert r.status_code == 413


def test_result_past_the_byte_limit_aborts_the_stream(limited_server):
    # about 1 MB of N-Triples, the limit is 50 kB (the row limit does not apply to graphs)
    query = "CONSTRUCT WHERE { ?s ?p ?o }"
    with pytest.raises(httpx.HTTPError):
        r = httpx.get(
            f"{limited_server}/sparql",
            params={"query": query},
            headers={"accept": "application/n-triples"},
            timeout=30,
        )
        r.raise_for_status()
        assert r.text.endswith(" .\n")  # a truncated body never ends a triple


@pytest.mark.parametrize("fmt", ["json", "xml", "csv", "tsv"])
def test_result_past_the_row_limit_is_503(limited_server, fmt):
    query = "PREFIX iatp: <https://w3id.org/iatp/ontology#> SELECT ?s WHERE { ?s a iatp:Subdivision } LIMIT 150"
    r = httpx.get(f"{limited_server}/sparql", params={"query": query, "format": fmt}, timeout=30)
    assert r.status_code == 503
    assert "more than 100 rows" in r.json()["error"]["message"]
    under = query.replace("LIMIT 150", "LIMIT 100")
    assert (
        httpx.get(f"{limited_server}/sparql", params={"query": under, "format": fmt}).status_code
        == 200
    )


PATHOLOGICAL = "SELECT (COUNT(*) AS ?n) WHERE { ?a ?b ?c . ?d ?e ?f . ?g ?h ?i }"


def test_pathological_query_hits_the_limit_while_cheap_queries_are_answered(limited_server):
    def slow():
        return httpx.get(f"{limited_server}/sparql", params={"query": PATHOLOGICAL}, timeout=60)

    with concurrent.futures.ThreadPoolExecutor(1) as pool:
        future = pool.submit(slow)
        answered = 0
        while not future.done():
            r = httpx.get(
                f"{limited_server}/sparql", params={"query": "ASK { ?s ?p ?o }"}, timeout=60
            )
            assert r.status_code == 200
            answered += 1
        response = future.result()
    assert response.status_code == 503
    assert "time limit" in response.json()["error"]["message"]
    assert answered > 0
    deadline = time.monotonic() + 30
    while httpx.get(f"{limited_server}/health").json()["query_workers"] < 2:
        assert time.monotonic() < deadline, "the killed worker was not replaced"
        time.sleep(0.2)
    assert httpx.get(f"{limited_server}/sparql", params={"query": "ASK {}"}).status_code == 200
