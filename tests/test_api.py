"""The REST facade under /api/v1 against a real server over the seeded store. Every expected
figure is computed with /sparql, never typed in."""

from __future__ import annotations

import csv
import io
import json
from urllib.parse import quote

import httpx
import pyoxigraph as ox
import pytest
from geojson_pydantic import Feature, FeatureCollection
from pyld import jsonld as pyld
from reliability import record

from iatp_kg import jsonld

ID = "https://w3id.org/iatp/id/"
CONTEXT_URL = "https://w3id.org/iatp/context.jsonld"


def rows(server: str, query: str) -> list[dict]:
    r = httpx.post(f"{server}/sparql", data={"query": query}, timeout=60)
    assert r.status_code == 200, r.text
    return r.json()["results"]["bindings"]


def ids(server: str, where: str) -> set[str]:
    """The initiatives matching a SPARQL pattern over ?i."""
    return {
        r["i"]["value"]
        for r in rows(server, f"SELECT DISTINCT ?i WHERE {{ ?i iatp:initiativeKind ?k . {where} }}")
    }


def listed(server: str, resource: str = "initiatives", **params) -> tuple[list[dict], int]:
    """Every item of a list, following the cursor; and the stated total."""
    params.setdefault("limit", "500")
    url, items, total = f"{server}/api/v1/{resource}", [], None
    query = dict(params)
    while True:
        r = httpx.get(url, params=query, timeout=60)
        assert r.status_code == 200, r.text
        body = r.json()
        total = body["total"]
        assert int(r.headers["x-total-count"]) == total
        items.extend(body["items"])
        if "next" not in body:
            return items, total
        url, query = server + body["next"], None


ALL = "?i iatp:initiativeKind ?k2"


@pytest.mark.parametrize(
    "params, where",
    [
        ({}, ALL),
        (
            {"kind": "cluster"},
            "?i iatp:initiativeKind <https://w3id.org/iatp/id/initiative-kind/cluster>",
        ),
        (
            {"kind": "Local-Productive"},
            "?i iatp:initiativeKind <https://w3id.org/iatp/id/initiative-kind/local-productive>",
        ),
        ({"country": "co"}, '?i iatp:country/iatp:iso3166Alpha2 "CO"'),
        ({"country": "MX"}, '?i iatp:country/iatp:iso3166Alpha2 "MX"'),
        (
            {"subdivision": "CO-ANT"},
            '?i iatp:locatedIn ?t . { ?t iatp:iso3166_2Code "CO-ANT" } UNION { ?t geo:sfWithin/iatp:iso3166_2Code "CO-ANT" }',
        ),
        ({"sector": "C"}, "?i iatp:sector/skos:broader* <https://w3id.org/iatp/id/isic/C>"),
        ({"sector": "62"}, "?i iatp:sector/skos:broader* <https://w3id.org/iatp/id/isic/62>"),
        (
            {"actor_sector": "public"},
            "?m org:organization ?i ; org:member/iatp:actorSector <https://w3id.org/iatp/id/actor-sector/public>",
        ),
        (
            {"founded_from": "2005", "founded_to": "2015"},
            "?i iatp:foundingYear ?y FILTER(YEAR(?y) >= 2005 && YEAR(?y) <= 2015)",
        ),
        (
            {"bbox": "-80,-5,-66,13"},
            "?i geo:hasGeometry [ wgs84:lat ?lat ; wgs84:long ?lon ] FILTER(?lon >= -80 && ?lon <= -66 && ?lat >= -5 && ?lat <= 13)",
        ),
        (
            {"country": "CO", "kind": "cluster", "sector": "C"},
            '?i iatp:country/iatp:iso3166Alpha2 "CO" ; iatp:initiativeKind <https://w3id.org/iatp/id/initiative-kind/cluster> ; iatp:sector/skos:broader* <https://w3id.org/iatp/id/isic/C>',
        ),
    ],
)
def test_filters_agree_with_sparql(server, params, where):
    expected = ids(server, where)
    items, total = listed(server, **params)
    got = [i["id"] for i in items]
    assert len(got) == len(set(got)) == total
    assert set(got) == expected
    assert total > 0  # each case selects something, so it can tell a wrong filter


