"""The W3C SPARQL 1.1 Protocol and Service Description test suites (the Graph Store Protocol's
are in test_graph_store.py),
driven by their manifests (copied in tests/w3c, see SOURCE.md), against a running server."""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path
from urllib.parse import unquote_plus

import httpx
import pytest
from conftest import ADMIN_TOKEN
from rdflib import Graph, Namespace, URIRef
from rdflib.collection import Collection
from rdflib.namespace import RDF, RDFS

W3C = Path(__file__).parent / "w3c"
MF = Namespace("http://www.w3.org/2001/sw/DataAccess/tests/test-manifest#")
HT = Namespace("http://www.w3.org/2011/http#")
CNT = Namespace("http://www.w3.org/2011/content#")
UT = Namespace("http://www.w3.org/2009/sparql/tests/test-update#")
HTS = "http://www.w3.org/2011/http-statusCodes#"
STATUS = {
    "OK": (200,), "Created": (201,), "NoContent": (204,), "NotFound": (404,),
    "StatusCode2xx": range(200, 300), "StatusCode3xx": range(300, 400),
    "StatusCode4xx": range(400, 500),
}  # fmt: skip
AUTH = {"Authorization": f"Bearer {ADMIN_TOKEN}"}


@dataclass
class Req:
    method: str
    path: str
    headers: dict[str, str]
    body: bytes | None
    statuses: set[int]
    expected_format: str | None = None
    expected_boolean: bool | None = None
    expected_location: str | None = None
    expected_body: tuple[str, str] | None = None  # (content type, text)


@dataclass
class Case:
    name: str
    requests: list[Req]
    graph_data: list[tuple[Path, str]] = field(default_factory=list)
    requires: set[str] = field(default_factory=set)


def _headers(g: Graph, node) -> dict[str, str]:
    out = {}
    lst = g.value(node, HT.headers)
    if lst is not None:
        for h in Collection(g, lst):
            out[str(g.value(h, HT.fieldName)).lower()] = str(g.value(h, HT.fieldValue))
    return out


def load_cases(manifest: Path) -> list[Case]:
    g = Graph().parse(manifest, format="turtle", publicID=manifest.as_uri())
    cases = []
    (root,) = g.subjects(RDF.type, MF.Manifest)
    for entry in Collection(g, g.value(root, MF.entries)):
        action = g.value(entry, MF.action)
        requests = []
        for r in Collection(g, g.value(action, HT.requests)):
            body_node = g.value(r, HT.body)
            body = None
            if body_node is not None:
                chars = str(g.value(body_node, CNT.chars))
                encoding = str(g.value(body_node, CNT.characterEncoding) or "UTF-8")
                body = chars.encode(encoding.lower())
            resp = g.value(r, HT.resp)
            statuses = set()
            for s in g.objects(resp, MF.expectedStatus):
                statuses |= set(STATUS[str(s).removeprefix(HTS)])
            boolean = g.value(resp, MF.expectedBoolean)
            expected_body = None
            resp_body = g.value(resp, HT.body)
            if resp_body is not None:
                expected_body = (
                    _headers(g, resp).get("content-type", "text/turtle"),
                    str(g.value(resp_body, CNT.chars)),
                )
            requests.append(
                Req(
                    method=str(g.value(r, HT.methodName)),
                    path=str(g.value(r, HT.absolutePath)),
                    headers=_headers(g, r),
                    body=body,
                    statuses=statuses,
                    expected_format=str(g.value(resp, MF.expectedFormat) or "") or None,
                    expected_boolean=None if boolean is None else bool(boolean.toPython()),
                    expected_location=str(g.value(resp, MF.expectedLocation) or "") or None,
                    expected_body=expected_body,
                )
            )
        data = []
        for gd in g.objects(entry, UT.graphData):
            data.append(
                (
                    Path(unquote_plus(str(g.value(gd, UT.graph)).removeprefix("file://"))),
                    str(g.value(gd, RDFS.label)),
                )
            )
        requires = {str(x).rsplit("#", 1)[-1] for x in g.objects(entry, MF.requires)}
        cases.append(Case(str(entry).rsplit("#", 1)[-1], requests, data, requires))
    return cases


PROTOCOL = load_cases(W3C / "protocol" / "manifest.ttl")
# The Graph Store Protocol cases (direct and indirect) run in tests/test_graph_store.py.


def test_the_protocol_suite_has_34_cases():
    assert len(PROTOCOL) == 34


def _route(req: Req) -> str:
    """Queries go to /sparql, updates to /update (the manifest uses /sparql/ for both)."""
    is_update = "sparql-update" in req.headers.get("content-type", "") or "update=" in (
        req.path + (req.body or b"").decode("latin-1")
    )
    rest = req.path.removeprefix("/sparql/").removeprefix("/sparql")
    return ("/update" if is_update else "/sparql") + rest


