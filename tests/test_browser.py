"""The site in a real browser: Playwright for Python driving Debian's Chromium, headless.

`scripts/test` installs Debian's `chromium` when it is missing (and sets
IATP_KG_TOOLS_REQUIRED=1, so a missing browser fails these tests instead of skipping them).
Screenshots go to tests/artifacts/screenshots/ (set IATP_KG_ARTIFACTS to change it).
"""

from __future__ import annotations

import os
import shutil
from pathlib import Path

import httpx
import pytest

CHROMIUM = shutil.which("chromium") or "/usr/bin/chromium"
ARTIFACTS = Path(os.environ.get("IATP_KG_ARTIFACTS", Path(__file__).parent / "artifacts"))
SHOTS = ARTIFACTS / "screenshots"

if not Path(CHROMIUM).exists():
    if os.environ.get("IATP_KG_TOOLS_REQUIRED") == "1":
        raise RuntimeError(f"Debian's chromium is required for the browser tests ({CHROMIUM})")
    pytest.skip(
        "Debian's chromium is not installed (scripts/test installs it)", allow_module_level=True
    )

sync_api = pytest.importorskip("playwright.sync_api")


def count(server: str, query: str) -> int:
    r = httpx.post(f"{server}/sparql", data={"query": query}, timeout=60)
    assert r.status_code == 200, r.text
    return int(r.json()["results"]["bindings"][0]["n"]["value"])


@pytest.fixture(scope="module")
def browser():
    with sync_api.sync_playwright() as p:
        b = p.chromium.launch(executable_path=CHROMIUM, headless=True, args=["--no-sandbox"])
        yield b
        b.close()


@pytest.fixture
def page(browser):
    context = browser.new_context(viewport={"width": 1280, "height": 900}, locale="en-US")
    page = context.new_page()
    outside = []
    page.on(
        "request",
        lambda req: (
            outside.append(req.url)
            if not req.url.startswith(("http://127.0.0.1", "data:", "blob:"))
            else None
        ),
    )
    yield page
    context.close()
    assert not outside, f"the page fetched from elsewhere: {outside}"


def shot(page, name: str) -> None:
    SHOTS.mkdir(parents=True, exist_ok=True)
    page.screenshot(path=str(SHOTS / f"{name}.png"), full_page=False)


def test_home_shows_the_numbers_sparql_counts(server, page):
    page.goto(f"{server}/")
    initiatives = count(
        server, "SELECT (COUNT(DISTINCT ?i) AS ?n) WHERE { ?i iatp:initiativeKind ?k }"
    )
    countries = count(
        server,
        "SELECT (COUNT(DISTINCT ?c) AS ?n) WHERE { ?i iatp:initiativeKind ?k ; iatp:country ?c }",
    )
    actors = count(
        server, "SELECT (COUNT(DISTINCT ?a) AS ?n) WHERE { ?m org:organization ?i ; org:member ?a }"
    )
    assert page.locator("[data-figure=initiatives]").inner_text() == str(initiatives)
    assert page.locator("[data-figure=countries]").inner_text() == str(countries)
    assert page.locator("[data-figure=actors]").inner_text() == str(actors)
    for row in page.locator("#by-country-kind tbody tr").all():
        code = row.get_attribute("data-country")
        expected = count(
            server,
            "SELECT (COUNT(DISTINCT ?i) AS ?n) WHERE { ?i iatp:initiativeKind ?k ; iatp:country ?c . "
            f'?c iatp:iso3166Alpha2 "{code}" }}',
        )
        assert row.locator("[data-total]").inner_text() == str(expected), code
    page.wait_for_selector("body[data-charts-ready]", state="attached")
    assert page.locator("canvas#chart-country").bounding_box()["height"] > 50
    shot(page, "home")
    page.goto(f"{server}/?lang=es")
    assert page.locator("html").get_attribute("lang") == "es"
    assert "Iniciativas por país y tipo" in page.content()


def test_home_follows_accept_language(browser, server):
    context = browser.new_context(locale="es-CO")
    page = context.new_page()
    page.goto(f"{server}/")
    assert page.locator("html").get_attribute("lang") == "es"
    context.close()


def test_map_has_one_marker_per_georeferenced_initiative_and_filters(server, page):
    page.goto(f"{server}/map")
    page.wait_for_selector("body[data-map-ready]", state="attached")
    located = count(
        server,
        "SELECT (COUNT(DISTINCT ?i) AS ?n) WHERE { ?i iatp:initiativeKind ?k ; iatp:country ?c ; "
        "geo:hasGeometry/wgs84:lat ?lat }",
    )
    assert located > 10
    assert page.evaluate("window.iatpMap.cluster.getLayers().length") == located
    assert page.locator("#shown").inner_text() == str(located)
    page.wait_for_selector(".leaflet-marker-icon")  # clusters or markers drawn
    shot(page, "map")
    colombia = count(
        server,
        "SELECT (COUNT(DISTINCT ?i) AS ?n) WHERE { ?i iatp:initiativeKind ?k ; "
        'iatp:country/iatp:iso3166Alpha2 "CO" ; geo:hasGeometry/wgs84:lat ?lat }',
    )
    page.select_option("#f-country", "CO")
    assert page.evaluate("window.iatpMap.cluster.getLayers().length") == colombia
    assert 0 < colombia < located
    page.select_option("#f-country", "")
    page.select_option("#f-sector", "C")
    manufacturing = count(
        server,
        "SELECT (COUNT(DISTINCT ?i) AS ?n) WHERE { ?i iatp:initiativeKind ?k ; geo:hasGeometry/wgs84:lat ?lat ; "
        "iatp:sector/skos:broader* <https://w3id.org/iatp/id/isic/C> }",
    )
    assert page.evaluate("window.iatpMap.cluster.getLayers().length") == manufacturing
    # each marker links to its initiative's page
    first = page.evaluate("window.iatpMap.cluster.getLayers()[0].feature.properties.url")
    assert first.startswith("/id/initiative/")
    assert httpx.get(server + first, headers={"accept": "text/html"}).status_code == 200


