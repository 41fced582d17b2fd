"""The REST facade under /api/v1 against a real server over the seeded store. Every expected
figure is computed with /sparql (or folded here from what /sparql returns), never typed in."""

from __future__ import annotations

import csv
import io
import json
import unicodedata
from urllib.parse import quote

import httpx
import pyoxigraph as ox
import pytest
from conftest import ADMIN_TOKEN, cases
from geojson_pydantic import Feature, FeatureCollection
from pyld import jsonld as pyld
from reliability import record

from iatp_kg import jsonld

ID = "https://w3id.org/iatp/id/"
CONTEXT_URL = "https://w3id.org/iatp/context.jsonld"
HTTP = httpx.Client(timeout=60)  # one pool of kept-alive connections for the module
RESOURCES = ("initiatives", "actors", "territories", "sectors", "workshops", "projects")
CLASSES = {  # what each list holds, as a SPARQL pattern over ?i
    "initiatives": "?i iatp:initiativeKind ?k0",
    "actors": "VALUES ?c0 { iatp:Organization iatp:Firm iatp:Person } ?i a ?c0",
    "territories": "VALUES ?c0 { iatp:Country iatp:Subdivision iatp:Municipality } ?i a ?c0",
    "sectors": "?i skos:inScheme <https://w3id.org/iatp/id/scheme/isic>",
    "workshops": "VALUES ?c0 { iatp:CommunityEvent iatp:Workshop iatp:CommunityMeeting "
    "iatp:TrainingSession } ?i a ?c0",
    "projects": "?i a iatp:RegionalIntegrationProject",
}


def rows(server: str, query: str) -> list[dict]:
    r = HTTP.post(f"{server}/sparql", data={"query": query}, timeout=60)
    assert r.status_code == 200, r.text
    return r.json()["results"]["bindings"]


def ids(server: str, where: str, resource: str = "initiatives") -> set[str]:
    """The IRIs of a resource that match a SPARQL pattern over ?i."""
    query = f"SELECT DISTINCT ?i WHERE {{ {CLASSES[resource]} . {where} }}"
    return {r["i"]["value"] for r in rows(server, query)}


def listed(server: str, resource: str = "initiatives", **params) -> tuple[list[dict], int]:
    """Every item of a list, following view.next; and the stated total."""
    params.setdefault("limit", "500")
    url, query, items = f"{server}/api/v1/{resource}", dict(params), []
    while True:
        r = HTTP.get(url, params=query, timeout=60)
        assert r.status_code == 200, r.text
        body = r.json()
        total = body["total"]
        assert int(r.headers["x-total-count"]) == total
        items.extend(body["items"])
        if "next" not in body["view"]:
            return items, total
        assert body["view"]["next"] in r.headers["link"]
        url, query = body["view"]["next"], None


def fold(text: str) -> str:
    """Lower case without accents, written here independently of the code under test."""
    decomposed = unicodedata.normalize("NFKD", text)
    return "".join(c for c in decomposed if not unicodedata.combining(c)).casefold()


