"""Registration with moderation, and interest sign-ups, against a real server.

The round trip (submit, editor approves, the initiative is public), invalid submissions in
Spanish and English with the whole store (private graphs included) unchanged, the editors'
token, the reject path, interest sign-up and unsubscribe, and a canary contact that must never
appear on a public surface.
"""

from __future__ import annotations

import gzip
import json
import shutil
import time
import uuid
from datetime import date
from decimal import Decimal
from pathlib import Path

import httpx
import jsonschema_rs
import pytest
from conftest import ADMIN_TOKEN, WKT_REWRITTEN, open_store, running_server
from reliability import record
from slugify import slugify

EDITOR = {"Authorization": f"Bearer {ADMIN_TOKEN}"}
# A registration in a city is validated with the city's point as the store holds it.
CITY_POINT = f"a registration in a city is refused (422): {WKT_REWRITTEN}"
MAX_BODY = 20_000
PRIVATE = "https://w3id.org/iatp/id/graph/private/"
LANGS = {  # how each language is asked for: es by Accept-Language, en by ?lang=
    "es": {"headers": {"Accept-Language": "es-CO,es;q=0.9,en;q=0.5"}, "params": {}},
    "en": {"headers": {"Accept-Language": "es;q=0.2"}, "params": {"lang": "en"}},
}


@pytest.fixture(scope="module")
def store_dir(seeded_template, tmp_path_factory) -> Path:
    path = tmp_path_factory.mktemp("registrations") / "store"
    shutil.copytree(seeded_template, path)
    return path


@pytest.fixture(scope="module")
def base(store_dir) -> str:
    with running_server(
        store_dir, admin_token=ADMIN_TOKEN, max_body_bytes=str(MAX_BODY), query_timeout="20"
    ) as url:
        yield url


@pytest.fixture(scope="module")
def client(base):
    with httpx.Client(base_url=base, timeout=60) as c:
        yield c


def read_store(store_dir: Path, read):
    """``read(store)`` over a read-only opening beside the running server, which sees every
    flushed write. A compaction by the server may remove a file under the opening: retried,
    as the query workers do."""
    for attempt in range(10):
        try:
            return read(open_store(store_dir))
        except (RuntimeError, OSError):
            if attempt == 9:
                raise
            time.sleep(0.1 * (attempt + 1))
    return None


def store_digest(store_dir: Path) -> str:
    """A digest of every graph, the private ones included."""
    return read_store(store_dir, lambda store: store.digest())


def private_nquads(store_dir: Path) -> str:
    return read_store(
        store_dir,
        lambda store: "\n".join(
            str(q) for q in store.quads() if getattr(q.graph_name, "value", "").startswith(PRIVATE)
        ),
    )


def sparql(client: httpx.Client, query: str, accept: str = "application/sparql-results+json"):
    r = client.post("/sparql", data={"query": query}, headers={"Accept": accept})
    assert r.status_code == 200, r.text
    return r


def rows(client: httpx.Client, query: str) -> list[dict]:
    return sparql(client, query).json()["results"]["bindings"]


@pytest.fixture(scope="module")
def colombia_box(client) -> dict[str, Decimal]:
    """Colombia's bounding box, as the territories pipeline stored it."""
    (row,) = rows(
        client,
        "SELECT ?s ?n ?w ?e WHERE { <https://w3id.org/iatp/id/country/co> geo:hasBoundingBox ?b ."
        " ?b iatp:minLatitude ?s ; iatp:maxLatitude ?n ; iatp:minLongitude ?w ;"
        " iatp:maxLongitude ?e }",
    )
    return {k: Decimal(v["value"]) for k, v in row.items()}


