"""How the REST facade writes index items: JSON-LD summaries for lists (terms of the published
context), RFC 7946 GeoJSON features, and flat CSV rows (multiple values joined by `` | ``).

>>> item = Item("https://w3id.org/iatp/id/initiative/a", "a", names=[("Clúster A", "es")],
...             kind="cluster", countries={"CO"}, lat=6.2, lon=-75.5)
>>> feature(item, "https://w3id.org/iatp/id/", "en")["geometry"]
{'type': 'Point', 'coordinates': [-75.5, 6.2]}
>>> print(csv_table("initiatives", [item], "https://w3id.org/iatp/id/", "en").decode().splitlines()[1])
https://w3id.org/iatp/id/initiative/a,a,Clúster A,cluster,CO,,,,,6.2,-75.5,/id/initiative/a
"""

from __future__ import annotations

import csv
import io

from iatp_kg.api_index import KIND_SCHEME, Item, finite

SEPARATOR = " | "
JSONLD = "application/ld+json"
JSON = "application/json"
GEOJSON = "application/geo+json"
CSV = "text/csv"
EXTENSIONS = {"jsonld": JSONLD, "json": JSON, "geojson": GEOJSON, "csv": CSV}
GEO_RESOURCES = ("initiatives", "territories")  # the resources whose items have points


def offered(resource: str) -> list[str]:
    """The media types a resource is served in, in the server's order of preference."""
    if resource in GEO_RESOURCES:
        return [JSONLD, JSON, GEOJSON, CSV]
    return [JSONLD, JSON, CSV]


def extensions(resource: str) -> list[str]:
    return [e for e, media in EXTENSIONS.items() if media in offered(resource)]


def page_path(item: Item, id_base: str) -> str:
    """The local path of the item's /id page."""
    return "/id/" + item.iri[len(id_base) :] if item.iri.startswith(id_base) else item.iri


def summary(item: Item, resource: str, id_base: str) -> dict:
    """An item of a list: its IRI, types, names and what the list filters on. ``page`` and
    ``api`` are links for clients (outside the context, so not RDF)."""
    out: dict = {
        "id": item.iri,
        "type": sorted(item.types),
        "name": {tag or "@none": text for text, tag in item.names},
        "page": page_path(item, id_base),
        "api": f"/api/v1/{resource}/{item.slug}",
    }
    if item.kind:
        out["kind"] = {"id": KIND_SCHEME + item.kind}
    if item.countries and resource != "territories":
        field = "spansCountry" if resource == "projects" else "country"
        out[field] = [{"id": f"{id_base}country/{c.lower()}"} for c in sorted(item.countries)]
    if item.founded is not None:
        out["foundingYear"] = f"{item.founded:04d}"
    if item.code:
        out["notation"] = item.code
    if item.date:
        out["startDate"] = item.date
    return out


def feature(item: Item, id_base: str, lang: str) -> dict:
    """An RFC 7946 Feature: a Point ``[longitude, latitude]``, or a null geometry."""
    geometry = (
        {"type": "Point", "coordinates": [item.lon, item.lat]}
        if finite(item.lat, item.lon)
        else None
    )
    properties: dict = {
        "id": item.iri,
        "name": item.name(lang),
        "kind": item.kind,
        "country": sorted(item.countries),
        "url": page_path(item, id_base),
    }
    if item.sectors:
        properties["sectors"] = sorted(item.sectors)
    if item.founded is not None:
        properties["foundingYear"] = item.founded
    if item.code:
        properties["code"] = item.code
    return {"type": "Feature", "id": item.iri, "geometry": geometry, "properties": properties}


def _joined(values) -> str:
    return SEPARATOR.join(sorted(values))


def _number(x: float | None) -> str | float:
    return "" if x is None else x


COLUMNS = {
    "initiatives": ("id", "slug", "name", "kind", "country", "subdivision", "sectors",
                    "actor_sectors", "founding_year", "latitude", "longitude", "page"),
    "actors": ("id", "slug", "name", "type", "country", "actor_sector", "page"),
    "territories": ("id", "slug", "name", "type", "code", "country", "latitude", "longitude",
                    "page"),
    "sectors": ("id", "slug", "name", "code", "within", "page"),
    "workshops": ("id", "slug", "name", "type", "date", "page"),
    "projects": ("id", "slug", "name", "country", "page"),
}  # fmt: skip


def _row(item: Item, resource: str, id_base: str, lang: str) -> dict:
    return {
        "id": item.iri,
        "slug": item.slug,
        "name": item.name(lang),
        "kind": item.kind or "",
        "type": _joined(item.types),
        "country": _joined(item.countries),
        "subdivision": _joined(item.subdivisions),
        "sectors": _joined(item.sectors),
        "within": _joined(item.sectors - {item.code or ""}),
        "actor_sectors": _joined(item.actor_sectors),
        "actor_sector": _joined(item.actor_sectors),
        "founding_year": "" if item.founded is None else f"{item.founded:04d}",
        "latitude": _number(item.lat),
        "longitude": _number(item.lon),
        "code": item.code or "",
        "date": item.date or "",
        "page": page_path(item, id_base),
    }


def csv_table(resource: str, items: list[Item], id_base: str, lang: str) -> bytes:
    """A header and one row per item (RFC 4180: CRLF, quoted where needed)."""
    out = io.StringIO()
    writer = csv.DictWriter(
        out, fieldnames=COLUMNS[resource], lineterminator="\r\n", extrasaction="ignore"
    )
    writer.writeheader()
    for item in items:
        writer.writerow(_row(item, resource, id_base, lang))
    return out.getvalue().encode()