# ---- filters, each against SPARQL ---------------------------------------------------------------
ISIC = "https://w3id.org/iatp/id/isic/"
FILTER_CASES = [
    ("initiatives", {}, "?i iatp:initiativeKind ?k"),
    ("initiatives", {"kind": "cluster"}, f"?i iatp:initiativeKind <{ID}initiative-kind/cluster>"),
    (
        "initiatives",
        {"kind": "Local-Productive"},
        f"?i iatp:initiativeKind <{ID}initiative-kind/local-productive>",
    ),
    ("initiatives", {"country": "co"}, '?i iatp:country/iatp:iso3166Alpha2 "CO"'),
    ("initiatives", {"country": "MX"}, '?i iatp:country/iatp:iso3166Alpha2 "MX"'),
    (
        "initiatives",
        {"subdivision": "CO-ANT"},
        '?i iatp:locatedIn ?t . { ?t iatp:iso3166_2Code "CO-ANT" } '
        'UNION { ?t geo:sfWithin/iatp:iso3166_2Code "CO-ANT" }',
    ),
    ("initiatives", {"sector": "C"}, f"?i iatp:sector/skos:broader* <{ISIC}C>"),
    ("initiatives", {"sector": "62"}, f"?i iatp:sector/skos:broader* <{ISIC}62>"),
    (
        "initiatives",
        {"actor_sector": "public"},
        "?m org:organization ?i ; org:member/iatp:actorSector <" + ID + "actor-sector/public>",
    ),
    (
        "initiatives",
        {"founded_from": "2005", "founded_to": "2015"},
        "?i iatp:foundingYear ?y FILTER(YEAR(?y) >= 2005 && YEAR(?y) <= 2015)",
    ),
    ("initiatives", {"founded_to": "2000"}, "?i iatp:foundingYear ?y FILTER(YEAR(?y) <= 2000)"),
    (
        "initiatives",
        {"bbox": "-80,-5,-66,13"},
        "?i geo:hasGeometry [ wgs84:lat ?lat ; wgs84:long ?lon ] "
        "FILTER(?lon >= -80 && ?lon <= -66 && ?lat >= -5 && ?lat <= 13)",
    ),
    (
        "initiatives",
        {"country": "CO", "kind": "cluster", "sector": "C"},
        '?i iatp:country/iatp:iso3166Alpha2 "CO" ; iatp:initiativeKind <'
        + ID
        + "initiative-kind/cluster> ; iatp:sector/skos:broader* <"
        + ISIC
        + "C>",
    ),
    ("actors", {}, "?i rdfs:label ?n"),
    ("actors", {"country": "CO"}, '?i iatp:country/iatp:iso3166Alpha2 "CO"'),
    ("actors", {"actor_sector": "public"}, f"?i iatp:actorSector <{ID}actor-sector/public>"),
    ("territories", {}, "?i rdfs:label ?n"),
    (
        "territories",
        {"country": "AR"},
        '{ ?i iatp:iso3166Alpha2 "AR" } UNION { ?i geo:sfWithin/iatp:iso3166Alpha2 "AR" }',
    ),
    (
        "territories",
        {"bbox": "-80,-5,-66,13"},
        "?i geo:hasGeometry [ wgs84:lat ?lat ; wgs84:long ?lon ] "
        "FILTER(?lon >= -80 && ?lon <= -66 && ?lat >= -5 && ?lat <= 13)",
    ),
    ("sectors", {}, "?i skos:notation ?n"),
    ("sectors", {"sector": "C"}, f"?i skos:broader* <{ISIC}C>"),
    ("workshops", {}, "?i rdfs:label ?n"),
    ("projects", {}, "?i rdfs:label ?n"),
]


@pytest.mark.parametrize(
    "resource, params, where",
    cases(
        FILTER_CASES,
        [f"{r}-{'&'.join(f'{k}={v}' for k, v in p.items()) or 'all'}" for r, p, _ in FILTER_CASES],
        {
            "initiatives-country=CO&kind=cluster&sector=C": (
                "with a protocol dataset, a skos:broader* path joined to another pattern finds "
                "no row (0 here; 10 without the dataset): this test's own SPARQL is answered wrong"
            )
        },
        spread=True,
    ),
)
def test_filters_agree_with_sparql(server, resource, params, where):
    expected = ids(server, where, resource)
    items, total = listed(server, resource, **params)
    got = [i["id"] for i in items]
    assert len(got) == len(set(got)) == total
    assert set(got) == expected
    assert total > 0  # each case selects something, so it can tell a wrong filter


def test_projects_filter_by_each_country_they_span(server):
    spans = rows(
        server, "SELECT ?i ?c WHERE { ?i a iatp:RegionalIntegrationProject ; "
        "iatp:spansCountry/iatp:iso3166Alpha2 ?c }",
    )  # fmt: skip
    assert spans
    for code in {r["c"]["value"] for r in spans}:
        expected = {r["i"]["value"] for r in spans if r["c"]["value"] == code}
        items, _ = listed(server, "projects", country=code.lower())
        assert {i["id"] for i in items} == expected, code


def names_by_iri(server: str, resource: str) -> dict[str, list[str]]:
    label = (
        "skos:prefLabel" if resource == "sectors" else "rdfs:label|skos:altLabel|skos:hiddenLabel"
    )
    found: dict[str, list[str]] = {}
    for r in rows(server, f"SELECT ?i ?n WHERE {{ {CLASSES[resource]} . ?i {label} ?n }}"):
        found.setdefault(r["i"]["value"], []).append(r["n"]["value"])
    return found


