"""The SPARQL 1.1 Graph Store HTTP Protocol at /store, against real servers: the W3C manifest
cases (direct and indirect identification), SHACL validation of writes, the error statuses."""

from __future__ import annotations

import hashlib
import io
import json
import shutil
import uuid
from dataclasses import dataclass
from pathlib import Path

import httpx
import pyoxigraph as ox
import pytest
from conftest import ADMIN_TOKEN, WKT_REWRITTEN, cases, running_server
from rdflib import Graph, Namespace
from rdflib.collection import Collection
from rdflib.compare import isomorphic
from rdflib.namespace import RDF

from iatp_kg.formats import RDF_SYNTAXES

AUTH = {"Authorization": f"Bearer {ADMIN_TOKEN}"}
HERE = Path(__file__).parent
GSP_MANIFEST = HERE / "w3c" / "graph-store-protocol" / "manifest.ttl"
SHAPES = HERE / "shapes"
LIMIT = 60_000
EX = "http://example.org/gsp-test/"
PRIVATE = "https://w3id.org/iatp/id/graph/private/gsp-test"


@pytest.fixture(scope="module")
def base(seeded_template, tmp_path_factory) -> str:
    """An admin server over a copy of the seeded store, with a small body limit."""
    path = tmp_path_factory.mktemp("gsp") / "store"
    shutil.copytree(seeded_template, path)
    with running_server(path, admin_token=ADMIN_TOKEN, max_body_bytes=str(LIMIT)) as url:
        yield url


@pytest.fixture(scope="module")
def scratch(tmp_path_factory) -> str:
    """An admin server over an empty store, which the W3C cases clear at will."""
    path = tmp_path_factory.mktemp("gsp-scratch") / "store"
    with running_server(path, admin_token=ADMIN_TOKEN, seed_on_start="false") as url:
        yield url


@pytest.fixture(scope="module")
def locked(tmp_path_factory) -> str:
    """A server with no admin token configured."""
    path = tmp_path_factory.mktemp("gsp-locked") / "store"
    with running_server(path, seed_on_start="false") as url:
        yield url


def graph_url(base: str) -> tuple[str, str]:
    g = f"{EX}{uuid.uuid4().hex[:8]}"
    return g, f"{base}/store"


def store_digest(base: str) -> str:
    """SHA-256 of the sorted N-Quads of what /store serves (the default and public graphs)."""
    r = httpx.get(f"{base}/store", headers={"accept": "application/n-quads"}, timeout=60)
    assert r.status_code == 200, r.text
    return hashlib.sha256(b"\n".join(sorted(r.content.splitlines()))).hexdigest()


def get_graph(base: str, g: str, **params) -> Graph:
    r = httpx.get(
        f"{base}/store", params={"graph": g, **params}, headers={"accept": "application/n-triples"}
    )
    assert r.status_code == 200, r.text
    return Graph().parse(data=r.text, format="nt")


TTL = {"content-type": "text/turtle", **AUTH}
ALICE = f'<{EX}alice> a <http://xmlns.com/foaf/0.1/Person> ; <http://xmlns.com/foaf/0.1/name> "Alice"@es .'
BOB = f'<{EX}bob> <http://xmlns.com/foaf/0.1/name> "Bob" ; <{EX}card> [ <{EX}fn> "B" ] .'


# ---- the W3C Graph Store Protocol manifest, every case ---------------------------------------
MF = Namespace("http://www.w3.org/2001/sw/DataAccess/tests/test-manifest#")
HT = Namespace("http://www.w3.org/2011/http#")
CNT = Namespace("http://www.w3.org/2011/content#")
STATUS = {
    "OK": {200}, "Created": {201}, "NoContent": {204}, "NotFound": {404},
    "StatusCode2xx": set(range(200, 300)), "StatusCode4xx": set(range(400, 500)),
}  # fmt: skip


@dataclass
class Step:
    method: str
    path: str
    headers: dict[str, str]
    body: bytes | None
    statuses: set[int]
    location: bool
    expected: tuple[str, str] | None  # (media type, Turtle text) of the expected body


