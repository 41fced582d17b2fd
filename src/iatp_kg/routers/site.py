"""The site: the home page (/), the map (/map). Server-rendered, bilingual (es/en by ``?lang=``
or ``Accept-Language``), usable without JavaScript; scripts only draw the charts and the map.

Every number on a page comes from a SPARQL query over the public graphs, through the executor,
cached per store version.
"""

from __future__ import annotations

from datetime import date
from urllib.parse import urlsplit

import orjson
from fastapi import APIRouter, Request
from fastapi.responses import HTMLResponse

from iatp_kg import reads
from iatp_kg.app import HTML_CSP
from iatp_kg.context import AppContext, ContextDep
from iatp_kg.pages import environment, language
from iatp_kg.routers.resources import best_label

router = APIRouter(tags=["Site"], include_in_schema=False)

BY_COUNTRY_AND_KIND = """
SELECT ?country ?code ?kind (COUNT(DISTINCT ?i) AS ?n) WHERE {
  ?i iatp:initiativeKind ?kind ; iatp:country ?country .
  ?country iatp:iso3166Alpha2 ?code .
} GROUP BY ?country ?code ?kind
"""
BY_SECTION = """
SELECT ?section ?code (COUNT(DISTINCT ?i) AS ?n) WHERE {
  ?i iatp:initiativeKind ?k ; iatp:sector ?s .
  ?s skos:broader* ?section .
  ?section skos:notation ?code ; skos:inScheme <https://w3id.org/iatp/id/scheme/isic> .
  FILTER NOT EXISTS { ?section skos:broader ?up }
} GROUP BY ?section ?code
"""
BY_YEAR = """
SELECT ?year (COUNT(DISTINCT ?i) AS ?n) WHERE {
  ?i iatp:foundingYear ?y . BIND(STR(?y) AS ?year)
} GROUP BY ?year ORDER BY ?year
"""
TOTALS = """
SELECT
  (COUNT(DISTINCT ?i) AS ?initiatives)
  (COUNT(DISTINCT ?c) AS ?countries)
WHERE { ?i iatp:initiativeKind ?k ; iatp:country ?c }
"""
ACTORS = """
SELECT (COUNT(DISTINCT ?a) AS ?actors) WHERE { ?m org:organization ?i ; org:member ?a }
"""
LABELS = """
SELECT ?x ?label WHERE {
  { ?x a iatp:Country } UNION { ?x skos:inScheme <https://w3id.org/iatp/id/scheme/initiative-kind> }
  UNION { ?x skos:inScheme <https://w3id.org/iatp/id/scheme/isic> . FILTER NOT EXISTS { ?x skos:broader ?up } }
  ?x rdfs:label|skos:prefLabel ?label .
}
"""
EVENTS = """
SELECT ?event ?name ?date ?status ?session WHERE {
  VALUES ?class { iatp:Workshop iatp:CommunityMeeting iatp:TrainingSession }
  ?event a ?class ; rdfs:label ?name .
  OPTIONAL { ?event schema:startDate ?date }
  OPTIONAL { ?event schema:eventStatus ?status }
  OPTIONAL { ?event iatp:sessionNumber ?session }
}
"""
LATEST_REGISTRATIONS = """
SELECT ?i ?name ?when WHERE {
  GRAPH ?g { ?i iatp:initiativeKind ?k ; rdfs:label ?name . }
  FILTER(STRSTARTS(STR(?g), "https://w3id.org/iatp/id/graph/registration/"))
  OPTIONAL { GRAPH ?g { ?g prov:wasGeneratedBy/prov:endedAtTime ?when } }
} ORDER BY DESC(?when) LIMIT 10
"""


def _labels(rows: list[dict]) -> dict[str, list[tuple[str, str]]]:
    out: dict[str, list[tuple[str, str]]] = {}
    for r in rows:
        out.setdefault(r["x"]["value"], []).append(
            (r["label"]["value"], r["label"].get("xml:lang", ""))
        )
    return out


async def home_data(ctx: AppContext) -> dict:
    """What the home page shows, language-neutral, cached per store version."""
    return await ctx.per_version("home", lambda: _home_data(ctx))