@pytest.fixture(scope="module")
def registration(colombia_box):
    """A valid registration with a fresh name each call; its point is the middle of Colombia's
    bounding box (known to the store) and its subdivision one of Colombia's."""

    def make(**changes) -> dict:
        body = {
            "name": f"Clúster de Prueba {uuid.uuid4().hex[:8]}",
            "kind": "cluster",
            "country": "CO",
            "subdivision": "CO-ANT",
            "city": "Medellín",
            "latitude": float((colombia_box["s"] + colombia_box["n"]) / 2),
            "longitude": float((colombia_box["w"] + colombia_box["e"]) / 2),
            "sectors": ["62"],
            "description": "Una iniciativa de prueba.",
            "founded": 2015,
            "coordinator": "Cámara de Prueba",
            "coordinator_sector": "private",
            "members": [{"name": "Universidad de Prueba", "sector": "academic"}],
            "lines_of_action": ["training"],
            "contact_name": "Persona de Prueba",
            "contact_email": "persona@example.org",
            "contact_phone": "+57 4 555 0100",
        }
        body.update(changes)
        return {k: v for k, v in body.items() if v is not None}

    return make


def submit(client: httpx.Client, body: dict, **kwargs) -> httpx.Response:
    return client.post("/api/v1/registrations", json=body, **kwargs)


def slug_of(name: str) -> str:
    return slugify(name)


def initiative_iri(name: str) -> str:
    return f"https://w3id.org/iatp/id/initiative/{slug_of(name)}"


def any_seed_slug(client: httpx.Client) -> str:
    (row,) = rows(client, "SELECT ?i WHERE { ?i a iatp:ClusterInitiative } ORDER BY ?i LIMIT 1")
    return row["i"]["value"].rsplit("/", 1)[-1]


def initiative_api_exists(client: httpx.Client) -> bool:
    """Whether GET /api/v1/initiatives/{slug} answers for a seed initiative."""
    return client.get(f"/api/v1/initiatives/{any_seed_slug(client)}").status_code == 200


# ---- the round trip -------------------------------------------------------------------------
@pytest.mark.not_virtuoso(CITY_POINT)
def test_round_trip_submit_approve_public(client, registration):
    body = registration()
    r = submit(client, body)
    assert r.status_code == 202, r.text
    sub = r.json()
    assert r.headers["Location"] == sub["status_url"]
    status = client.get(sub["status_url"])
    assert status.status_code == 200
    assert status.json()["status"] == "pending"
    assert body["contact_email"] not in status.text
    iri = initiative_iri(body["name"])
    # Pending: nothing public yet.
    assert not sparql(client, f"ASK {{ <{iri}> ?p ?o }}").json()["boolean"]

    listed = client.get("/api/v1/registrations", headers=EDITOR)
    assert listed.status_code == 200
    (item,) = [i for i in listed.json()["items"] if i["id"] == sub["id"]]
    assert item["status"] == "pending"
    assert item["registration"]["contact_email"] == body["contact_email"]
    assert item["registration"]["name"] == body["name"]
    assert item["initiative"] == iri

    approved = client.post(f"/api/v1/registrations/{sub['id']}/approve", headers=EDITOR)
    assert approved.status_code == 200, approved.text
    assert approved.json()["status"] == "approved"

    graph = f"https://w3id.org/iatp/id/graph/registration/{sub['id']}"
    found = rows(client, f"SELECT ?g ?name WHERE {{ GRAPH ?g {{ <{iri}> rdfs:label ?name }} }}")
    assert [(r["g"]["value"], r["name"]["value"]) for r in found] == [(graph, body["name"])]
    # Provenance: an approval activity with its time, the submission as the source.
    submission = f"https://w3id.org/iatp/id/registration/{sub['id']}"
    assert sparql(
        client,
        f"ASK {{ GRAPH <{graph}> {{ <{graph}> prov:wasGeneratedBy ?a ; dcterms:source "
        f"<{submission}> . ?a a prov:Activity ; prov:endedAtTime ?t ; prov:used <{submission}> ."
        f" <{iri}> dcterms:source <{submission}> }} }}",
    ).json()["boolean"]

    after = client.get(sub["status_url"]).json()
    assert after["status"] == "approved" and after["initiative"] == iri

    if not initiative_api_exists(client):
        pytest.skip("GET /api/v1/initiatives/{slug} answers 404 for every slug (not built yet)")
    api = client.get(f"/api/v1/initiatives/{slug_of(body['name'])}")
    assert api.status_code == 200, api.text
    assert body["name"] in api.text