def _headers(g: Graph, node) -> dict[str, str]:
    lst = g.value(node, HT.headers)
    if lst is None:
        return {}
    return {
        str(g.value(h, HT.fieldName)).lower(): str(g.value(h, HT.fieldValue))
        for h in Collection(g, lst)
    }


def manifest_cases(root: Path) -> list[tuple[str, list[Step]]]:
    """Every case of ``root`` and the manifests it includes, as lists of HTTP steps."""
    top = Graph().parse(root, format="turtle", publicID=root.as_uri())
    (manifest,) = top.subjects(RDF.type, MF.Manifest)
    cases = []
    for included in Collection(top, top.value(manifest, MF.include)):
        path = root.parent / str(included).rsplit("/", 1)[-1]
        g = Graph().parse(path, format="turtle", publicID=path.as_uri())
        (m,) = g.subjects(RDF.type, MF.Manifest)
        listed = list(Collection(g, g.value(m, MF.entries)))
        # a case defined but left out of mf:entries (head_non_existing_direct) runs too
        unlisted = sorted(set(g.subjects(RDF.type, MF.GraphStoreProtocolTest)) - set(listed))
        for entry in listed + unlisted:
            steps = []
            for r in Collection(g, g.value(g.value(entry, MF.action), HT.requests)):
                resp = g.value(r, HT.resp)
                body, resp_body = g.value(r, HT.body), g.value(resp, HT.body)
                statuses = set().union(
                    *(STATUS[str(s).rsplit("#", 1)[-1]] for s in g.objects(resp, MF.expectedStatus))
                )
                steps.append(
                    Step(
                        method=str(g.value(r, HT.methodName)),
                        path=str(g.value(r, HT.absolutePath)),
                        headers=_headers(g, r),
                        body=None if body is None else str(g.value(body, CNT.chars)).encode(),
                        statuses=statuses,
                        location=g.value(resp, MF.expectedLocation) is not None,
                        expected=None
                        if resp_body is None
                        else (
                            _headers(g, resp).get("content-type", "text/turtle").split(";")[0],
                            str(g.value(resp_body, CNT.chars)),
                        ),
                    )
                )
            cases.append(
                (f"{path.stem.removeprefix('manifest-')}:{entry.rsplit('#', 1)[-1]}", steps)
            )
    return cases


CASES = manifest_cases(GSP_MANIFEST)


def test_the_manifest_has_direct_and_indirect_cases():
    kinds = {name.split(":")[0] for name, _ in CASES}
    assert kinds == {"direct", "indirect"} and len(CASES) == 14  # 5 direct, 9 indirect


@pytest.mark.parametrize(
    "steps",
    cases(
        [s for _, s in CASES],
        [n for n, _ in CASES],
        {"indirect:put_get_default": "an update cannot write its default graph"},
    ),
)
def test_w3c_graph_store_protocol_case(scratch, steps: list[Step]):
    """Each case runs on a cleared store; '/gsp' becomes '/store', and with direct
    identification the graph's IRI is the request URL itself."""
    with httpx.Client(base_url=scratch, timeout=30) as client:
        assert client.post("/update", data={"update": "DROP ALL"}, headers=AUTH).status_code == 204
        location = None
        for step in steps:
            path = step.path.replace("/gsp", "/store", 1)
            if location is not None:
                path = path.replace("$LOCATION$", location)
            r = client.request(
                step.method, path, content=step.body, headers={**step.headers, **AUTH}
            )
            assert r.status_code in step.statuses, (step.method, path, r.status_code, r.text)
            if step.location:
                location = r.headers["location"]
            if step.method == "HEAD":
                assert r.content == b""
            if step.expected and step.method == "GET":
                media, text = step.expected
                assert r.headers["content-type"].split(";")[0] == media
                got = Graph().parse(data=r.content, format="turtle")
                assert isomorphic(got, Graph().parse(data=text, format="turtle")), r.text


def test_direct_identification_names_the_graph_by_the_request_url(scratch):
    url = f"{scratch}/store/people/{uuid.uuid4().hex[:6]}"
    assert httpx.put(url, content=ALICE, headers=TTL).status_code == 201
    # the same graph, named indirectly
    assert len(get_graph(scratch, url)) == 2
    assert httpx.delete(url, headers=AUTH).status_code == 204
    assert httpx.get(f"{scratch}/store", params={"graph": url}).status_code == 404