def test_free_text_ignores_case_and_accents(server):
    named = rows(
        server,
        'SELECT ?i ?n WHERE { ?i iatp:initiativeKind ?k ; rdfs:label ?n FILTER(CONTAINS(LCASE(?n), "automotriz")) }',
    )
    accented = {r["i"]["value"] for r in named if "Clúster" in r["n"]["value"]}
    assert accented, "the seed data names a Clúster Automotriz"
    for text in (
        "cluster automotriz",
        "CLUSTER AUTOMOTRIZ",
        "clúster automotriz",
        "  cluster   automotriz ",
    ):
        items, _ = listed(server, q=text)
        got = {i["id"] for i in items}
        assert accented <= got, text
        assert got <= {r["i"]["value"] for r in named}


def test_pages_walk_without_gaps_or_repeats_in_every_sort(server):
    everything = ids(server, ALL)
    for sort in ("name", "-name", "founded", "-founded"):
        items, total = listed(server, limit="7", sort=sort)
        got = [i["id"] for i in items]
        assert len(got) == total == len(everything) and set(got) == everything, sort
    names = [next(iter(i["name"].values())) for i in listed(server, limit="9", sort="name")[0]]
    folded = [jsonld_fold(n) for n in names]
    assert folded == sorted(folded)


def jsonld_fold(text: str) -> str:
    from iatp_kg.api_params import fold

    return fold(text)


def test_link_headers_and_forged_cursors(server):
    r = httpx.get(f"{server}/api/v1/initiatives", params={"limit": "5", "country": "CO"})
    links = r.headers["link"]
    assert 'rel="first"' in links and 'rel="next"' in links
    next_url = r.json()["next"]
    token = next_url.split("cursor=")[1]
    forged = httpx.get(
        f"{server}/api/v1/initiatives",
        params={"limit": "5", "country": "CO", "cursor": token[:-3] + "abc"},
    )
    assert forged.status_code == 400 and forged.json()["error"]["message"].startswith("cursor:")
    other = httpx.get(
        f"{server}/api/v1/initiatives", params={"limit": "5", "country": "MX", "cursor": token}
    )
    assert other.status_code == 400 and "other filters" in other.json()["error"]["message"]


@pytest.mark.parametrize(
    "params, names",
    [
        ({"country": "Colombia"}, "country"),
        ({"kind": "clusters"}, "kind"),
        ({"sector": "ZZ"}, "sector"),
        ({"subdivision": "Antioquia"}, "subdivision"),
        ({"bbox": "1,2,3"}, "bbox"),
        ({"bbox": "-200,0,0,0"}, "bbox"),
        ({"founded_from": "2020", "founded_to": "2000"}, "founded_from"),
        ({"founded_from": "twenty"}, "founded_from"),
        ({"limit": "0"}, "limit"),
        ({"limit": "501"}, "limit"),
        ({"sort": "random"}, "sort"),
        ({"q": ""}, "q"),
        ({"q": "x" * 300}, "q"),
        ({"format": "xlsx"}, "format"),
        ({"colour": "red"}, "colour"),
        ({"actor_sector": "military"}, "actor_sector"),
    ],
)
def test_bad_parameters_are_400_naming_them(server, params, names):
    r = httpx.get(f"{server}/api/v1/initiatives", params=params)
    assert r.status_code == 400, r.text
    error = r.json()["error"]
    assert set(error) >= {"code", "message", "request_id"}
    assert names in error["message"]