def test_free_text_ignores_case_and_accents(server):
    named = rows(
        server,
        "SELECT ?i ?n WHERE { ?i iatp:initiativeKind ?k ; rdfs:label ?n "
        'FILTER(CONTAINS(LCASE(?n), "automotriz")) }',
    )
    accented = {r["i"]["value"] for r in named if "Clúster" in r["n"]["value"]}
    assert accented, "the seed data names a Clúster Automotriz"
    for text in ("cluster automotriz", "CLUSTER AUTOMOTRIZ", "clúster automotriz",
                 "  cluster   automotriz ", "CLÚSTER automotriz"):  # fmt: skip
        items, _ = listed(server, q=text)
        got = {i["id"] for i in items}
        assert accented <= got, text
        assert got <= {r["i"]["value"] for r in named}


@pytest.mark.parametrize("resource", RESOURCES)
def test_free_text_finds_exactly_the_names_that_contain_it(server, resource):
    """For words taken from the names themselves (accented ones first), the list holds
    exactly the items one of whose names contains the word once folded."""
    names = names_by_iri(server, resource)
    words = sorted(
        {w for ns in names.values() for n in ns for w in n.split() if len(w) > 3},
        key=lambda w: (fold(w) == w.lower(), w),
    )
    assert words
    for word in words[:2] + words[-1:]:
        expected = {i for i, ns in names.items() if any(fold(word) in fold(n) for n in ns)}
        items, total = listed(server, resource, q=word.upper())
        assert {i["id"] for i in items} == expected and total == len(expected), word


# ---- sorting and pages --------------------------------------------------------------------------
def test_pages_walk_without_gaps_or_repeats_in_every_sort(server):
    everything = ids(server, "?i iatp:initiativeKind ?k")
    years = {
        r["i"]["value"]: int(r["y"]["value"][:4])
        for r in rows(server, "SELECT ?i ?y WHERE { ?i iatp:foundingYear ?y }")
    }
    for sort in ("name", "-name", "founded", "-founded"):
        items, total = listed(server, limit="7", sort=sort)
        got = [i["id"] for i in items]
        assert len(got) == total == len(everything) and set(got) == everything, sort
        if sort.endswith("founded"):
            sequence = [years.get(i, -1) for i in got]
            assert sequence == sorted(sequence, reverse=sort.startswith("-")), sort
            assert [i.get("foundingYear") for i in items] == [
                f"{years[i]:04d}" if i in years else None for i in got
            ]
        else:
            keys = [fold(next(iter(i["name"].values()))) for i in items]
            assert keys == sorted(keys, reverse=sort.startswith("-")), sort


def test_every_list_pages_to_its_total_in_small_pages(server):
    for resource in RESOURCES:
        items, total = listed(server, resource, limit="3", sort="-name")
        got = [i["id"] for i in items]
        assert len(got) == len(set(got)) == total == len(ids(server, "", resource)), resource


def test_link_headers_and_forged_cursors(server):
    r = HTTP.get(f"{server}/api/v1/initiatives", params={"limit": "5", "country": "CO"})
    links = r.headers["link"]
    assert 'rel="first"' in links and 'rel="next"' in links
    view = r.json()["view"]
    assert view["type"] == "PartialCollectionView" and f"<{view['first']}>" in links
    token = httpx.URL(view["next"]).params["cursor"]
    forged = HTTP.get(
        f"{server}/api/v1/initiatives",
        params={"limit": "5", "country": "CO", "cursor": token[:-3] + "abc"},
    )
    assert forged.status_code == 400 and forged.json()["error"]["message"].startswith("cursor:")
    other = HTTP.get(
        f"{server}/api/v1/initiatives", params={"limit": "5", "country": "MX", "cursor": token}
    )
    assert other.status_code == 400 and "other filters" in other.json()["error"]["message"]
    made_up = HTTP.get(f"{server}/api/v1/initiatives", params={"cursor": "eyJxIjoiYSJ9.AAAA"})
    assert made_up.status_code == 400
    last = HTTP.get(f"{server}/api/v1/initiatives", params={"limit": "500"})
    assert 'rel="next"' not in last.headers["link"] and "next" not in last.json()["view"]