# ---- who may do what -------------------------------------------------------------------------
@pytest.mark.parametrize("method", ["PUT", "POST", "DELETE"])
def test_writes_are_403_when_no_admin_token_is_configured(locked, method):
    g, store = graph_url(locked)
    r = httpx.request(method, store, params={"graph": g}, content=ALICE, headers=TTL)
    assert r.status_code == 403
    assert httpx.get(store, params={"graph": g}).status_code == 404


@pytest.mark.parametrize("method", ["PUT", "POST", "DELETE"])
@pytest.mark.parametrize("authorization", [None, "Bearer wrong"], ids=["missing", "wrong"])
def test_writes_are_401_with_a_missing_or_wrong_token(base, method, authorization):
    g, store = graph_url(base)
    headers = {"content-type": "text/turtle"}
    if authorization:
        headers["authorization"] = authorization
    r = httpx.request(method, store, params={"graph": g}, content=ALICE, headers=headers)
    assert r.status_code == 401
    assert r.headers["www-authenticate"].startswith("Bearer")
    assert httpx.get(store, params={"graph": g}).status_code == 404


def test_public_graphs_are_readable_without_a_token(base):
    r = httpx.get(
        f"{base}/store",
        params={"graph": "https://w3id.org/iatp/id/graph/territories"},
        headers={"accept": "text/turtle"},
    )
    assert r.status_code == 200
    assert r.headers["content-type"].startswith("text/turtle")
    assert len(Graph().parse(data=r.text, format="turtle")) > 100


def test_private_graphs_are_never_served_even_to_the_admin(base):
    secret = f"{uuid.uuid4().hex[:8]}@example.org"
    data = f'<{EX}contact> <https://schema.org/email> "{secret}" .'
    r = httpx.put(f"{base}/store", params={"graph": PRIVATE}, content=data, headers=TTL)
    assert r.status_code in (201, 204), r.text
    for headers in ({}, AUTH):
        for method in ("GET", "HEAD"):
            r = httpx.request(method, f"{base}/store", params={"graph": PRIVATE}, headers=headers)
            assert r.status_code == 404
        whole = httpx.get(f"{base}/store", headers={"accept": "application/n-quads", **headers})
        assert whole.status_code == 200 and secret.encode() not in whole.content
        assert PRIVATE.encode() not in whole.content
    # it was written: the admin can delete it (a missing graph would be 404)
    assert httpx.delete(f"{base}/store", params={"graph": PRIVATE}, headers=AUTH).status_code == 204
    assert httpx.delete(f"{base}/store", params={"graph": PRIVATE}, headers=AUTH).status_code == 404


# ---- the operations --------------------------------------------------------------------------
def test_put_creates_then_replaces_and_get_head_delete_follow(base):
    g, store = graph_url(base)
    assert httpx.get(store, params={"graph": g}).status_code == 404
    assert httpx.head(store, params={"graph": g}).status_code == 404

    assert httpx.put(store, params={"graph": g}, content=ALICE, headers=TTL).status_code == 201
    assert isomorphic(get_graph(base, g), Graph().parse(data=ALICE, format="turtle"))

    assert httpx.put(store, params={"graph": g}, content=BOB, headers=TTL).status_code == 204
    assert isomorphic(get_graph(base, g), Graph().parse(data=BOB, format="turtle"))

    get = httpx.get(store, params={"graph": g}, headers={"accept": "text/turtle"})
    head = httpx.head(store, params={"graph": g}, headers={"accept": "text/turtle"})
    assert head.status_code == 200 and head.content == b""
    assert head.headers["content-type"] == get.headers["content-type"]
    assert int(head.headers["content-length"]) == len(get.content)

    assert httpx.delete(store, params={"graph": g}, headers=AUTH).status_code == 204
    assert httpx.get(store, params={"graph": g}).status_code == 404
    assert httpx.delete(store, params={"graph": g}, headers=AUTH).status_code == 404


