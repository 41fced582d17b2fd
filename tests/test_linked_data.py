"""Dereferenceable IRIs, the ontology and shapes documents, the dumps, the DCAT catalog and
VoID, against a real server over the seeded store. Expectations come from /sparql."""

from __future__ import annotations

import gzip
import re

import httpx
import pyoxigraph as ox
import pytest
from rdflib import Graph, URIRef
from rdflib.namespace import DCAT, VOID

from iatp_kg.paths import bundled

ID = "https://w3id.org/iatp/id/"
BASE = "https://w3id.org/iatp/"
FORMATS = {
    "text/turtle": ox.RdfFormat.TURTLE,
    "application/n-triples": ox.RdfFormat.N_TRIPLES,
    "application/ld+json": ox.RdfFormat.JSON_LD,
    "application/rdf+xml": ox.RdfFormat.RDF_XML,
}
EXTENSIONS = {
    "ttl": "text/turtle",
    "nt": "application/n-triples",
    "jsonld": "application/ld+json",
    "rdf": "application/rdf+xml",
}


def sparql_select(server: str, query: str) -> list[dict]:
    r = httpx.post(f"{server}/sparql", data={"query": query}, timeout=60)
    assert r.status_code == 200, r.text
    return r.json()["results"]["bindings"]


def triples(body: bytes, fmt: ox.RdfFormat) -> set[tuple]:
    return {(q.subject, q.predicate, q.object) for q in ox.parse(body, fmt)}


@pytest.fixture(scope="module")
def one_per_kind(server) -> dict[str, str]:
    """One data IRI per kind (the first path segment after /id/), from /sparql."""
    rows = sparql_select(
        server,
        f"""SELECT ?kind (MIN(?s) AS ?one) WHERE {{
              ?s ?p ?o . FILTER(isIRI(?s) && STRSTARTS(STR(?s), "{ID}") && !CONTAINS(STR(?s), "#"))
              BIND(STRBEFORE(STRAFTER(STR(?s), "{ID}"), "/") AS ?kind)
            }} GROUP BY ?kind""",
    )
    found = {r["kind"]["value"]: r["one"]["value"] for r in rows}
    assert {"initiative", "country", "organization", "membership", "isic"} <= set(found)
    return found


def expected_description(server: str, iri: str) -> set[tuple]:
    query = f"""CONSTRUCT {{ <{iri}> ?p ?o . ?n ?q ?v }} WHERE {{
        {{ <{iri}> ?p ?o }} UNION
        {{ <{iri}> ?l ?n . FILTER(isIRI(?n) && STRSTARTS(STR(?n), "{iri}#")) ?n ?q ?v }} }}"""
    r = httpx.post(
        f"{server}/sparql", data={"query": query}, headers={"accept": "application/n-triples"}
    )
    assert r.status_code == 200
    return triples(r.content, ox.RdfFormat.N_TRIPLES)


def test_every_kind_dereferences_in_every_format(server, one_per_kind):
    for kind, iri in one_per_kind.items():
        path = "/id/" + iri[len(ID) :]
        expected = expected_description(server, iri)
        assert expected, iri
        for media, fmt in FORMATS.items():
            r = httpx.get(server + path, headers={"accept": media})
            assert r.status_code == 200, (kind, media, r.text)
            assert r.headers["content-type"].startswith(media)
            assert "Accept" in r.headers["vary"]
            assert triples(r.content, fmt) == expected, (kind, media)
        for ext, media in EXTENSIONS.items():
            r = httpx.get(f"{server}{path}.{ext}")
            assert r.status_code == 200 and r.headers["content-type"].startswith(media)
            assert triples(r.content, FORMATS[media]) == expected