def test_etag_gives_304_and_json_is_the_json_ld_document(server):
    url = f"{server}/api/v1/initiatives"
    first = HTTP.get(url, params={"country": "CO"})
    etag = first.headers["etag"]
    again = HTTP.get(url, params={"country": "CO"}, headers={"if-none-match": etag})
    assert again.status_code == 304 and again.headers["etag"] == etag and not again.content
    csv_tag = HTTP.get(url, params={"country": "CO"}, headers={"accept": "text/csv"})
    assert csv_tag.headers["etag"] != etag  # per representation
    as_json = HTTP.get(url, params={"country": "CO"}, headers={"accept": "application/json"})
    assert as_json.headers["content-type"] == "application/json"
    assert as_json.json() == first.json()
    assert first.headers["content-type"] == "application/ld+json"
    slug = first.json()["items"][0]["api"]
    detail = HTTP.get(server + slug)
    assert (
        HTTP.get(server + slug, headers={"if-none-match": detail.headers["etag"]}).status_code
        == 304
    )


# ---- bad input ----------------------------------------------------------------------------------
@pytest.mark.parametrize(
    "params, names",
    [
        ({"country": "Colombia"}, "country"),
        ({"kind": "clusters"}, "kind"),
        ({"sector": "ZZ"}, "sector"),
        ({"subdivision": "Antioquia"}, "subdivision"),
        ({"bbox": "1,2,3"}, "bbox"),
        ({"bbox": "-200,0,0,0"}, "bbox"),
        ({"bbox": "0,10,1,5"}, "bbox"),
        ({"bbox": "nan,0,1,1"}, "bbox"),
        ({"founded_from": "2020", "founded_to": "2000"}, "founded_from"),
        ({"founded_from": "twenty"}, "founded_from"),
        ({"founded_to": "-5"}, "founded_to"),
        ({"limit": "0"}, "limit"),
        ({"limit": "501"}, "limit"),
        ({"limit": "1e3"}, "limit"),
        ({"sort": "random"}, "sort"),
        ({"sort": "date"}, "sort"),
        ({"q": ""}, "q"),
        ({"q": "   "}, "q"),
        ({"q": "x" * 300}, "q"),
        ({"format": "xlsx"}, "format"),
        ({"lang": "fr"}, "lang"),
        ({"colour": "red"}, "colour"),
        ({"actor_sector": "military"}, "actor_sector"),
        ({"cursor": "not-a-cursor"}, "cursor"),
    ],
)
def test_bad_parameters_are_400_naming_them(server, params, names):
    r = HTTP.get(f"{server}/api/v1/initiatives", params=params)
    assert r.status_code == 400, r.text
    error = r.json()["error"]
    assert set(error) == {"code", "message", "request_id"} and error["code"] == "bad_request"
    assert names in error["message"]


def test_parameters_a_list_does_not_take_are_400(server):
    for resource, name, value in [("actors", "kind", "cluster"), ("sectors", "country", "CO"),
                                  ("workshops", "bbox", "0,0,1,1"), ("projects", "sort", "founded")]:  # fmt: skip
        r = HTTP.get(f"{server}/api/v1/{resource}", params={name: value})
        assert r.status_code == 400 and name in r.json()["error"]["message"], (resource, name)
    r = HTTP.get(f"{server}/api/v1/initiatives/cluster-moda", params={"country": "CO"})
    assert r.status_code == 400 and "country" in r.json()["error"]["message"]


def test_repeated_parameter_unknown_slug_and_406(server):
    r = HTTP.get(f"{server}/api/v1/initiatives?country=CO&country=MX")
    assert r.status_code == 400 and "country" in r.json()["error"]["message"]
    for resource in RESOURCES:
        slug = "9999" if resource == "sectors" else "no-such-thing-here"
        for suffix in ("", ".csv", ".jsonld"):
            missing = HTTP.get(f"{server}/api/v1/{resource}/{slug}{suffix}")
            assert missing.status_code == 404, (resource, suffix)
            assert missing.json()["error"]["code"] == "not_found"
            assert missing.headers["content-type"] == "application/json"
    assert HTTP.get(f"{server}/api/v1/initiatives/..%2F..%2Fstore").status_code in (400, 404)
    assert HTTP.get(f"{server}/api/v1/initiatives/Cluster-Moda").status_code == 400
    for accept in ("image/png", "application/geo+json;q=0, application/ld+json;q=0, text/csv;q=0"):
        r = HTTP.get(f"{server}/api/v1/initiatives", headers={"accept": accept})
        assert r.status_code == 406 and r.json()["error"]["code"] == "not_acceptable"
    assert (
        HTTP.get(f"{server}/api/v1/actors", headers={"accept": "application/geo+json"}).status_code
        == 406
    )
    assert HTTP.get(f"{server}/api/v1/initiatives.xlsx").status_code == 404
    assert HTTP.get(f"{server}/api/v1/actors.geojson").status_code == 404