def test_post_merges_and_keeps_blank_nodes_of_each_request_apart(base):
    g, store = graph_url(base)
    assert httpx.post(store, params={"graph": g}, content=ALICE, headers=TTL).status_code == 201
    assert httpx.post(store, params={"graph": g}, content=BOB, headers=TTL).status_code == 204
    body = f'_:x <{EX}fn> "same label" .'
    for _ in range(2):
        assert httpx.post(store, params={"graph": g}, content=body, headers=TTL).status_code == 204
    got = get_graph(base, g)
    expected = Graph().parse(data=ALICE + "\n" + BOB, format="turtle")
    expected.parse(
        data=body.replace("_:x", "_:one") + "\n" + body.replace("_:x", "_:two"), format="turtle"
    )
    assert isomorphic(got, expected)


def test_post_to_the_store_creates_a_graph_and_returns_its_location(base):
    r = httpx.post(f"{base}/store", content=ALICE, headers=TTL)
    assert r.status_code == 201
    location = r.headers["location"]
    assert location.startswith("https://w3id.org/iatp/id/graph/store/")
    assert isomorphic(get_graph(base, location), Graph().parse(data=ALICE, format="turtle"))
    assert (
        httpx.delete(f"{base}/store", params={"graph": location}, headers=AUTH).status_code == 204
    )


def test_put_needs_a_graph(base):
    assert httpx.put(f"{base}/store", content=ALICE, headers=TTL).status_code == 400


def test_graph_and_default_together_are_400(base):
    r = httpx.get(f"{base}/store?default&graph={EX}x")
    assert r.status_code == 400


def test_the_whole_store_is_a_dataset_and_a_triples_only_syntax_is_406(base):
    r = httpx.get(f"{base}/store", headers={"accept": "application/trig"})
    assert r.status_code == 200 and r.headers["content-type"].startswith("application/trig")
    assert httpx.get(f"{base}/store", headers={"accept": "text/turtle"}).status_code == 406


def _serialise(syntax) -> bytes:
    triples = [
        ox.Triple(
            ox.NamedNode(f"{EX}s"), ox.NamedNode(f"{EX}p"), ox.Literal("ñandú", language="es")
        ),
        ox.Triple(ox.NamedNode(f"{EX}s"), ox.NamedNode(f"{EX}q"), ox.NamedNode(f"{EX}o")),
    ]
    out = io.BytesIO()
    if syntax.datasets:
        ox.serialize(
            (ox.Quad(t.subject, t.predicate, t.object) for t in triples), out, syntax.oxigraph
        )
    else:
        ox.serialize(triples, out, syntax.oxigraph)
    return out.getvalue()


@pytest.mark.parametrize("syntax", RDF_SYNTAXES, ids=lambda s: s.name)
def test_a_body_in_every_rdf_syntax_is_read_by_its_content_type(base, syntax):
    g, store = graph_url(base)
    r = httpx.put(
        store,
        params={"graph": g},
        content=_serialise(syntax),
        headers={"content-type": syntax.media_type, **AUTH},
    )
    assert r.status_code == 201, r.text
    got = get_graph(base, g)
    assert len(got) == 2
    assert any(str(o) == "ñandú" and o.language == "es" for o in got.objects())
    for accept in [s.media_type for s in RDF_SYNTAXES]:
        r = httpx.get(store, params={"graph": g}, headers={"accept": accept})
        assert r.status_code == 200 and r.headers["content-type"].startswith(accept)


# ---- what is refused, and that nothing is written --------------------------------------------
@pytest.mark.parametrize("content_type", ["text/html", "application/json", "image/png", None])
def test_a_body_that_is_not_rdf_is_415(base, content_type):
    """(text/plain is N-Triples' old media type, so it is read as N-Triples.)"""
    g, store = graph_url(base)
    headers = dict(AUTH)
    if content_type:
        headers["content-type"] = content_type
    r = httpx.put(store, params={"graph": g}, content=ALICE, headers=headers)
    assert r.status_code == 415
    assert httpx.get(store, params={"graph": g}).status_code == 404


def test_a_syntax_error_is_400_with_line_and_column(base):
    g, store = graph_url(base)
    body = f"@prefix ex: <{EX}> .\nex:a ex:b ex:c .\nex:d ex:e .\n"
    r = httpx.put(store, params={"graph": g}, content=body, headers=TTL)
    assert r.status_code == 400
    error = r.json()["error"]
    assert error["code"] == "syntax_error"
    source, line, column, _ = error["message"].split(":", 3)
    assert (source, line) == ("body", "3") and int(column) >= 1
    assert httpx.get(store, params={"graph": g}).status_code == 404