def test_html_page_is_readable_and_links_to_every_format(server, one_per_kind):
    iri = one_per_kind["initiative"]
    path = "/id/" + iri[len(ID) :]
    name = sparql_select(server, f"SELECT ?n WHERE {{ <{iri}> rdfs:label ?n }}")[0]["n"]["value"]
    for accept in ("text/html", "text/html,application/xhtml+xml,*/*;q=0.8"):
        r = httpx.get(server + path, headers={"accept": accept})
        assert r.status_code == 200 and r.headers["content-type"].startswith("text/html")
        assert f"<h1>{name}</h1>" in r.text
        for ext in EXTENSIONS:
            assert f'href="{path}.{ext}"' in r.text
        assert "content-security-policy" in r.headers
    # the JSON-LD embedded in the page parses to the resource's triples
    embedded = re.search(r'<script type="application/ld\+json">(.*?)</script>', r.text, re.S)
    body = embedded.group(1).replace("\\u003c", "<").encode()
    assert triples(body, ox.RdfFormat.JSON_LD) == expected_description(server, iri)
    # linked: the country and the memberships' actors are links to their pages
    country = sparql_select(server, f"SELECT ?c WHERE {{ <{iri}> iatp:country ?c }}")[0]
    assert f'href="/id/{country["c"]["value"][len(ID) :]}"' in r.text
    members = sparql_select(
        server, f"SELECT ?a WHERE {{ ?m org:organization <{iri}> ; org:member ?a }}"
    )
    for m in members:
        assert f'href="/id/{m["a"]["value"][len(ID) :]}"' in r.text
    assert httpx.get(f"{server}{path}.html?lang=es").text.count('lang="es"') >= 1


@pytest.mark.parametrize(
    "path",
    [
        "/id/initiative/no-such-initiative",
        "/id/country/zz",
        "/id/nothing",
        "/id/initiative/no-such.ttl",
        "/id/%2e%2e/store",
        "/id/%2e%2e/%2e%2e/etc/passwd",
        "/id/initiative/..%2f..%2fstore",
        "/id/initiative/a%00b",
        "/id/" + "a/" * 10 + "b",
        "/id/initiative/" + "x" * 300,
        "/id/graph/private/registration/x",
    ],
)
def test_unknown_resources_are_404_in_every_format(server, path):
    for accept in ("text/html", *FORMATS, "*/*", None):
        headers = {"accept": accept} if accept else {}
        r = httpx.get(server + path, headers=headers)
        assert r.status_code == 404, (path, accept, r.status_code)
        if accept == "text/html" and not path.endswith(".ttl"):  # an extension picks
            assert r.headers["content-type"].startswith("text/html")
        else:
            assert r.json()["error"]["code"] == "not_found"


def test_unacceptable_format_is_406(server, one_per_kind):
    path = "/id/" + one_per_kind["country"][len(ID) :]
    assert httpx.get(server + path, headers={"accept": "image/png"}).status_code == 406


def test_conditional_get_on_a_resource(server, one_per_kind):
    path = "/id/" + one_per_kind["country"][len(ID) :]
    first = httpx.get(server + path)
    again = httpx.get(server + path, headers={"if-none-match": first.headers["etag"]})
    assert again.status_code == 304


# ---- the ontology and the shapes --------------------------------------------------------------
def test_ontology_is_documented_and_served_as_data(server):
    source = (bundled("ontology") / "iatp.ttl").read_bytes()
    expected = triples(source, ox.RdfFormat.TURTLE)
    r = httpx.get(f"{server}/ontology", headers={"accept": "text/turtle"})
    assert r.status_code == 200 and r.content == source
    for media in ("application/ld+json", "application/n-triples", "application/rdf+xml"):
        r = httpx.get(f"{server}/ontology", headers={"accept": media})
        assert r.status_code == 200, media
        assert len(triples(r.content, FORMATS[media])) == len(expected), media
    html = httpx.get(f"{server}/ontology", headers={"accept": "text/html"}, timeout=60)
    assert html.status_code == 200 and html.headers["content-type"].startswith("text/html")
    classes = re.findall(r"^iatp:(\w+) a owl:Class", source.decode(), re.M)
    assert len(classes) > 20
    for name in classes:
        assert f"<code>https://w3id.org/iatp/ontology#{name}</code>" in html.text, name
    # self-contained: no stylesheet or script fetched from elsewhere
    assert not re.search(r'<(script|link)[^>]+(src|href)="https?://', html.text)


