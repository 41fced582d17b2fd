"""The OpenAPI description of the REST facade: each query parameter with its description, schema
and example, and an example response per media type. The routes read their parameters
themselves (to refuse unknown and repeated ones), so they are declared here for the schema."""

from __future__ import annotations

from iatp_kg.api_index import RESOURCES
from iatp_kg.api_params import ACTOR_SECTORS, INITIATIVE_KINDS
from iatp_kg.api_render import CSV, GEOJSON, JSON, JSONLD, extensions

PARAMETERS = {
    "kind": ("The initiative kind.", {"type": "string", "enum": list(INITIATIVE_KINDS)}, "cluster"),
    "country": ("An ISO 3166-1 alpha-2 code (case ignored).", {"type": "string"}, "CO"),
    "subdivision": ("An ISO 3166-2 code: initiatives located in it or in a place within it.",
                    {"type": "string"}, "CO-ANT"),
    "sector": ("An ISIC Rev.4 code: a section letter or a division; includes what lies below "
               "it (`C` finds initiatives in divisions 10–33).", {"type": "string"}, "C"),
    "actor_sector": ("The sector of a member actor (initiatives) or of the actor (actors).",
                     {"type": "string", "enum": list(ACTOR_SECTORS)}, "academic"),
    "q": ("Text found in a name, alternative name or hidden name, in any language; case and "
          "accents are ignored (`cluster automotriz` finds `Clúster Automotriz`). "
          "At most 200 characters.", {"type": "string"}, "cluster automotriz"),
    "bbox": ("`minLon,minLat,maxLon,maxLat` in WGS 84 degrees; minLon > maxLon crosses the "
             "antimeridian. Things without a point are left out.", {"type": "string"},
             "-80,-5,-66,13"),
    "founded_from": ("The first founding year (inclusive).", {"type": "integer"}, 2000),
    "founded_to": ("The last founding year (inclusive).", {"type": "integer"}, 2020),
    "limit": ("Page size, 1–500 (default 20).",
              {"type": "integer", "minimum": 1, "maximum": 500}, 20),
    "cursor": ("The opaque cursor of the previous page's `next` link (signed; tied to the "
               "filters and sort it was made for).", {"type": "string"}, None),
    "lang": ("The language of the single name written in GeoJSON and CSV (es or en; default "
             "en, falling back to the other, then to any).",
             {"type": "string", "enum": ["es", "en"]}, "es"),
}  # fmt: skip
COMMON = ("sort", "limit", "cursor", "format", "lang")


def parameters(resource: str, *, detail: bool = False) -> list[dict]:
    """The query parameters of a resource's list (or detail) route, for OpenAPI."""
    spec = RESOURCES[resource]
    names = ("format", "lang") if detail else (*spec.filters, *COMMON)
    out = []
    for name in names:
        if name == "format":
            names = extensions(resource)
            description = f"Overrides Accept: {', '.join(f'`{n}`' for n in names)}."
            schema, example = {"type": "string", "enum": names}, None
        elif name == "sort":
            description = f"The order: {', '.join(spec.sorts)} (`-` descending; default name)."
            schema, example = {"type": "string", "enum": list(spec.sorts)}, spec.sorts[0]
        else:
            description, schema, example = PARAMETERS[name]
        param = {"name": name, "in": "query", "required": False, "description": description,
                 "schema": schema}  # fmt: skip
        if example is not None:
            param["example"] = example
        out.append(param)
    return out