def test_repeated_parameter_unknown_resource_and_406(server):
    r = httpx.get(f"{server}/api/v1/initiatives?country=CO&country=MX")
    assert r.status_code == 400 and "country" in r.json()["error"]["message"]
    missing = httpx.get(f"{server}/api/v1/initiatives/no-such-initiative")
    assert missing.status_code == 404 and missing.json()["error"]["code"] == "not_found"
    assert httpx.get(f"{server}/api/v1/initiatives/..%2F..%2Fstore").status_code in (400, 404)
    assert (
        httpx.get(f"{server}/api/v1/initiatives", headers={"accept": "image/png"}).status_code
        == 406
    )
    assert httpx.get(f"{server}/api/v1/initiatives.xlsx").status_code == 404


def test_every_resource_lists_and_details(server):
    for resource in ("initiatives", "actors", "territories", "sectors", "workshops", "projects"):
        items, total = listed(server, resource, limit="3")
        assert total > 0 and len(items) == total, resource
        first = items[0]
        detail = httpx.get(server + first["api"])
        assert detail.status_code == 200, (resource, detail.text)
        assert detail.json()["id"] == first["id"]
        page = httpx.get(server + first["page"], headers={"accept": "text/html"})
        assert page.status_code == 200
    countries, _ = listed(server, "territories", country="CO")
    assert any(c["id"] == ID + "country/co" for c in countries)
    assert all((c.get("notation") or "CO-")[:2] == "CO" for c in countries if c.get("notation"))


def test_context_is_served_locally(server):
    r = httpx.get(f"{server}/context.jsonld")
    assert r.status_code == 200 and r.headers["content-type"].startswith("application/ld+json")
    assert r.json() == json.loads(jsonld.context_bytes())


# ---- Must show: the JSON-LD is the graph --------------------------------------------------------
def store_triples(server: str, subjects: set[str]) -> set[tuple]:
    values = " ".join(f"<{s}>" for s in subjects)
    r = httpx.post(
        f"{server}/sparql",
        data={"query": f"CONSTRUCT {{ ?s ?p ?o }} WHERE {{ VALUES ?s {{ {values} }} ?s ?p ?o }}"},
        headers={"accept": "application/n-triples"},
        timeout=60,
    )
    assert r.status_code == 200
    return {(t.subject, t.predicate, t.object) for t in ox.parse(r.content, ox.RdfFormat.N_TRIPLES)}


def test_every_initiatives_json_ld_is_in_the_graph(server):
    loader = jsonld.local_loader(CONTEXT_URL)
    initiatives = sorted(ids(server, ALL))
    assert len(initiatives) >= 50
    for iri in initiatives:
        slug = iri.rsplit("/", 1)[-1]
        for accept in ("application/ld+json", "application/json"):
            r = httpx.get(f"{server}/api/v1/initiatives/{slug}", headers={"accept": accept})
            assert r.status_code == 200, r.text
        doc = r.json()
        assert doc["@context"] == CONTEXT_URL and doc["id"] == iri
        nquads = pyld.to_rdf(doc, {"format": "application/n-quads", "documentLoader": loader})
        got = {(q.subject, q.predicate, q.object) for q in ox.parse(nquads, ox.RdfFormat.N_QUADS)}
        subjects = {t[0].value for t in got}
        in_store = store_triples(server, subjects)
        assert got <= in_store, (iri, got - in_store)
        own = {t for t in in_store if t[0].value == iri}
        assert own <= got, (iri, own - got)  # nothing of the initiative itself is left out
        # it nests its territory, sectors and memberships with their actors
        if any(t[1].value.endswith("#country") for t in own):
            assert isinstance(doc["country"], dict | list)
        members = rows(server, f"SELECT ?m WHERE {{ ?m org:organization <{iri}> }}")
        if members:
            nested = (
                doc["memberships"] if isinstance(doc["memberships"], list) else [doc["memberships"]]
            )
            assert {m["id"] for m in nested} == {m["m"]["value"] for m in members}
            assert all("name" in m["member"] for m in nested)