def test_jsonld_registration_is_read_as_the_form(client, base, registration):
    name = f"Red de Prueba {uuid.uuid4().hex[:8]}"
    doc = {
        "@context": f"{base}/context.jsonld",
        "type": "BusinessNetworkInitiative",
        "name": {"en": name},
        "country": {"id": "https://w3id.org/iatp/id/country/co"},
        "locatedIn": {"id": "https://w3id.org/iatp/id/subdivision/co-ant"},
        "sector": [{"id": "https://w3id.org/iatp/id/isic/62"}],
        "foundingYear": "2012",
        "schema:contactPoint": {"schema:email": "red@example.org"},
    }
    r = client.post(
        "/api/v1/registrations",
        content=json.dumps(doc),
        headers={"Content-Type": "application/ld+json"},
    )
    assert r.status_code == 202, r.text
    listed = client.get("/api/v1/registrations", headers=EDITOR).json()["items"]
    (item,) = [i for i in listed if i["id"] == r.json()["id"]]
    form = item["registration"]
    assert (form["name"], form["kind"], form["country"], form["subdivision"]) == (
        name,
        "business-network",
        "CO",
        "CO-ANT",
    )
    assert (form["sectors"], form["founded"], form["description_lang"]) == (["62"], 2012, "en")
    assert form["contact_email"] == "red@example.org"


def test_the_published_schema_validates_the_documented_example(client):
    r = client.get("/api/v1/registrations/schema")
    assert r.status_code == 200
    assert r.headers["content-type"].startswith("application/schema+json")
    schema = r.json()
    validator = jsonschema_rs.validator_for(schema)
    openapi = client.get("/openapi.json").json()
    post = openapi["paths"]["/api/v1/registrations"]["post"]
    example = post["requestBody"]["content"]["application/json"]["examples"]["registration"]
    assert validator.is_valid(example["value"])
    assert not validator.is_valid({**example["value"], "kind": "cartel"})
    assert "application/ld+json" in post["requestBody"]["content"]
    for path, item in openapi["paths"].items():
        if path.startswith(("/api/v1/registrations", "/api/v1/interest")):
            for operation in item.values():
                assert operation.get("summary"), path


@pytest.mark.not_virtuoso(CITY_POINT)
def test_the_documented_example_registers(client):
    openapi = client.get("/openapi.json").json()
    post = openapi["paths"]["/api/v1/registrations"]["post"]
    example = post["requestBody"]["content"]["application/json"]["examples"]["registration"]
    body = {**example["value"], "name": f"{example['value']['name']} {uuid.uuid4().hex[:6]}"}
    assert submit(client, body).status_code == 202