# ---- every resource, list and detail ------------------------------------------------------------
def test_every_resource_lists_and_details(server):
    for resource in RESOURCES:
        items, total = listed(server, resource, limit="3")
        assert total > 0 and len(items) == total, resource
        first = items[0]
        detail = HTTP.get(server + first["api"])
        assert detail.status_code == 200, (resource, detail.text)
        assert detail.json()["id"] == first["id"]
        page = HTTP.get(server + first["page"], headers={"accept": "text/html"})
        assert page.status_code == 200
    countries, _ = listed(server, "territories", country="CO")
    assert any(c["id"] == ID + "country/co" for c in countries)
    assert all(c.get("notation", "CO")[:2] == "CO" for c in countries)


def test_a_detail_as_csv_and_geojson_equals_its_row_in_the_list(server):
    """Lists read the index, details read the one resource with its IRI bound: both ways
    must say the same, for every item (every tenth territory)."""
    for resource in RESOURCES:
        r = HTTP.get(f"{server}/api/v1/{resource}.csv", params={"limit": "500", "lang": "es"})
        table = list(csv.DictReader(io.StringIO(r.text)))
        assert len(table) == min(500, int(r.headers["x-total-count"]))
        step = 10 if resource == "territories" else 1
        for row in table[::step]:
            one = HTTP.get(f"{server}/api/v1/{resource}/{row['slug']}.csv", params={"lang": "es"})
            assert one.status_code == 200, one.text
            (detail_row,) = csv.DictReader(io.StringIO(one.text))
            assert detail_row == row, resource
    features = {
        f["id"]: f
        for f in HTTP.get(f"{server}/api/v1/initiatives.geojson?limit=500").json()["features"]
    }
    for iri, feature in features.items():
        one = HTTP.get(f"{server}/api/v1/initiatives/{iri.rsplit('/', 1)[-1]}.geojson").json()
        assert one == feature


def test_context_is_served_locally(server):
    r = HTTP.get(f"{server}/context.jsonld")
    assert r.status_code == 200 and r.headers["content-type"].startswith("application/ld+json")
    assert r.json() == json.loads(jsonld.context_bytes())
    assert HTTP.get(f"{server}/api/v1/sectors").json()["@context"] == CONTEXT_URL


def test_a_list_expands_to_hydra(server):
    doc = HTTP.get(f"{server}/api/v1/initiatives", params={"limit": "2"}).json()
    loader = jsonld.local_loader(CONTEXT_URL)
    (expanded,) = pyld.expand(doc, {"documentLoader": loader})
    hydra = "http://www.w3.org/ns/hydra/core#"
    assert expanded["@type"] == [hydra + "Collection"]
    assert expanded[hydra + "totalItems"][0]["@value"] == doc["total"]
    assert len(expanded[hydra + "member"]) == 2
    assert expanded[hydra + "view"][0][hydra + "next"][0]["@id"] == doc["view"]["next"]


# ---- Must show: the JSON-LD is the graph --------------------------------------------------------
def store_triples(server: str, subjects: set[str]) -> set[tuple]:
    values = " ".join(f"<{s}>" for s in subjects)
    r = HTTP.post(
        f"{server}/sparql",
        data={"query": f"CONSTRUCT {{ ?s ?p ?o }} WHERE {{ VALUES ?s {{ {values} }} ?s ?p ?o }}"},
        headers={"accept": "application/n-triples"},
        timeout=60,
    )
    assert r.status_code == 200
    return {(t.subject, t.predicate, t.object) for t in ox.parse(r.content, ox.RdfFormat.N_TRIPLES)}