def _boolean_or_table(response: httpx.Response):
    media = response.headers["content-type"].split(";")[0]
    if media == "application/sparql-results+json":
        data = response.json()
        return data.get("boolean"), "results" in data
    if media == "application/sparql-results+xml":
        import xml.etree.ElementTree as ET

        root = ET.fromstring(response.content)
        ns = "{http://www.w3.org/2005/sparql-results#}"
        boolean = root.find(f"{ns}boolean")
        value = None if boolean is None else boolean.text.strip() == "true"
        return value, root.find(f"{ns}results") is not None
    raise AssertionError(f"unexpected result media type {media}")


def _check_result(req: Req, response: httpx.Response) -> None:
    if req.expected_format == "boolean":
        value, _ = _boolean_or_table(response)
        assert value is not None
        if req.expected_boolean is not None:
            assert value is req.expected_boolean
    elif req.expected_format == "tabular":
        assert _boolean_or_table(response)[1]
    elif req.expected_format == "RDF":
        media = response.headers["content-type"].split(";")[0]
        fmt = {
            "text/turtle": "turtle",
            "application/rdf+xml": "xml",
            "application/n-triples": "nt",
            "application/ld+json": "json-ld",
        }[media]
        Graph().parse(data=response.content, format=fmt)


@pytest.mark.parametrize("case", PROTOCOL, ids=lambda c: c.name)
def test_sparql_protocol(scratch_server, case: Case):
    with httpx.Client(base_url=scratch_server, timeout=30) as client:
        setup = ["DROP ALL"]
        for path, name in case.graph_data:
            triples = (W3C / "protocol" / path.name).read_text()
            setup.append(f"INSERT DATA {{ GRAPH <{name}> {{ {triples} }} }}")
        r = client.post(
            "/update",
            content=" ;\n".join(setup),
            headers={"content-type": "application/sparql-update", **AUTH},
        )
        assert r.status_code == 204, r.text
        for req in case.requests:
            headers = dict(req.headers)
            if "accept" not in headers and req.expected_format in ("boolean", "tabular"):
                headers["accept"] = "application/sparql-results+json"
            response = client.request(
                req.method, _route(req), content=req.body, headers={**headers, **AUTH}
            )
            assert response.status_code in req.statuses, (
                req.method,
                req.path,
                response.status_code,
                response.text,
            )
            if response.status_code < 300:
                _check_result(req, response)


SD = Namespace("http://www.w3.org/ns/sparql-service-description#")


def test_service_description_returns_rdf(server):
    response = httpx.get(f"{server}/sparql", headers={"accept": "text/turtle"})
    assert response.status_code == 200
    assert response.headers["content-type"].startswith("text/turtle")
    assert len(Graph().parse(data=response.text, format="turtle")) > 0


def test_service_description_has_its_endpoint_triple(server):
    g = Graph().parse(
        data=httpx.get(f"{server}/sparql", headers={"accept": "text/turtle"}).text, format="turtle"
    )
    assert (None, SD.endpoint, URIRef(f"{server}/sparql")) in g


SD_SHAPE = """
@prefix sh: <http://www.w3.org/ns/shacl#> .
@prefix sd: <http://www.w3.org/ns/sparql-service-description#> .
@prefix void: <http://rdfs.org/ns/void#> .
@prefix xsd: <http://www.w3.org/2001/XMLSchema#> .
[] a sh:NodeShape ; sh:targetClass sd:Service ;
   sh:property [ sh:path sd:endpoint ; sh:minCount 1 ; sh:nodeKind sh:IRI ] ,
               [ sh:path sd:supportedLanguage ; sh:minCount 1 ; sh:in ( sd:SPARQL10Query sd:SPARQL11Query sd:SPARQL11Update ) ] ,
               [ sh:path sd:resultFormat ; sh:minCount 1 ; sh:nodeKind sh:IRI ] ,
               [ sh:path sd:defaultDataset ; sh:maxCount 1 ; sh:class sd:Dataset ] .
[] a sh:NodeShape ; sh:targetClass sd:Dataset ;
   sh:property [ sh:path sd:defaultGraph ; sh:maxCount 1 ; sh:class sd:Graph ] ,
               [ sh:path sd:namedGraph ; sh:class sd:NamedGraph ] .
[] a sh:NodeShape ; sh:targetClass sd:NamedGraph ;
   sh:property [ sh:path sd:name ; sh:minCount 1 ; sh:maxCount 1 ; sh:nodeKind sh:IRI ] .
[] a sh:NodeShape ; sh:targetClass sd:Graph ;
   sh:property [ sh:path void:triples ; sh:maxCount 1 ; sh:datatype xsd:integer ] .
"""


def test_service_description_conforms_to_schema(server):
    from pyshacl import validate

    g = Graph().parse(
        data=httpx.get(f"{server}/sparql", headers={"accept": "text/turtle"}).text, format="turtle"
    )
    conforms, _, text = validate(g, shacl_graph=Graph().parse(data=SD_SHAPE, format="turtle"))
    assert conforms, text