# ---- invalid submissions --------------------------------------------------------------------
def _cases(registration, colombia_box, base) -> dict[str, tuple]:
    """name -> (content, content type, status, field or None, English words, Spanish words)."""
    valid = registration()
    deep: object = "x"
    for _ in range(40):
        deep = [deep]
    two = [
        {"type": "ClusterInitiative", "name": {"es": "Uno"}},
        {"type": "ClusterInitiative", "name": {"es": "Dos"}},
    ]
    jsonld = "application/ld+json"
    js = "application/json"
    return {
        "missing name": (registration(name=None), js, 422, "name", "is required", "es obligatorio"),
        "bad kind": (registration(kind="cartel"), js, 422, "kind", "must be one of", "debe ser uno de"),
        "country outside LAC": (
            registration(country="ES", subdivision=None, city=None, latitude=None, longitude=None),
            js, 422, "country", "unknown country 'ES'", "país desconocido 'ES'",
        ),
        "coordinates outside the country": (
            registration(latitude=float(colombia_box["n"] + 1)),
            js, 422, "latitude", "outside their country's bounding box",
            "fuera de la caja envolvente de su país",
        ),
        "year before 1800": (
            registration(founded=1700), js, 422, "founded", "not a year between 1800",
            "no es un año entre 1800",
        ),
        "year in the future": (
            registration(founded=date.today().year + 1), js, 422, "founded",
            "not a year between 1800", "no es un año entre 1800",
        ),
        "year not a number": (
            registration(founded="20x5"), js, 422, "founded", "whole number", "número entero",
        ),
        "bad e-mail": (
            registration(contact_email="nobody-at-example.org"), js, 422, "contact_email",
            "not a valid e-mail address", "no es una dirección de correo electrónico válida",
        ),
        "unknown field": (
            registration(colour="green"), js, 422, "colour", "not a field of the form",
            "no es un campo del formulario",
        ),
        "subdivision of another country": (
            registration(subdivision="MX-NLE"), js, 422, "subdivision", "unknown subdivision",
            "subdivisión desconocida",
        ),
        "website not an IRI": (
            registration(website="https://example.org:port/"), js, 422, "website",
            "not an http(s) URL", "no es una URL http(s)",
        ),
        "name with nothing to make an IRI of": (
            registration(name="¡¿!?"), js, 422, "name", "needs a letter or a digit",
            "necesita una letra o un dígito",
        ),
        "unknown sector": (
            registration(sectors=["00"]), js, 422, "sectors", "unknown ISIC", "CIIU",
        ),
        "a list, not an object": ([valid], js, 422, "(body)", "JSON object", "objeto JSON"),
        "remote @context": (
            {"@context": "https://example.org/context.jsonld", "type": "ClusterInitiative"},
            jsonld, 400, None, "remote context https://example.org/context.jsonld",
            "contexto remoto https://example.org/context.jsonld",
        ),
        "remote @import in an inline context": (
            {"@context": {"@import": "https://example.org/c.jsonld"}, "name": "x"},
            jsonld, 400, None, "remote context", "contexto remoto",
        ),
        "two initiatives in JSON-LD": (
            {"@context": f"{base}/context.jsonld", "@graph": two}, jsonld, 422, "@graph",
            "exactly one initiative", "exactamente una iniciativa",
        ),
        "JSON-LD property the form lacks": (
            {"@context": f"{base}/context.jsonld", "type": "ClusterInitiative",
             "name": {"es": "Tres"}, "challenge": {"id": "https://w3id.org/iatp/id/challenge/credibility"}},
            jsonld, 422, "https://w3id.org/iatp/ontology#addressesChallenge", "no field",
            "no tiene un campo",
        ),
        "not JSON": (b"{name: 'x'", js, 400, None, "not JSON", "no es JSON"),
        "too big": (
            registration(description="x" * (MAX_BODY + 10)), js, 413, None,
            f"limit of {MAX_BODY:,} bytes", f"límite de {MAX_BODY:,} bytes",
        ),
        "deep JSON": (deep, js, 400, None, "nests more than", "anida más de"),
        "very deep JSON": (b"[" * 5000 + b"]" * 5000, js, 400, None, "nests more than", "anida más de"),
        "form body": (b"name=x", "application/x-www-form-urlencoded", 415, None, "not accepted",
                      "no se acepta"),
    }  # fmt: skip


INVALID = [
    "missing name", "bad kind", "country outside LAC", "coordinates outside the country",
    "year before 1800", "year in the future", "year not a number", "bad e-mail", "unknown field",
    "subdivision of another country", "website not an IRI", "name with nothing to make an IRI of",
    "unknown sector", "a list, not an object",
    "remote @context", "remote @import in an inline context", "two initiatives in JSON-LD",
    "JSON-LD property the form lacks", "not JSON", "too big", "deep JSON", "very deep JSON",
    "form body",
]  # fmt: skip