def test_shapes_are_served(server):
    files = sorted(bundled("shapes").glob("*.ttl"))
    expected = set()
    for f in files:
        expected |= triples(f.read_bytes(), ox.RdfFormat.TURTLE)
    r = httpx.get(f"{server}/shapes")
    assert r.status_code == 200 and r.headers["content-type"].startswith("text/turtle")
    # blank nodes are renamed in one merged document: compare counts and the named part
    got = triples(r.content, ox.RdfFormat.TURTLE)
    assert len(got) == len(expected)
    named = {
        t
        for t in expected
        if not isinstance(t[0], ox.BlankNode) and not isinstance(t[2], ox.BlankNode)
    }
    assert named <= got
    page = httpx.get(f"{server}/shapes", headers={"accept": "text/html"})
    assert page.status_code == 200
    node_shapes = {
        str(t[0]) for t in expected if str(t[2]) == "<http://www.w3.org/ns/shacl#NodeShape>"
    }
    assert len(node_shapes) > 10
    assert page.text.count("<h2 ") == len(node_shapes)


# ---- dumps ----------------------------------------------------------------------------------
def public_quads(server: str) -> set[tuple]:
    r = httpx.get(f"{server}/store", headers={"accept": "application/n-quads"}, timeout=60)
    assert r.status_code == 200
    return {
        (q.subject, q.predicate, q.object, q.graph_name)
        for q in ox.parse(r.content, ox.RdfFormat.N_QUADS)
    }


def test_dumps_hold_every_public_quad_and_stream(server):
    expected = public_quads(server)
    assert len(expected) > 5000
    with httpx.stream("GET", f"{server}/dumps/iatp-kg.nq.gz") as r:
        assert r.status_code == 200
        assert "content-length" not in r.headers  # streamed, not buffered
        assert r.headers["content-disposition"] == 'attachment; filename="iatp-kg.nq.gz"'
        body = r.read()
    quads = ox.parse(gzip.decompress(body), ox.RdfFormat.N_QUADS)
    assert {(q.subject, q.predicate, q.object, q.graph_name) for q in quads} == expected
    merged = {q[:3] for q in expected}
    ttl = httpx.get(f"{server}/dumps/iatp-kg.ttl", timeout=60)
    assert ttl.headers["content-type"].startswith("text/turtle")
    assert triples(ttl.content, ox.RdfFormat.TURTLE) == merged
    jsonld = httpx.get(f"{server}/dumps/iatp-kg.jsonld", timeout=60)
    got = {
        (q.subject, q.predicate, q.object, q.graph_name)
        for q in ox.parse(jsonld.content, ox.RdfFormat.JSON_LD)
    }
    assert got == expected


def test_dumps_index_head_and_conditional_get(server):
    index = httpx.get(f"{server}/dumps/").json()
    names = [d["name"] for d in index["dumps"]]
    assert names == ["iatp-kg.nq.gz", "iatp-kg.ttl", "iatp-kg.jsonld"]
    html = httpx.get(f"{server}/dumps/", headers={"accept": "text/html"}).text
    for name in names:
        assert f'href="/dumps/{name}"' in html
    head = httpx.head(f"{server}/dumps/iatp-kg.ttl")
    assert head.status_code == 200 and head.content == b"" and head.headers["etag"]
    cached = httpx.get(
        f"{server}/dumps/iatp-kg.ttl", headers={"if-none-match": head.headers["etag"]}
    )
    assert cached.status_code == 304
    missing = httpx.get(f"{server}/dumps/%2e%2e%2fstore")
    assert missing.status_code == 404
    assert httpx.get(f"{server}/dumps/secrets.nq").json()["error"]["code"] == "not_found"


# ---- catalog and VoID -----------------------------------------------------------------------
def count_public(server: str) -> tuple[int, dict[str, int]]:
    rows = sparql_select(
        server, "SELECT ?g (COUNT(*) AS ?n) WHERE { GRAPH ?g { ?s ?p ?o } } GROUP BY ?g"
    )
    per_graph = {r["g"]["value"]: int(r["n"]["value"]) for r in rows}
    return sum(per_graph.values()), per_graph