async def _home_data(ctx: AppContext) -> dict:
    labels = _labels(await reads.select(ctx, LABELS))
    totals = (await reads.select(ctx, TOTALS))[0]
    actors = (await reads.select(ctx, ACTORS))[0]
    data = {
        "labels": labels,
        "totals": {
            "initiatives": int(totals["initiatives"]["value"]),
            "countries": int(totals["countries"]["value"]),
            "actors": int(actors["actors"]["value"]),
        },
        "by_country_kind": [
            (r["country"]["value"], r["code"]["value"], r["kind"]["value"], int(r["n"]["value"]))
            for r in await reads.select(ctx, BY_COUNTRY_AND_KIND)
        ],
        "by_section": [
            (r["section"]["value"], r["code"]["value"], int(r["n"]["value"]))
            for r in await reads.select(ctx, BY_SECTION)
        ],
        "by_year": [
            (r["year"]["value"], int(r["n"]["value"])) for r in await reads.select(ctx, BY_YEAR)
        ],
        "events": await reads.select(ctx, EVENTS),
        "latest": await reads.select(ctx, LATEST_REGISTRATIONS),
    }
    return data


def _local(iri: str, ctx: AppContext) -> str:
    base = ctx.settings.id_base
    return "/id/" + iri[len(base) :] if iri.startswith(base) else iri


def home_view(data: dict, lang: str, ctx: AppContext, today: date) -> dict:
    """The home page's tables and chart series in one language."""
    label = lambda iri: best_label(data["labels"].get(iri, []), lang) or iri.rsplit("/", 1)[-1]  # noqa: E731
    kinds = sorted({k for _, _, k, _ in data["by_country_kind"]}, key=label)
    countries: dict[str, dict] = {}
    for country, code, kind, n in data["by_country_kind"]:
        row = countries.setdefault(
            country,
            {"iri": country, "href": _local(country, ctx), "name": label(country), "code": code,
             "counts": {}, "total": 0},
        )  # fmt: skip
        row["counts"][kind] = n
    # an initiative may have two kinds? no: one kind each, so the row total is the sum
    for row in countries.values():
        row["total"] = sum(row["counts"].values())
    table = sorted(countries.values(), key=lambda r: (-r["total"], r["name"]))
    sections = sorted(
        (
            {"code": code, "name": label(iri), "href": _local(iri, ctx), "n": n}
            for iri, code, n in data["by_section"]
        ),
        key=lambda s: (-s["n"], s["code"]),
    )
    events = {}
    for r in data["events"]:
        e = events.setdefault(
            r["event"]["value"],
            {"href": _local(r["event"]["value"], ctx), "names": [], "date": None, "status": None},
        )
        e["names"].append((r["name"]["value"], r["name"].get("xml:lang", "")))
        if "date" in r:
            e["date"] = r["date"]["value"]
        if "status" in r:
            e["status"] = r["status"]["value"].rsplit("/", 1)[-1]
    past, upcoming = [], []
    for e in events.values():
        e["name"] = best_label(e["names"], lang)
        is_past = e["status"] == "EventCompleted" or (
            e["date"] is not None and e["date"] < today.isoformat()
        )
        (past if is_past else upcoming).append(e)
    past.sort(key=lambda e: e["date"] or "", reverse=True)
    upcoming.sort(key=lambda e: e["date"] or "9999")
    latest = [
        {"href": _local(r["i"]["value"], ctx), "name": r["name"]["value"], "when": reads.value(r, "when", "")[:10]}
        for r in data["latest"]
    ]  # fmt: skip
    charts = {
        "country": {
            "labels": [r["name"] for r in table],
            "values": [r["total"] for r in table],
        },
        "sector": {
            "labels": [f"{s['code']} · {s['name']}" for s in sections],
            "values": [s["n"] for s in sections],
        },
        "year": {
            "labels": [y for y, _ in data["by_year"]],
            "values": [n for _, n in data["by_year"]],
        },
    }
    return {
        "totals": data["totals"],
        "kinds": [{"iri": k, "name": label(k)} for k in kinds],
        "countries": table,
        "sections": sections,
        "years": data["by_year"],
        "past": past,
        "upcoming": upcoming,
        "latest": latest,
        "charts_json": orjson.dumps(charts).decode().replace("<", "\\u003c"),
    }