@pytest.mark.parametrize("lang", ["es", "en"])
@pytest.mark.parametrize("case", INVALID)
def test_invalid_submission_is_refused_in_the_requesters_language_and_stores_nothing(
    client, store_dir, registration, colombia_box, base, case, lang
):
    cases = _cases(registration, colombia_box, base)
    assert set(cases) == set(INVALID)
    content, media, status, field, en, es = cases[case]
    if not isinstance(content, bytes):
        content = json.dumps(content).encode()
    before = store_digest(store_dir)
    r = client.post(
        "/api/v1/registrations",
        content=content,
        headers={"Content-Type": media, **LANGS[lang]["headers"]},
        params=LANGS[lang]["params"],
    )
    assert r.status_code == status, r.text
    error = r.json()["error"]
    expected, other = (es, en) if lang == "es" else (en, es)
    assert expected in error["message"], error
    assert other not in error["message"] or other == expected
    if field is not None:
        problems = {p["field"]: p["message"] for p in error["problems"]}
        assert field in problems, problems
        assert expected in problems[field] or expected in error["message"]
    unchanged = store_digest(store_dir) == before
    record(
        "bad input (HTTP, registrations)",
        f"{case} ({lang})",
        entry="POST /api/v1/registrations",
        outcome=str(r.status_code),
        message=error["message"][:160],
        unchanged=unchanged,
    )
    assert unchanged


def test_every_problem_is_reported_at_once(client, registration):
    r = submit(client, registration(kind="cartel", country="ES", founded=1700, name=None))
    assert r.status_code == 422
    fields = {p["field"] for p in r.json()["error"]["problems"]}
    assert {"name", "kind", "country", "founded"} <= fields


def test_a_name_already_published_is_409(client, registration):
    (row,) = rows(
        client,
        "SELECT ?i ?name WHERE { ?i a iatp:ClusterInitiative ; rdfs:label ?name }"
        " ORDER BY ?i LIMIT 1",
    )
    name, iri = row["name"]["value"], row["i"]["value"]
    if initiative_iri(name) != iri:
        pytest.skip(f"the first seed initiative's IRI is not the slug of its name ({iri})")
    r = submit(client, registration(name=name), params={"lang": "es"})
    assert r.status_code == 409
    assert iri in r.json()["error"]["message"]
    assert "ya hay una iniciativa publicada" in r.json()["error"]["message"]


@pytest.mark.not_virtuoso(CITY_POINT)
def test_two_submissions_of_one_name_the_second_approval_is_409(client, registration):
    body = registration()
    first, second = submit(client, body).json()["id"], submit(client, body).json()["id"]
    assert client.post(f"/api/v1/registrations/{first}/approve", headers=EDITOR).status_code == 200
    r = client.post(f"/api/v1/registrations/{second}/approve", headers=EDITOR)
    assert r.status_code == 409
    assert initiative_iri(body["name"]) in r.json()["error"]["message"]
    assert client.get(f"/api/v1/registrations/{second}").json()["status"] == "pending"


def test_unknown_registration_is_404(client):
    assert client.get("/api/v1/registrations/no-such-id").status_code == 404
    assert client.get(f"/api/v1/registrations/{'A' * 22}").status_code == 404
    r = client.post(f"/api/v1/registrations/{'A' * 22}/approve", headers=EDITOR)
    assert r.status_code == 404


# ---- editors --------------------------------------------------------------------------------
EDITOR_ROUTES = [
    ("GET", "/api/v1/registrations"),
    ("POST", "/api/v1/registrations/AAAAAAAAAAAAAAAAAAAAAA/approve"),
    ("POST", "/api/v1/registrations/AAAAAAAAAAAAAAAAAAAAAA/reject"),
]


@pytest.mark.parametrize(("method", "path"), EDITOR_ROUTES)
@pytest.mark.parametrize("authorization", [None, "Bearer wrong-token", "Basic dXNlcjpwYXNz"])
def test_editor_routes_are_401_without_the_right_token(client, method, path, authorization):
    headers = {"Authorization": authorization} if authorization else {}
    r = client.request(method, path, headers=headers, json={"reason": "x"})
    assert r.status_code == 401
    assert r.headers["WWW-Authenticate"].startswith("Bearer")
    assert "persona@example.org" not in r.text


@pytest.mark.parametrize(("method", "path"), EDITOR_ROUTES)
def test_editor_routes_are_403_when_no_token_is_configured(server, method, path):
    r = httpx.request(method, server + path, headers=EDITOR, json={"reason": "x"})
    assert r.status_code == 403


