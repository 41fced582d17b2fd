"""Match-making: ``GET /api/v1/initiatives/{slug}/matches``.

The features of every initiative are read by one constant SPARQL query (through the
executor, public graphs only) once per store version and kept in ``ctx.cache``; a request then
costs a dictionary lookup and the scoring of :mod:`iatp_kg.matching`. No request value reaches
SPARQL text: the slug only names an entry of the cached features.
"""

from __future__ import annotations

import asyncio
import threading
from typing import Annotated

import orjson
from fastapi import APIRouter, Path, Request, Response

from iatp_kg import api_params, matching, reads
from iatp_kg.context import AppContext, ContextDep
from iatp_kg.errors import BadRequest, NotFound
from iatp_kg.routers.sparql import cache_headers, etag_for, not_modified

router = APIRouter(prefix="/api/v1", tags=["REST"])

DEFAULT_LIMIT, MAX_LIMIT = 10, 100
PARAMETERS = ("limit", "lang")
CACHE_KEY = "matches-features"
RANKINGS_KEPT = 256  # per store version

# One row per triple of the predicates matching reads, each branch a single triple pattern:
# over the union of the public graphs a store answers those fastest, and the joins (a
# membership's two ends, a geometry's coordinates, a concept's code) are cheap in Python
# (matching.build). 10,000 synthetic initiatives: about 300,000 rows.
Q_FACTS = """
SELECT ?s ?attr ?v WHERE {
  { ?s iatp:initiativeKind ?v . BIND("kind" AS ?attr) }
  UNION { ?s rdfs:label ?v . BIND("label" AS ?attr) }
  UNION { ?s skos:prefLabel ?v . BIND("prefLabel" AS ?attr) }
  UNION { ?s iatp:country ?v . BIND("country" AS ?attr) }
  UNION { ?s iatp:iso3166Alpha2 ?v . BIND("iso2" AS ?attr) }
  UNION { ?s iatp:sector ?v . BIND("sector" AS ?attr) }
  UNION { ?s skos:notation ?v . BIND("notation" AS ?attr) }
  UNION { ?s skos:broader ?v . BIND("broader" AS ?attr) }
  UNION { ?s skos:inScheme ?v . BIND("scheme" AS ?attr) }
  UNION { ?s iatp:addressesChallenge ?v . BIND("challenge" AS ?attr) }
  UNION { ?s iatp:lineOfAction ?v . BIND("line" AS ?attr) }
  UNION { ?s org:organization ?v . BIND("membership-of" AS ?attr) }
  UNION { ?s org:member ?v . BIND("membership-member" AS ?attr) }
  UNION { ?s iatp:involvesInitiative ?v . BIND("involves" AS ?attr) }
  UNION { ?s iatp:spansCountry ?v . BIND("spans" AS ?attr) }
  UNION { ?s a ?v . FILTER(?v = iatp:RegionalIntegrationProject) BIND("project" AS ?attr) }
  UNION { ?s geo:hasGeometry ?v . BIND("geometry" AS ?attr) }
  UNION { ?s wgs84:lat ?v . BIND("lat" AS ?attr) }
  UNION { ?s wgs84:long ?v . BIND("long" AS ?attr) }
}"""


class Features:
    """The cached input of scoring for one store version."""

    def __init__(self, rows: list[dict]) -> None:
        self.initiatives, self.world = matching.build(
            rows, matching.load_chains(), matching.geonames_neighbours()
        )
        self.ordered = sorted(self.initiatives.values(), key=lambda i: i.iri)
        self.ranked: dict[str, list[matching.Match]] = {}  # the latest rankings asked for
        self.lock = threading.Lock()

    def rank(self, target: matching.Initiative) -> list[matching.Match]:
        ranked = self.ranked.get(target.iri)
        if ranked is None:
            ranked = matching.rank(target, self.ordered, self.world)
            with self.lock:
                while len(self.ranked) >= RANKINGS_KEPT:
                    self.ranked.pop(next(iter(self.ranked)))
                self.ranked[target.iri] = ranked
        return ranked


async def features(ctx: AppContext) -> Features:
    """The features of every initiative at the store's current version (read once)."""

    async def build() -> Features:
        return await asyncio.to_thread(Features, await reads.select(ctx, Q_FACTS))

    return await ctx.per_version(CACHE_KEY, build)


# ---- parameters ------------------------------------------------------------------------------
def _parameters(request: Request) -> dict[str, str]:
    unknown = sorted({k for k in request.query_params if k not in PARAMETERS})
    if unknown:
        shown = ", ".join(repr(u[:40]) for u in unknown[:5])
        raise BadRequest(f"unknown parameter {shown}; this route takes {', '.join(PARAMETERS)}")
    params: dict[str, str] = {}
    for name, value in request.query_params.multi_items():
        if name in params:
            raise BadRequest(f"{name}: given more than once; give it once")
        params[name] = api_params.text_value(name, value, 100)
    return params