@router.get("/", response_class=HTMLResponse)
async def home(request: Request, ctx: ContextDep) -> HTMLResponse:
    lang = language(request)
    view = home_view(await home_data(ctx), lang, ctx, date.today())
    page = environment().get_template("home.html").render(lang=lang, **view)
    return HTMLResponse(page, headers={"Vary": "Accept-Language"})


MAP_FEATURES = """
SELECT ?i ?name ?lat ?long ?kind ?country ?code ?section WHERE {
  ?i iatp:initiativeKind ?kind ; rdfs:label ?name ; iatp:country ?country ;
     geo:hasGeometry ?g .
  ?g wgs84:lat ?lat ; wgs84:long ?long .
  ?country iatp:iso3166Alpha2 ?code .
  OPTIONAL {
    ?i iatp:sector ?s . ?s skos:broader* ?section .
    ?section skos:inScheme <https://w3id.org/iatp/id/scheme/isic> .
    FILTER NOT EXISTS { ?section skos:broader ?up }
  }
}
"""


async def map_features(ctx: AppContext) -> list[dict]:
    """One GeoJSON Feature per georeferenced initiative, cached per store version."""

    async def build() -> list[dict]:
        features: dict[str, dict] = {}
        for r in await reads.select(ctx, MAP_FEATURES):
            iri = r["i"]["value"]
            f = features.setdefault(
                iri,
                {
                    "type": "Feature",
                    "id": iri,
                    "geometry": {
                        "type": "Point",
                        "coordinates": [float(r["long"]["value"]), float(r["lat"]["value"])],
                    },
                    "properties": {
                        "name": r["name"]["value"],
                        "url": _local(iri, ctx),
                        "kind": r["kind"]["value"],
                        "country": r["code"]["value"],
                        "sections": [],
                    },
                },
            )
            if "section" in r:
                code = r["section"]["value"].rsplit("/", 1)[-1]
                if code not in f["properties"]["sections"]:
                    f["properties"]["sections"].append(code)
        return sorted(features.values(), key=lambda f: f["properties"]["name"])

    return await ctx.per_version("map", build)


@router.get("/map", response_class=HTMLResponse)
async def map_page(request: Request, ctx: ContextDep) -> HTMLResponse:
    lang = language(request)
    data = await home_data(ctx)
    features = await map_features(ctx)
    label = lambda iri: best_label(data["labels"].get(iri, []), lang) or iri.rsplit("/", 1)[-1]  # noqa: E731
    kinds = sorted({f["properties"]["kind"] for f in features}, key=label)
    countries = sorted({(f["properties"]["country"]) for f in features})
    country_names = {code: label(iri) for iri, code, _, _ in data["by_country_kind"]}
    sections = sorted({s for f in features for s in f["properties"]["sections"]})
    section_names = {code: label(iri) for iri, code, _ in data["by_section"]}
    page = (
        environment()
        .get_template("map.html")
        .render(
            lang=lang,
            features=features,
            kinds=[{"iri": k, "name": label(k)} for k in kinds],
            countries=[{"code": c, "name": country_names.get(c, c)} for c in countries],
            sections=[{"code": s, "name": section_names.get(s, s)} for s in sections],
            kind_names={k: label(k) for k in kinds},
            geojson=orjson.dumps({"type": "FeatureCollection", "features": features})
            .decode()
            .replace("<", "\\u003c"),
            tile_url=ctx.settings.map_tile_url,
            tile_attribution=ctx.settings.map_tile_attribution,
        )
    )
    headers = {"Vary": "Accept-Language"}
    if ctx.settings.map_tile_url:
        # the page's own policy: images may also come from the tile server
        tiles = urlsplit(ctx.settings.map_tile_url.replace("{s}.", ""))
        headers["Content-Security-Policy"] = HTML_CSP.replace(
            "img-src 'self' data:",
            f"img-src 'self' data: {tiles.scheme}://*.{tiles.netloc} {tiles.scheme}://{tiles.netloc}",
        )
    return HTMLResponse(page, headers=headers)