@pytest.mark.not_virtuoso(CITY_POINT)
def test_reject_path(client, registration):
    body = registration()
    sub = submit(client, body).json()
    r = client.post(f"/api/v1/registrations/{sub['id']}/reject", headers=EDITOR, json={})
    assert r.status_code == 422  # a reason is required
    reason = "No es una iniciativa de articulación productiva."
    r = client.post(
        f"/api/v1/registrations/{sub['id']}/reject", headers=EDITOR, json={"reason": reason}
    )
    assert r.status_code == 200, r.text
    status = client.get(sub["status_url"]).json()
    assert (status["status"], status["reason"]) == ("rejected", reason)
    assert "initiative" not in status
    again = client.post(f"/api/v1/registrations/{sub['id']}/approve", headers=EDITOR)
    assert again.status_code == 409
    iri = initiative_iri(body["name"])
    assert not sparql(client, f"ASK {{ <{iri}> ?p ?o }}").json()["boolean"]
    rejected = client.get("/api/v1/registrations", headers=EDITOR, params={"status": "rejected"})
    assert sub["id"] in {i["id"] for i in rejected.json()["items"]}
    assert {i["status"] for i in rejected.json()["items"]} == {"rejected"}


# ---- interest sign-ups ----------------------------------------------------------------------
def test_interest_sign_up_then_unsubscribe_removes_the_data(client, store_dir):
    email = f"interest-{uuid.uuid4().hex}@example.org"
    body = {"email": email, "country": "CO", "interests": ["training", "62"], "lang": "es"}
    r = client.post("/api/v1/interest", json=body)
    assert r.status_code == 202, r.text
    assert email not in r.text
    link = r.json()["unsubscribe"]
    assert email in private_nquads(store_dir)
    # Signing up again replaces the earlier sign-up: one person, the latest interests.
    again = client.post("/api/v1/interest", json={**body, "interests": ["knowledge"]})
    assert again.status_code == 202 and again.json()["unsubscribe"] == link
    held = [line for line in private_nquads(store_dir).splitlines() if "topic_interest" in line]
    mine = [line for line in held if line.split(" ")[0] == held_subject(store_dir, email)]
    assert [m.split(" ")[2] for m in mine] == [
        "<https://w3id.org/iatp/id/line-of-action/knowledge>"
    ]
    assert not sparql(
        client, f'ASK {{ GRAPH ?g {{ ?s ?p ?o FILTER(CONTAINS(STR(?o), "{email}")) }} }}'
    ).json()["boolean"]

    token = httpx.URL(link).params["token"]
    forged = token[:-2] + ("AA" if not token.endswith("AA") else "BB")
    bad = client.get("/api/v1/interest/unsubscribe", params={"token": forged, "lang": "es"})
    assert bad.status_code == 400 and "no es válido" in bad.json()["error"]["message"]
    assert email in private_nquads(store_dir)

    done = client.get(link)
    assert done.status_code == 200 and done.json()["removed"] is True
    assert email not in private_nquads(store_dir)
    assert held_subject(store_dir, email) is None
    twice = client.post(link)
    assert twice.status_code == 200 and twice.json()["removed"] is False


def held_subject(store_dir: Path, email: str) -> str | None:
    for line in private_nquads(store_dir).splitlines():
        if email in line:
            return line.split(" ")[0]
    return None


@pytest.mark.parametrize(
    ("changes", "field", "words"),
    [
        ({"country": "ES"}, "country", "país desconocido"),
        ({"interests": ["astrology"]}, "interests", "no es una línea de acción"),
        ({"interests": []}, "interests", "elementos"),
        ({"email": "not-an-address"}, "email", "correo electrónico"),
    ],
)
def test_invalid_interest_sign_up_is_422_in_spanish(client, store_dir, changes, field, words):
    body = {"email": "x@example.org", "country": "CO", "interests": ["training"], **changes}
    before = store_digest(store_dir)
    r = client.post("/api/v1/interest", json=body, headers={"Accept-Language": "es"})
    assert r.status_code == 422, r.text
    problems = {p["field"]: p["message"] for p in r.json()["error"]["problems"]}
    assert field in problems and (words in problems[field] or field == "interests"), problems
    assert store_digest(store_dir) == before