def test_an_example_query_runs_in_the_editor(server, page):
    page.goto(f"{server}/sparql", wait_until="networkidle")
    button = page.locator(".yasqe_queryButton >> visible=true").first
    button.wait_for()
    button.click()
    rows = page.locator(".yasr .dataTable tbody tr")
    rows.first.wait_for(timeout=30_000)
    assert rows.count() > 0
    shot(page, "editor")


def test_the_registration_form_follows_the_shapes_submits_and_shows_errors(admin_server, page):
    from iatp_kg.shape_form import fields

    page.goto(f"{admin_server}/register?lang=es")
    # labels, required marks and value lists come from the shapes and the SKOS schemes
    for f in fields():
        label = page.locator(f'label[for="f-{f.name}"]').inner_text()
        assert label.startswith(f.label["es"]), (f.name, label)
        assert label.endswith("*") == f.required, f.name
    kinds = count(
        admin_server,
        "SELECT (COUNT(?c) AS ?n) WHERE { ?c skos:inScheme <https://w3id.org/iatp/id/scheme/initiative-kind> }",
    )
    assert page.locator("#f-kind option").count() == kinds + 1  # and the empty choice
    # a bad entry: the answer names the field, in Spanish
    page.fill("#f-name", "Clúster de Prueba del Navegador")
    page.select_option("#f-kind", "cluster")
    page.select_option("#f-country", "CO")
    page.fill("#f-founded", "3000")
    page.fill("#f-contact_email", "no-es-un-correo")
    page.click("#register button[type=submit]")
    page.wait_for_selector("#problems[data-answered='422']")
    assert "año de fundación" in page.locator("#problems").inner_text()
    assert page.locator('[data-field="founded"] .error').inner_text() != ""
    assert page.locator('[data-field="contact_email"] .error').inner_text() != ""
    shot(page, "register-errors")
    # corrected, it is received
    page.fill("#f-founded", "2016")
    page.fill("#f-contact_email", "navegador@example.org")
    page.select_option("#f-sectors", ["62", "C"])
    page.click("#register button[type=submit]")
    page.wait_for_selector("#confirmation:not([hidden])")
    status_url = page.locator("#confirmation a").get_attribute("href")
    status = httpx.get(admin_server + status_url).json()
    assert status["status"] == "pending" and status["name"] == "Clúster de Prueba del Navegador"
    shot(page, "register-done")


def test_the_registration_form_works_without_javascript(browser, admin_server):
    context = browser.new_context(java_script_enabled=False, locale="en-US")
    page = context.new_page()
    page.goto(f"{admin_server}/register")
    page.fill("#f-name", "Clúster Sin JavaScript")
    page.select_option("#f-kind", "cluster")
    page.select_option("#f-country", "MX")
    page.fill("#f-latitude", "60")  # far outside Mexico
    page.fill("#f-longitude", "-100")
    page.fill("#f-contact_email", "sin-js@example.org")
    page.click("#register button[type=submit]")
    assert page.locator("#problems").is_visible()
    assert (
        "latitude" in page.locator("#problems").inner_text().lower()
        or "coordinates" in page.locator("#problems").inner_text().lower()
    )
    page.fill("#f-latitude", "")
    page.fill("#f-longitude", "")
    page.click("#register button[type=submit]")
    assert page.locator("#confirmation").is_visible()
    context.close()


def test_an_initiative_page_is_linked_and_has_a_small_map(server, page):
    located = httpx.post(
        f"{server}/sparql",
        data={
            "query": "SELECT ?i WHERE { ?i iatp:initiativeKind ?k ; geo:hasGeometry/wgs84:lat ?l ; iatp:country ?c } ORDER BY ?i LIMIT 1"
        },
    ).json()["results"]["bindings"][0]["i"]["value"]
    path = "/id/" + located.split("/id/", 1)[1]
    page.goto(f"{server}{path}")
    page.wait_for_selector("body[data-minimap-ready]", state="attached")
    assert page.locator("#minimap .leaflet-marker-icon").count() == 1
    assert page.locator('a[href^="/id/country/"]').count() >= 1
    assert (
        page.locator('a[href="/sparql?lang=en"]').count() == 1
    )  # the query editor, from every page
    shot(page, "initiative")
    page.locator('a[href^="/id/country/"]').first.click()
    assert page.locator("h1").inner_text()