_INITIATIVE = {
    "id": "https://w3id.org/iatp/id/initiative/cluster-industrias-creativas-medellin",
    "type": ["ClusterInitiative"],
    "name": {"es": "Clúster Industrias Creativas"},
    "page": "/id/initiative/cluster-industrias-creativas-medellin",
    "api": "/api/v1/initiatives/cluster-industrias-creativas-medellin",
    "kind": {"id": "https://w3id.org/iatp/id/initiative-kind/cluster"},
    "country": [{"id": "https://w3id.org/iatp/id/country/co"}],
}
LIST_EXAMPLES = {
    JSONLD: {
        "@context": "https://w3id.org/iatp/context.jsonld",
        "id": "http://127.0.0.1:8000/api/v1/initiatives?country=CO",
        "type": "Collection",
        "total": 23,
        "items": [_INITIATIVE],
        "view": {
            "id": "http://127.0.0.1:8000/api/v1/initiatives?country=CO&limit=1",
            "type": "PartialCollectionView",
            "first": "http://127.0.0.1:8000/api/v1/initiatives?country=CO&limit=1",
            "next": "http://127.0.0.1:8000/api/v1/initiatives?country=CO&limit=1&cursor=eyJx…",
        },
    },
    GEOJSON: {
        "type": "FeatureCollection",
        "features": [
            {
                "type": "Feature",
                "id": _INITIATIVE["id"],
                "geometry": {"type": "Point", "coordinates": [-75.57151, 6.245]},
                "properties": {
                    "id": _INITIATIVE["id"],
                    "name": "Clúster Industrias Creativas",
                    "kind": "cluster",
                    "country": ["CO"],
                    "url": _INITIATIVE["page"],
                },
            }
        ],
        "totalItems": 19,
    },
    CSV: "id,slug,name,kind,country,subdivision,sectors,actor_sectors,founding_year,latitude,"
    "longitude,page\r\nhttps://w3id.org/iatp/id/initiative/cluster-industrias-creativas-medellin,"
    "cluster-industrias-creativas-medellin,Clúster Industrias Creativas,cluster,CO,CO-ANT,"
    "58 | 59 | 90 | J | R,private | public,,6.245,-75.57151,"
    "/id/initiative/cluster-industrias-creativas-medellin\r\n",
}
LIST_EXAMPLES[JSON] = LIST_EXAMPLES[JSONLD]
DETAIL_EXAMPLES = {
    JSONLD: {
        "@context": "https://w3id.org/iatp/context.jsonld",
        "id": _INITIATIVE["id"],
        "type": "ClusterInitiative",
        "name": {"es": "Clúster Industrias Creativas"},
        "country": [
            {
                "id": "https://w3id.org/iatp/id/country/co",
                "type": "Country",
                "name": {"en": "Colombia", "es": "Colombia"},
                "iso2": "CO",
            }
        ],
        "sector": [
            {
                "id": "https://w3id.org/iatp/id/isic/90",
                "notation": "90",
                "label": {"en": "Creative, arts and entertainment activities"},
            }
        ],
        "memberships": [
            {
                "id": "https://w3id.org/iatp/id/membership/cluster-industrias-creativas-medellin"
                "--camara-de-comercio-de-medellin-para-antioquia--coordinator",
                "type": "Membership",
                "member": {
                    "id": "https://w3id.org/iatp/id/organization/"
                    "camara-de-comercio-de-medellin-para-antioquia",
                    "type": "Organization",
                    "name": {"es": "Cámara de Comercio de Medellín para Antioquia"},
                },
                "role": [
                    {
                        "id": "https://w3id.org/iatp/id/role/coordinator",
                        "notation": "coordinator",
                        "label": {"en": "Coordinator", "es": "Coordinadora"},
                    }
                ],
            }
        ],
    },
    GEOJSON: LIST_EXAMPLES[GEOJSON]["features"][0],
    CSV: LIST_EXAMPLES[CSV],
}
DETAIL_EXAMPLES[JSON] = DETAIL_EXAMPLES[JSONLD]

ERROR_400 = {
    "description": "A bad, unknown or repeated parameter; the message names it.",
    "content": {
        JSON: {
            "example": {
                "error": {
                    "code": "bad_request",
                    "message": "country: 'Colombia' is not an ISO 3166-1 alpha-2 code "
                    "(two letters, e.g. CO)",
                    "request_id": "5f0c2d6a9e1b4c7d",
                }
            }
        }
    },
}
ERROR_404 = {
    "description": "No such resource (or no such file extension).",
    "content": {
        JSON: {
            "example": {
                "error": {
                    "code": "not_found",
                    "message": "no initiative 'no-such-initiative'",
                    "request_id": "5f0c2d6a9e1b4c7d",
                }
            }
        }
    },
}
ERROR_406 = {
    "description": "None of the offered media types is acceptable.",
    "content": {
        JSON: {
            "example": {
                "error": {
                    "code": "not_acceptable",
                    "message": "none of application/ld+json, application/json, text/csv is "
                    "acceptable",
                    "request_id": "5f0c2d6a9e1b4c7d",
                }
            }
        }
    },
}


def responses(examples: dict, offered: list[str], description: str) -> dict:
    """The ``responses=`` of a route: 200 in each offered media type, 304, 400, 404, 406."""
    return {
        200: {
            "description": description,
            "content": {media: {"example": examples[media]} for media in offered},
        },
        304: {"description": "Not modified since the ETag or date the client holds."},
        400: ERROR_400,
        404: ERROR_404,
        406: ERROR_406,
    }