# ---- the canary -----------------------------------------------------------------------------
@pytest.mark.not_virtuoso(CITY_POINT)
def test_canary_contact_never_appears_on_a_public_surface(client, store_dir, registration):
    canary = f"canary-{uuid.uuid4().hex}"
    email = f"{canary}@example.org"
    body = registration(contact_email=email, contact_name=f"Name {canary}", contact_phone="+57 1")
    sub = submit(client, body).json()
    assert client.post(f"/api/v1/registrations/{sub['id']}/approve", headers=EDITOR).is_success
    iri = initiative_iri(body["name"])
    slug = slug_of(body["name"])
    # Positive controls: the canary is stored (privately), and the initiative is public.
    assert email in private_nquads(store_dir)
    assert canary in client.get("/api/v1/registrations", headers=EDITOR).text
    assert sparql(client, f"ASK {{ <{iri}> ?p ?o }}").json()["boolean"]

    surfaces: dict[str, str] = {}
    every = "SELECT ?g ?s ?p ?o WHERE { GRAPH ?g { ?s ?p ?o } }"
    surfaces["SELECT every quad"] = sparql(client, every).text
    surfaces["SELECT default graph"] = sparql(client, "SELECT * WHERE { ?s ?p ?o }").text
    found_by_ask = sparql(
        client,
        f"ASK {{ {{ GRAPH ?g {{ ?s ?p ?o }} }} UNION {{ ?s ?p ?o }} "
        f'FILTER(CONTAINS(STR(?o), "{canary}")) }}',
    ).json()["boolean"]
    surfaces["DESCRIBE"] = sparql(client, f"DESCRIBE <{iri}>", "application/n-triples").text
    surfaces["DESCRIBE contact"] = sparql(
        client, f"DESCRIBE <{iri}#contact>", "application/n-triples"
    ).text
    surfaces["CONSTRUCT"] = sparql(
        client, "CONSTRUCT { ?s ?p ?o } WHERE { GRAPH ?g { ?s ?p ?o } }", "application/n-triples"
    ).text
    surfaces["named private graph"] = sparql(
        client,
        f"SELECT * WHERE {{ GRAPH <{PRIVATE}registration-contacts/{sub['id']}> {{ ?s ?p ?o }} }}",
    ).text
    surfaces["status URL"] = client.get(sub["status_url"]).text
    surfaces["whole store"] = client.get("/store", headers={"Accept": "application/n-quads"}).text
    for path, accept in [
        (f"/id/initiative/{slug}", "text/html"),
        (f"/id/initiative/{slug}", "text/turtle"),
        (f"/id/initiative/{slug}", "application/ld+json"),
        (f"/api/v1/initiatives/{slug}", "application/ld+json"),
        (f"/api/v1/initiatives/{slug}", "text/csv"),
        (f"/api/v1/initiatives?q={slug.split('-')[-1]}", "application/json"),
        ("/api/v1/initiatives?limit=500", "application/geo+json"),
    ]:
        r = client.get(path, headers={"Accept": accept})
        if r.status_code == 200:
            surfaces[f"{path} {accept}"] = r.text
    dumps = client.get("/dumps/", headers={"Accept": "application/json"})
    if dumps.status_code == 200:
        for d in dumps.json()["dumps"]:
            content = client.get(d["url"]).content
            if content.startswith(b"\x1f\x8b"):
                content = gzip.decompress(content)
            surfaces[d["url"]] = content.decode()
            assert iri in surfaces[d["url"]], d  # the dump does hold the initiative
    for name, text in surfaces.items():
        if name.startswith(("/id/", "/api/v1/initiatives/")):
            assert body["name"] in text or iri in text, name  # the page is the initiative's
    assert iri in surfaces["SELECT every quad"] and iri in surfaces["CONSTRUCT"]
    leaks = [name for name, text in surfaces.items() if canary in text or email in text]
    assert not leaks and not found_by_ask, (leaks, found_by_ask)