def test_catalog_describes_dataset_distributions_services_and_licence(server):
    r = httpx.get(f"{server}/catalog")
    assert r.status_code == 200 and r.headers["content-type"].startswith("text/turtle")
    g = Graph().parse(data=r.text, format="turtle")
    ask = lambda q: g.query(q).askAnswer  # noqa: E731
    assert ask("""PREFIX dcat: <http://www.w3.org/ns/dcat#> PREFIX dcterms: <http://purl.org/dc/terms/>
        ASK { ?c a dcat:Catalog ; dcat:dataset ?d ; dcterms:publisher ?p ; dcterms:title ?t .
              ?d a dcat:Dataset ; dcterms:license ?l ; dcat:distribution ?x .
              ?s a dcat:DataService ; dcat:endpointURL ?e ; dcat:servesDataset ?d }""")
    total, _ = count_public(server)
    triples_stated = [int(o) for o in g.objects(None, VOID.triples)]
    assert total in triples_stated
    # every download URL of a distribution is served here (the persistent base redirects)
    urls = [str(o) for o in g.objects(None, DCAT.downloadURL)]
    assert len(urls) == 3
    for url in urls:
        assert url.startswith(BASE)
        local = httpx.head(server + "/" + url[len(BASE) :])
        assert local.status_code == 200, url
    for media in ("application/ld+json", "application/rdf+xml", "application/n-triples"):
        r = httpx.get(f"{server}/catalog", headers={"accept": media})
        assert r.status_code == 200 and r.headers["content-type"].startswith(media)
        assert len(triples(r.content, FORMATS[media])) == len(g)


def test_void_statistics_match_sparql_counts(server):
    r = httpx.get(f"{server}/.well-known/void", headers={"accept": "application/n-triples"})
    assert r.status_code == 200
    g = Graph().parse(data=r.text, format="nt")
    dataset = URIRef(ID + "dataset/iatp-kg")
    total, per_graph = count_public(server)
    assert int(g.value(dataset, VOID.triples)) == total
    assert str(g.value(dataset, VOID.sparqlEndpoint)) == BASE + "sparql"
    subsets = set(g.objects(dataset, VOID.subset))
    assert {str(s) for s in subsets} == set(per_graph)
    for s in subsets:
        assert int(g.value(s, VOID.triples)) == per_graph[str(s)]
    classes = sparql_select(server, "SELECT (COUNT(DISTINCT ?c) AS ?n) WHERE { ?s a ?c }")
    assert int(g.value(dataset, VOID.classes)) == int(classes[0]["n"]["value"])
    assert not any("private" in str(s) for s in subsets)


def test_pages_embed_schema_org_for_search_engines(server, one_per_kind):
    import json

    iri = sorted(
        r["i"]["value"]
        for r in sparql_select(
            server, "SELECT ?i WHERE { ?i iatp:initiativeKind ?k ; geo:hasGeometry/wgs84:lat ?l }"
        )
    )[0]
    point = sparql_select(
        server,
        f"SELECT ?lat ?lon WHERE {{ <{iri}> geo:hasGeometry [ wgs84:lat ?lat ; wgs84:long ?lon ] }}",
    )[0]
    name = sparql_select(server, f"SELECT ?n WHERE {{ <{iri}> rdfs:label ?n }}")[0]["n"]["value"]
    page = httpx.get(f"{server}/id/{iri[len(ID) :]}", headers={"accept": "text/html"}).text
    block = re.search(
        r'<script type="application/ld\+json" id="schema-org">(.*?)</script>', page, re.S
    )
    doc = json.loads(block.group(1))
    assert doc["@context"] == "https://schema.org" and doc["@type"] == "Project"
    assert doc["@id"] == iri and doc["name"] == name
    assert doc["geo"]["latitude"] == float(point["lat"]["value"])
    assert doc["geo"]["longitude"] == float(point["lon"]["value"])
    country = httpx.get(f"{server}/id/country/co", headers={"accept": "text/html"}).text
    block = re.search(r'id="schema-org">(.*?)</script>', country, re.S)
    doc = json.loads(block.group(1))
    assert doc["@type"] == "Country" and any("geonames" in s for s in doc["sameAs"])