# ---- Must show: GeoJSON is valid ----------------------------------------------------------------
def test_geojson_is_valid_with_one_feature_per_georeferenced_initiative(server):
    located = ids(server, "?i geo:hasGeometry/wgs84:lat ?lat")
    for url, headers in (
        (f"{server}/api/v1/initiatives.geojson?limit=500", {}),
        (f"{server}/api/v1/initiatives?limit=500", {"accept": "application/geo+json"}),
    ):
        r = httpx.get(url, headers=headers)
        assert r.status_code == 200 and r.headers["content-type"] == "application/geo+json"
        body = r.json()
        FeatureCollection.model_validate(body)
        assert {f["id"] for f in body["features"]} == located
        for f in body["features"]:
            lon, lat = f["geometry"]["coordinates"]
            assert -180 <= lon <= 180 and -90 <= lat <= 90  # RFC 7946: [longitude, latitude]
            assert f["geometry"]["type"] == "Point"
    point = rows(
        server,
        f"SELECT ?lat ?lon WHERE {{ <{sorted(located)[0]}> geo:hasGeometry [ wgs84:lat ?lat ; wgs84:long ?lon ] }}",
    )[0]
    one = httpx.get(
        f"{server}/api/v1/initiatives/{sorted(located)[0].rsplit('/', 1)[-1]}.geojson"
    ).json()
    Feature.model_validate(one)
    assert one["geometry"]["coordinates"] == [
        float(point["lon"]["value"]),
        float(point["lat"]["value"]),
    ]


def test_csv_is_a_flat_table(server):
    r = httpx.get(
        f"{server}/api/v1/initiatives", params={"limit": "500"}, headers={"accept": "text/csv"}
    )
    assert r.status_code == 200 and r.headers["content-type"].startswith("text/csv")
    table = list(csv.DictReader(io.StringIO(r.text)))
    assert {row["id"] for row in table} == ids(server, ALL)
    co = [row for row in table if "CO" in row["country"].split(" | ")]
    assert len(co) == len(ids(server, '?i iatp:country/iatp:iso3166Alpha2 "CO"'))


# ---- No injection -------------------------------------------------------------------------------
PAYLOADS = [
    '"', "'", "}", "> } ; DROP ALL #", '" } UNION { ?s ?p ?o } #', "\\", "\\u0022",
    "<script>alert(1)</script>", "%00", "\u0000", "x" * 5000, "' OR 1=1 --", "${jndi:ldap://x}",
    "../../store", "*", "?s", "<https://w3id.org/iatp/id/graph/private/x>", "\U0001f600", "\ufeff",
]  # fmt: skip
PARAMETERS = [
    "kind", "country", "subdivision", "sector", "actor_sector", "q", "bbox", "founded_from",
    "founded_to", "sort", "limit", "cursor", "format", "lang",
]  # fmt: skip


def test_injection_payloads_in_every_parameter(server):
    everything = len(ids(server, ALL))
    for resource in ("initiatives", "actors", "territories", "sectors", "workshops", "projects"):
        for name in PARAMETERS:
            statuses = []
            for payload in PAYLOADS:
                r = httpx.get(f"{server}/api/v1/{resource}", params={name: payload}, timeout=30)
                assert r.status_code < 500, (resource, name, payload, r.text)
                statuses.append(r.status_code)
                if r.status_code == 200 and resource == "initiatives":
                    assert r.json()["total"] <= everything
                assert "graph/private" not in r.text or r.status_code == 400
            record(
                "bad input (HTTP, REST parameters)",
                f"{len(PAYLOADS)} injection payloads in `{name}`",
                entry=f"GET /api/v1/{resource}",
                outcome=", ".join(f"{s}×{statuses.count(s)}" for s in sorted(set(statuses))),
                unchanged=True,  # reads only; no 5xx, no total above the unfiltered one
            )
        for payload in PAYLOADS[:12]:
            r = httpx.get(f"{server}/api/v1/{resource}/{quote('x' + payload, safe='')}")
            assert r.status_code in (400, 404), (resource, payload)