# ---- /register: the registration form, generated from the shapes ----------------------------
CHOICES = """
SELECT ?scheme ?code ?label WHERE {
  { ?c skos:inScheme ?scheme ; skos:notation ?code ; skos:prefLabel ?label }
  UNION
  { ?c a iatp:Country ; iatp:iso3166Alpha2 ?code ; rdfs:label ?label . BIND("country" AS ?scheme) }
}
"""


async def form_choices(ctx: AppContext) -> dict[str, dict[str, list[tuple[str, str]]]]:
    """{scheme: {code: [(label, lang)]}} for the form's lists, cached per store version."""

    async def build() -> dict[str, dict[str, list[tuple[str, str]]]]:
        out: dict[str, dict[str, list[tuple[str, str]]]] = {}
        for r in await reads.select(ctx, CHOICES):
            out.setdefault(r["scheme"]["value"], {}).setdefault(r["code"]["value"], []).append(
                (r["label"]["value"], r["label"].get("xml:lang", ""))
            )
        return out

    return await ctx.per_version("form-choices", build)


def _form_view(choices: dict, lang: str, values: dict, problems: dict) -> list[dict]:
    from iatp_kg.shape_form import fields

    view = []
    for f in fields():
        options = None
        if f.scheme:
            codes = choices.get(f.scheme, {})
            options = sorted(
                ((code, best_label(labels, lang) or code) for code, labels in codes.items()),
                key=lambda o: (len(o[0]) > 1, o[0]) if f.name == "sectors" else o[1],
            )
        elif f.choices:
            options = [(c, c) for c in f.choices]
        view.append(
            {
                "name": f.name,
                "label": f.label.get(lang) or f.label.get("en") or f.name,
                "help": f.help.get(lang) or f.help.get("en") or "",
                "required": f.required,
                "multiple": f.multiple,
                "widget": f.widget,
                "options": options,
                "private": f.private,
                "values": values.get(f.name, []),
                "problem": problems.get(f.name),
            }
        )
    return view


async def _render_register(
    request, ctx, lang, values=None, problems=None, general=None, done=None, status=200
):
    choices = await form_choices(ctx)
    page = (
        environment()
        .get_template("register.html")
        .render(
            lang=lang,
            fields=_form_view(choices, lang, values or {}, problems or {}),
            general=general or [],
            done=done,
        )
    )
    return HTMLResponse(page, status_code=status, headers={"Vary": "Accept-Language"})


@router.get("/register", response_class=HTMLResponse)
async def register_page(request: Request, ctx: ContextDep) -> HTMLResponse:
    return await _render_register(request, ctx, language(request))


@router.post("/register", response_class=HTMLResponse)
async def register_submit(request: Request, ctx: ContextDep) -> HTMLResponse:
    """Without JavaScript: the form's fields become the registration JSON, which is posted
    to the registration API in-process (the same checks and storage as any client)."""
    import httpx

    from iatp_kg.shape_form import to_registration

    lang = language(request)
    form = await request.form()
    values = {k: [str(v) for v in form.getlist(k)] for k in form}
    doc = to_registration(values)
    transport = httpx.ASGITransport(app=request.app)
    async with httpx.AsyncClient(transport=transport, base_url="http://internal") as client:
        r = await client.post(
            f"/api/v1/registrations?lang={lang}",
            content=orjson.dumps(doc),
            headers={"content-type": "application/json", "accept-language": lang},
        )
    if r.status_code == 202:
        body = r.json()
        status_path = "/api/v1/registrations/" + body["id"]
        return await _render_register(
            request, ctx, lang, done={"status_url": status_path, "message": body.get("message", "")},
            status=202,
        )  # fmt: skip
    error = r.json().get("error", {})
    problems: dict[str, str] = {}
    general = []
    for p in error.get("problems") or []:
        field = str(p.get("field") or "").split(".")[0].split("[")[0]
        if field:
            problems[field] = (problems.get(field, "") + " " + p["message"]).strip()
        else:
            general.append(p["message"])
    if not problems and not general:
        general.append(error.get("message", "error"))
    return await _render_register(
        request, ctx, lang, values, problems, general, status=r.status_code
    )