# ---- the response ----------------------------------------------------------------------------
def _name(initiative: matching.Initiative) -> dict[str, str]:
    return {lang or "@none": text for lang, text in initiative.names.items()}


def _match(match: matching.Match, world: matching.World, lang: str) -> dict:
    i = match.initiative
    return {
        "id": i.iri,
        "name": _name(i),
        "country": [{"id": iri, "code": code} for code, iri in i.countries.items()],
        "score": match.score,
        "reasons": [
            {
                "type": r.type,
                "detail": matching.describe(r, world, lang),
                "weight": r.weight,
                **r.evidence,
            }
            for r in match.reasons
        ],
        "api": f"/api/v1/initiatives/{i.iri.rsplit('/', 1)[-1]}",
    }


EXAMPLE = {
    "id": "https://w3id.org/iatp/id/initiative/cluster-de-software-bogota",
    "name": {"es": "Clúster de Software y TI de Bogotá"},
    "limit": 10,
    "total": 1,
    "matches": [
        {
            "id": "https://w3id.org/iatp/id/initiative/cluster-negocios-digitales",
            "name": {"es": "Clúster Negocios Digitales"},
            "country": [{"id": "https://w3id.org/iatp/id/country/co", "code": "CO"}],
            "score": 0.2547,
            "reasons": [
                {
                    "type": "shared-sector",
                    "detail": "Same ISIC sectors: 62 Computer programming, consultancy and "
                    "related activities; 63 Information service activities",
                    "weight": 0.2,
                    "sectors": ["62", "63"],
                },
                {"type": "distance", "detail": "246.1 km apart", "weight": 0.0547, "km": 246.1},
            ],
            "api": "/api/v1/initiatives/cluster-negocios-digitales",
        }
    ],
}


OPENAPI_PARAMETERS = [
    {
        "name": "limit",
        "in": "query",
        "required": False,
        "example": 10,
        "description": "How many matches, 1–100 (default 10).",
        "schema": {"type": "integer", "minimum": 1, "maximum": MAX_LIMIT},
    },
    {
        "name": "lang",
        "in": "query",
        "required": False,
        "example": "es",
        "description": "Language of each reason's `detail` (default en).",
        "schema": {"enum": ["en", "es"]},
    },
]  # fmt: skip


@router.get(
    "/initiatives/{slug}/matches",
    summary="Initiatives: matches",
    description="Other initiatives worth connecting with, best first: each with its `score` "
    "(the sum of its reasons' weights) and `reasons` (`type`, a readable `detail` in `lang`, "
    "`weight`, and the evidence: sectors, value-chain links, challenges, lines of action, "
    "actors, `km`, countries, projects). Equal scores come in IRI order; only matches with a "
    "positive score are listed; `total` counts them all. The formula and every weight: "
    "docs/matching.md. Parameters: `limit` (1–100, default 10), `lang` (`en` or `es`, the "
    "language of `detail`). Unknown initiative: 404; a bad slug or parameter: 400 naming it.",
    responses={
        200: {"content": {"application/json": {"example": EXAMPLE}}},
        400: {"description": "A bad slug or parameter; the message names it."},
        404: {"description": "No such initiative."},
    },
    openapi_extra={"parameters": OPENAPI_PARAMETERS},
)
async def initiative_matches(
    request: Request,
    ctx: ContextDep,
    slug: Annotated[str, Path(description="The last segment of the initiative's IRI.")],
) -> Response:
    params = _parameters(request)
    slug = api_params.slug(slug, "slug")
    limit = api_params.limit(params.get("limit"), DEFAULT_LIMIT, MAX_LIMIT)
    lang = api_params.choice("lang", params["lang"], ("en", "es")) if "lang" in params else "en"
    found = await features(ctx)
    iri = f"{ctx.settings.id_base}initiative/{slug}"
    target = found.initiatives.get(iri)
    if target is None:
        raise NotFound(f"no initiative {slug!r}")
    etag = etag_for(ctx.store.version, "matches", slug, limit, lang)
    headers = cache_headers(ctx, etag)
    if not_modified(request, etag, ctx.store.last_modified):
        return Response(status_code=304, headers=headers)
    # in a thread: 10,000 initiatives take a few hundred milliseconds to score
    ranked = await asyncio.to_thread(found.rank, target)
    body = {
        "id": iri,
        "name": _name(target),
        "limit": limit,
        "total": len(ranked),
        "matches": [_match(m, found.world, lang) for m in ranked[:limit]],
    }
    return Response(orjson.dumps(body), media_type="application/json", headers=headers)