def check_document_is_in_the_graph(server: str, resource: str, iri: str) -> dict:
    """GET the detail as JSON-LD and as JSON (the same document), expand it with pyld (local
    context only) and check that every triple is in the store, and that every triple of the
    resource itself is in the document."""
    url = f"{server}/api/v1/{resource}/{iri.rsplit('/', 1)[-1]}"
    as_ld = HTTP.get(url, headers={"accept": "application/ld+json"})
    as_json = HTTP.get(url, headers={"accept": "application/json"})
    assert as_ld.status_code == as_json.status_code == 200, as_ld.text
    assert as_ld.headers["content-type"] == "application/ld+json"
    doc = as_ld.json()
    assert as_json.json() == doc
    assert doc["@context"] == CONTEXT_URL and doc["id"] == iri
    loader = jsonld.local_loader(CONTEXT_URL)
    nquads = pyld.to_rdf(doc, {"format": "application/n-quads", "documentLoader": loader})
    got = {(q.subject, q.predicate, q.object) for q in ox.parse(nquads, ox.RdfFormat.N_QUADS)}
    assert not any(isinstance(t[0], ox.BlankNode) for t in got)  # no node lost its IRI
    in_store = store_triples(server, {t[0].value for t in got})
    assert got <= in_store, (iri, got - in_store)
    own = {t for t in in_store if t[0].value == iri}
    assert own <= got, (iri, own - got)  # nothing of the resource itself is left out
    return doc


def test_every_initiatives_json_ld_is_in_the_graph(server):
    initiatives = sorted(ids(server, ""))
    assert len(initiatives) >= 50
    for iri in initiatives:
        doc = check_document_is_in_the_graph(server, "initiatives", iri)
        # it nests its territory, sectors and memberships with their actors
        countries = rows(server, f"SELECT ?c WHERE {{ <{iri}> iatp:country ?c }}")
        assert {c["id"] for c in doc["country"]} == {c["c"]["value"] for c in countries}
        assert all("name" in c for c in doc["country"])
        sectors = rows(server, f"SELECT ?c WHERE {{ <{iri}> iatp:sector ?c }}")
        assert {s["id"] for s in doc.get("sector", [])} == {s["c"]["value"] for s in sectors}
        assert all("label" in s and "notation" in s for s in doc.get("sector", []))
        members = rows(server, f"SELECT ?m WHERE {{ ?m org:organization <{iri}> }}")
        nested = doc.get("memberships", [])
        assert {m["id"] for m in nested} == {m["m"]["value"] for m in members}
        assert all("name" in m["member"] and m["role"] for m in nested)