def test_a_body_over_the_limit_is_413_declared_or_streamed(base):
    g, store = graph_url(base)
    big = "\n".join(f'<{EX}s> <{EX}p> "{i}" .' for i in range(LIMIT // 20)).encode()
    assert len(big) > LIMIT
    assert httpx.put(store, params={"graph": g}, content=big, headers=TTL).status_code == 413

    def chunks():  # no Content-Length: the limit holds while streaming
        for i in range(0, len(big), 4096):
            yield big[i : i + 4096]

    assert httpx.put(store, params={"graph": g}, content=chunks(), headers=TTL).status_code == 413
    files = {"part": ("big.ttl", big, "text/turtle")}
    assert httpx.post(store, params={"graph": g}, files=files, headers=AUTH).status_code == 413
    assert httpx.get(store, params={"graph": g}).status_code == 404


def test_a_remote_jsonld_context_is_never_fetched(base, canary):
    g, store = graph_url(base)
    doc = {"@context": f"http://127.0.0.1:{canary.port}/ctx.jsonld", "@id": f"{EX}s", "name": "x"}
    r = httpx.put(
        store,
        params={"graph": g},
        content=json.dumps(doc),
        headers={"content-type": "application/ld+json", **AUTH},
    )
    assert r.status_code == 400
    assert "remote @context" in r.json()["error"]["message"]
    assert canary.hits == 0


# ---- SHACL validation of writes --------------------------------------------------------------
def _expectation(path: Path) -> str:
    return path.read_text(encoding="utf-8").splitlines()[0].removeprefix("# expect:").strip()


INVALID = ["initiative-without-name", "initiative-with-email", "coordinates-outside-country-bbox"]


@pytest.mark.parametrize("method", ["PUT", "POST"])
@pytest.mark.parametrize("name", INVALID)
def test_non_conforming_data_is_422_with_the_report_and_nothing_is_written(base, name, method):
    path = SHAPES / "invalid" / f"{name}.ttl"
    g = f"https://w3id.org/iatp/id/graph/test-{name}"
    before = store_digest(base)
    r = httpx.request(
        method, f"{base}/store", params={"graph": g}, content=path.read_bytes(), headers=TTL
    )
    assert r.status_code == 422, r.text
    report = r.json()["error"]["report"]
    assert report["conforms"] is False
    messages = [m for v in report["violations"] for m in v["message"].values()]
    assert any(_expectation(path) in m for m in messages), messages
    assert store_digest(base) == before
    assert httpx.get(f"{base}/store", params={"graph": g}).status_code == 404


def test_the_report_comes_as_turtle_when_asked(base):
    path = SHAPES / "invalid" / "initiative-without-name.ttl"
    r = httpx.put(
        f"{base}/store",
        params={"graph": "https://w3id.org/iatp/id/graph/test-turtle-report"},
        content=path.read_bytes(),
        headers={**TTL, "accept": "text/turtle"},
    )
    assert r.status_code == 422 and r.headers["content-type"].startswith("text/turtle")
    SH = Namespace("http://www.w3.org/ns/shacl#")
    report = Graph().parse(data=r.text, format="turtle")
    (node,) = report.subjects(RDF.type, SH.ValidationReport)
    assert report.value(node, SH.conforms).toPython() is False


@pytest.mark.parametrize(
    "name",
    cases(
        ["initiative-complete", "workshop-and-participation"],
        ["initiative-complete", "workshop-and-participation"],
        {"initiative-complete": WKT_REWRITTEN},
    ),
)
def test_conforming_data_is_written(base, name):
    path = SHAPES / "valid" / f"{name}.ttl"
    g = f"https://w3id.org/iatp/id/graph/test-valid-{name}"
    r = httpx.put(f"{base}/store", params={"graph": g}, content=path.read_bytes(), headers=TTL)
    assert r.status_code == 201, r.text
    assert isomorphic(get_graph(base, g), Graph().parse(path, format="turtle"))
    assert httpx.delete(f"{base}/store", params={"graph": g}, headers=AUTH).status_code == 204