@pytest.mark.parametrize("resource", [r for r in RESOURCES if r != "initiatives"])
def test_other_resources_json_ld_is_in_the_graph(server, resource):
    every = sorted(ids(server, "", resource))
    for iri in every[:: max(1, len(every) // 15)]:
        check_document_is_in_the_graph(server, resource, iri)


# ---- Must show: GeoJSON is valid ----------------------------------------------------------------
def test_geojson_is_valid_with_one_feature_per_georeferenced_initiative(server):
    located = ids(server, "?i geo:hasGeometry/wgs84:lat ?lat")
    assert located and located != ids(server, "")  # some initiatives have no point
    points = {
        r["i"]["value"]: [float(r["lon"]["value"]), float(r["lat"]["value"])]
        for r in rows(
            server,
            "SELECT ?i ?lat ?lon WHERE { ?i iatp:initiativeKind ?k ; "
            "geo:hasGeometry [ wgs84:lat ?lat ; wgs84:long ?lon ] }",
        )
    }
    for url, headers in (
        (f"{server}/api/v1/initiatives.geojson?limit=500", {}),
        (f"{server}/api/v1/initiatives?limit=500", {"accept": "application/geo+json"}),
        (f"{server}/api/v1/initiatives?limit=500&format=geojson", {}),
    ):
        r = HTTP.get(url, headers=headers)
        assert r.status_code == 200 and r.headers["content-type"] == "application/geo+json"
        body = r.json()
        FeatureCollection.model_validate(body)
        features = body["features"]
        assert len(features) == len(located) == body["totalItems"]
        assert {f["id"] for f in features} == located
        for f in features:
            assert f["geometry"]["type"] == "Point"
            lon, lat = f["geometry"]["coordinates"]
            assert -180 <= lon <= 180 and -90 <= lat <= 90  # RFC 7946: [longitude, latitude]
            assert [lon, lat] == points[f["id"]]
            assert set(f["properties"]) >= {"id", "name", "kind", "country", "url"}
            assert f["properties"]["url"] == "/id/" + f["id"][len(ID) :]
    # paged: the pages together are the collection
    walked, url = [], f"{server}/api/v1/initiatives.geojson?limit=4"
    while url:
        body = HTTP.get(url).json()
        walked += [f["id"] for f in body["features"]]
        url = body.get("next")
    assert sorted(walked) == sorted(located)
    one = sorted(located)[0]
    feature = HTTP.get(f"{server}/api/v1/initiatives/{one.rsplit('/', 1)[-1]}.geojson").json()
    Feature.model_validate(feature)
    assert feature["geometry"]["coordinates"] == points[one]
    unlocated = sorted(ids(server, "") - located)[0]
    empty = HTTP.get(f"{server}/api/v1/initiatives/{unlocated.rsplit('/', 1)[-1]}.geojson")
    Feature.model_validate(empty.json())
    assert empty.json()["geometry"] is None
    territories = HTTP.get(f"{server}/api/v1/territories.geojson?limit=500").json()
    FeatureCollection.model_validate(territories)
    assert territories["totalItems"] == len(
        ids(server, "?i geo:hasGeometry/wgs84:lat ?lat", "territories")
    )


def test_csv_is_a_flat_table(server):
    r = HTTP.get(
        f"{server}/api/v1/initiatives", params={"limit": "500"}, headers={"accept": "text/csv"}
    )
    assert r.status_code == 200 and r.headers["content-type"].startswith("text/csv")
    table = list(csv.DictReader(io.StringIO(r.text)))
    assert {row["id"] for row in table} == ids(server, "")
    co = [row for row in table if "CO" in row["country"].split(" | ")]
    assert len(co) == len(ids(server, '?i iatp:country/iatp:iso3166Alpha2 "CO"'))
    sectors = rows(server, "SELECT ?i ?n WHERE { ?i iatp:sector/skos:notation ?n }")
    for row in table:
        own = {s["n"]["value"] for s in sectors if s["i"]["value"] == row["id"]}
        assert own <= set(row["sectors"].split(" | ")) if own else row["sectors"] == ""


# ---- a write: the index follows the store --------------------------------------------------------
NEW = """
@prefix iatp: <https://w3id.org/iatp/ontology#> . @base <https://w3id.org/iatp/id/> .
@prefix org: <http://www.w3.org/ns/org#> . @prefix rdfs: <http://www.w3.org/2000/01/rdf-schema#> .
@prefix time: <http://www.w3.org/2006/time#> . @prefix xsd: <http://www.w3.org/2001/XMLSchema#> .
@prefix dcterms: <http://purl.org/dc/terms/> .
<initiative/aaa-api-test> a iatp:ClusterInitiative ; rdfs:label "Aaa Clúster de Prueba"@es ;
  iatp:initiativeKind <initiative-kind/cluster> ; iatp:country <country/uy> ;
  iatp:sector <isic/10> ; iatp:foundingYear "1999"^^xsd:gYear ;
  dcterms:source <https://example.org/api-test> .
<organization/aaa-api-test-org> a iatp:Organization ; rdfs:label "Aaa Universidad"@es ;
  iatp:actorSector <actor-sector/academic> .
<membership/aaa-api-test> a org:Membership ; org:organization <initiative/aaa-api-test> ;
  org:member <organization/aaa-api-test-org> ; org:role <role/member> ;
  org:memberDuring <membership/aaa-api-test#period> ;
  dcterms:source <https://example.org/api-test> .
<membership/aaa-api-test#period> a time:Interval ;
  time:hasBeginning <membership/aaa-api-test#start> .
<membership/aaa-api-test#start> a time:Instant ;
  time:inXSDDate "2001-02-03"^^xsd:date .
"""


def test_a_write_shows_in_lists_and_details_and_cursors_survive_it(admin_server):
    base, iri = admin_server, ID + "initiative/aaa-api-test"
    graph = {"graph": ID + "graph/api-test"}
    auth = {"Authorization": f"Bearer {ADMIN_TOKEN}"}
    before, total = listed(base, limit="5", sort="name")
    assert fold("Aaa Clúster de Prueba") < fold(next(iter(before[0]["name"].values())))
    page = HTTP.get(f"{base}/api/v1/initiatives", params={"limit": "5"}).json()
    assert HTTP.get(f"{base}/api/v1/initiatives/aaa-api-test").status_code == 404
    r = HTTP.put(f"{base}/store", params=graph, content=NEW.encode(),
                  headers={**auth, "Content-Type": "text/turtle"})  # fmt: skip
    assert r.status_code in (201, 204), r.text
    try:
        # the cursor made before the write goes on after the last key it saw: nothing repeats
        rest, _ = listed(base, limit="500", cursor=httpx.URL(page["view"]["next"]).params["cursor"])
        seen = [i["id"] for i in page["items"]] + [i["id"] for i in rest]
        assert len(seen) == len(set(seen)) == total  # the new one sorts before the cursor
        after, new_total = listed(base, limit="5", sort="name")
        assert new_total == total + 1 and after[0]["id"] == iri
        for params in ({"q": "aaa clúster"}, {"country": "UY", "sector": "C"},
                       {"actor_sector": "academic", "founded_to": "1999"}):  # fmt: skip
            assert iri in {i["id"] for i in listed(base, **params)[0]}, params
        doc = check_document_is_in_the_graph(base, "initiatives", iri)
        (membership,) = doc["memberships"]
        assert membership["memberDuring"]["hasBeginning"]["date"] == "2001-02-03"
        assert membership["member"]["name"] == {"es": "Aaa Universidad"}
        actor = check_document_is_in_the_graph(base, "actors", ID + "organization/aaa-api-test-org")
        assert [m["id"] for m in actor["memberOf"]] == [membership["id"]]
    finally:
        assert HTTP.delete(f"{base}/store", params=graph, headers=auth).status_code == 204
    assert listed(base, limit="5")[1] == total
    assert HTTP.get(f"{base}/api/v1/initiatives/aaa-api-test").status_code == 404


# ---- No injection -------------------------------------------------------------------------------
PAYLOADS = [
    '"', "'", "}", "> } ; DROP ALL #", '" } UNION { ?s ?p ?o } #', "\\", "\\u0022", "\\u003e",
    "<script>alert(1)</script>", "%00", "\u0000", "x" * 5000, "' OR 1=1 --", "${jndi:ldap://x}",
    "../../store", "*", "?s", "<https://w3id.org/iatp/id/graph/private/x>", "\U0001f600",
    "\ufeff", "CO\u0301", "C&country=MX", "1,1,1,1 } UNION { ?s ?p ?o }",
]  # fmt: skip
PARAMETERS = [
    "kind", "country", "subdivision", "sector", "actor_sector", "q", "bbox", "founded_from",
    "founded_to", "sort", "limit", "cursor", "format", "lang",
]  # fmt: skip


def test_injection_payloads_in_every_parameter_of_every_route(server):
    totals = {r: len(ids(server, "", r)) for r in RESOURCES}
    slugs = {r: listed(server, r, limit="1")[0][0]["api"].rsplit("/", 1)[-1] for r in RESOURCES}
    for resource in RESOURCES:
        routes = [f"/api/v1/{resource}", f"/api/v1/{resource}.csv"]
        if resource in ("initiatives", "territories"):
            routes.append(f"/api/v1/{resource}.geojson")
        for route in routes:
            for name in PARAMETERS:
                statuses = []
                for payload in PAYLOADS:
                    r = HTTP.get(server + route, params={name: payload})
                    assert r.status_code < 500, (route, name, payload, r.text)
                    statuses.append(r.status_code)
                    if r.status_code == 200:
                        assert int(r.headers["x-total-count"]) <= totals[resource]
                    else:
                        assert set(r.json()["error"]) == {"code", "message", "request_id"}
                    assert "graph/private" not in r.text or r.status_code == 400
                record(
                    "bad input (HTTP, REST parameters)",
                    f"{len(PAYLOADS)} injection payloads in `{name}`",
                    entry=f"GET {route}",
                    outcome=", ".join(f"{s}×{statuses.count(s)}" for s in sorted(set(statuses))),
                    unchanged=True,  # reads only; no 5xx, no total above the unfiltered one
                )
        detail = f"/api/v1/{resource}/{slugs[resource]}"
        for name in ("format", "lang", "q"):
            for payload in PAYLOADS:
                r = HTTP.get(server + detail, params={name: payload})
                assert r.status_code in (200, 400), (detail, name, payload, r.text)
        for payload in PAYLOADS:
            r = HTTP.get(f"{server}/api/v1/{resource}/{quote('x' + payload, safe='')}")
            assert r.status_code in (400, 404), (resource, payload)
            r = HTTP.get(f"{server}/api/v1/{resource}.{quote(payload[:50], safe='')}")
            assert r.status_code in (400, 404), (resource, payload)
