"""The REST facade's listing index: what each list endpoint filters and sorts on, read from
the public graphs once per store version, then filtered, sorted and paged in Python.

No request value ever reaches a SPARQL text: the queries below are constants, and the
filters run over the index. A list request costs a pass over the index (10 k initiatives: a
few milliseconds), the sort is cached per (filters, sort), and pages are cut by keyset from
the cursor's last key, so deep pages cost no more than the first.
"""

from __future__ import annotations

import bisect
import contextlib
import math
from collections.abc import Iterable
from dataclasses import dataclass, field

from iatp_kg.api_params import fold

ID = "https://w3id.org/iatp/id/"
KIND_SCHEME = ID + "initiative-kind/"


@dataclass
class Item:
    iri: str
    slug: str
    types: set[str] = field(default_factory=set)
    names: list[tuple[str, str]] = field(default_factory=list)  # (text, lang)
    alt_names: list[tuple[str, str]] = field(default_factory=list)
    kind: str | None = None  # initiative kind slug
    countries: set[str] = field(default_factory=set)  # ISO alpha-2
    subdivisions: set[str] = field(default_factory=set)  # ISO 3166-2
    sectors: set[str] = field(default_factory=set)  # ISIC codes, with their sections
    actor_sectors: set[str] = field(default_factory=set)
    founded: int | None = None
    lat: float | None = None
    lon: float | None = None
    date: str | None = None  # events
    code: str | None = None  # territories' and sectors' own code

    def name(self, lang: str = "en") -> str:
        by_lang: dict[str, str] = {}
        for text, tag in self.names:
            by_lang.setdefault(tag.split("-")[0], text)
        for tag in (lang, "en" if lang == "es" else "es", "pt", ""):
            if tag in by_lang:
                return by_lang[tag]
        return self.names[0][0] if self.names else self.slug

    @property
    def search_text(self) -> str:
        return " \u0000 ".join(fold(t) for t, _ in (*self.names, *self.alt_names))


# ---- queries (constants; bound to nothing) ---------------------------------------------------
# Each returns ?s plus one attribute; items are assembled in Python.
Q_INITIATIVES = {
    "kind": "SELECT ?s ?v WHERE { ?s iatp:initiativeKind ?v }",
    "type": "SELECT ?s ?v WHERE { ?s iatp:initiativeKind ?k ; a ?v }",
    "name": "SELECT ?s ?v WHERE { ?s iatp:initiativeKind ?k ; rdfs:label ?v }",
    "alt": "SELECT ?s ?v WHERE { ?s iatp:initiativeKind ?k ; skos:altLabel|skos:hiddenLabel ?v }",
    "country": "SELECT ?s ?v WHERE { ?s iatp:initiativeKind ?k ; iatp:country/iatp:iso3166Alpha2 ?v }",
    "subdivision": """SELECT ?s ?v WHERE { ?s iatp:initiativeKind ?k ; iatp:locatedIn ?t .
        { ?t iatp:iso3166_2Code ?v } UNION { ?t geo:sfWithin/iatp:iso3166_2Code ?v } }""",
    "sector": """SELECT ?s ?v WHERE { ?s iatp:initiativeKind ?k ; iatp:sector/skos:broader* ?c .
        ?c skos:notation ?v }""",
    "actor_sector": """SELECT ?s ?v WHERE { ?s iatp:initiativeKind ?k .
        ?m org:organization ?s ; org:member/iatp:actorSector/skos:notation ?v }""",
    "founded": "SELECT ?s ?v WHERE { ?s iatp:initiativeKind ?k ; iatp:foundingYear ?v }",
    "lat": "SELECT ?s ?v WHERE { ?s iatp:initiativeKind ?k ; geo:hasGeometry/wgs84:lat ?v }",
    "lon": "SELECT ?s ?v WHERE { ?s iatp:initiativeKind ?k ; geo:hasGeometry/wgs84:long ?v }",
}
_ACTOR = "VALUES ?class { iatp:Organization iatp:Firm iatp:Person } ?s a ?class ."
Q_ACTORS = {
    "type": f"SELECT ?s ?v WHERE {{ {_ACTOR} BIND(?class AS ?v) }}",
    "name": f"SELECT ?s ?v WHERE {{ {_ACTOR} ?s rdfs:label ?v }}",
    "alt": f"SELECT ?s ?v WHERE {{ {_ACTOR} ?s skos:altLabel ?v }}",
    "country": f"SELECT ?s ?v WHERE {{ {_ACTOR} ?s iatp:country/iatp:iso3166Alpha2 ?v }}",
    "actor_sector": f"SELECT ?s ?v WHERE {{ {_ACTOR} ?s iatp:actorSector/skos:notation ?v }}",
}
_TERRITORY = "VALUES ?class { iatp:Country iatp:Subdivision iatp:Municipality } ?s a ?class ."
Q_TERRITORIES = {
    "type": f"SELECT ?s ?v WHERE {{ {_TERRITORY} BIND(?class AS ?v) }}",
    "name": f"SELECT ?s ?v WHERE {{ {_TERRITORY} ?s rdfs:label ?v }}",
    "country": f"""SELECT ?s ?v WHERE {{ {_TERRITORY}
        {{ ?s iatp:iso3166Alpha2 ?v }} UNION {{ ?s geo:sfWithin/iatp:iso3166Alpha2 ?v }} }}""",
    "code": f"""SELECT ?s ?v WHERE {{ {_TERRITORY}
        {{ ?s iatp:iso3166Alpha2 ?v }} UNION {{ ?s iatp:iso3166_2Code ?v }} }}""",
    "lat": f"SELECT ?s ?v WHERE {{ {_TERRITORY} ?s geo:hasGeometry/wgs84:lat ?v }}",
    "lon": f"SELECT ?s ?v WHERE {{ {_TERRITORY} ?s geo:hasGeometry/wgs84:long ?v }}",
}
_SECTOR = "?s skos:inScheme <https://w3id.org/iatp/id/scheme/isic> ."
Q_SECTORS = {
    "type": f"SELECT ?s ?v WHERE {{ {_SECTOR} ?s a ?v }}",
    "name": f"SELECT ?s ?v WHERE {{ {_SECTOR} ?s skos:prefLabel ?v }}",
    "code": f"SELECT ?s ?v WHERE {{ {_SECTOR} ?s skos:notation ?v }}",
    "sector": f"SELECT ?s ?v WHERE {{ {_SECTOR} ?s skos:broader* ?c . ?c skos:notation ?v }}",
}
_EVENT = "VALUES ?class { iatp:Workshop iatp:CommunityMeeting iatp:TrainingSession } ?s a ?class ."
Q_WORKSHOPS = {
    "type": f"SELECT ?s ?v WHERE {{ {_EVENT} BIND(?class AS ?v) }}",
    "name": f"SELECT ?s ?v WHERE {{ {_EVENT} ?s rdfs:label ?v }}",
    "date": f"SELECT ?s ?v WHERE {{ {_EVENT} ?s schema:startDate ?v }}",
}
Q_PROJECTS = {
    "type": "SELECT ?s ?v WHERE { ?s a iatp:RegionalIntegrationProject ; a ?v }",
    "name": "SELECT ?s ?v WHERE { ?s a iatp:RegionalIntegrationProject ; rdfs:label ?v }",
    "country": """SELECT ?s ?v WHERE { ?s a iatp:RegionalIntegrationProject ;
        iatp:spansCountry/iatp:iso3166Alpha2 ?v }""",
}


@dataclass(frozen=True)
class ResourceSpec:
    name: str  # the route's name: initiatives, actors, ...
    queries: dict[str, str]
    filters: tuple[str, ...]  # which list filters apply


RESOURCES = {
    spec.name: spec
    for spec in (
        ResourceSpec(
            "initiatives",
            Q_INITIATIVES,
            ("kind", "country", "subdivision", "sector", "actor_sector", "q", "bbox", "founded"),
        ),
        ResourceSpec("actors", Q_ACTORS, ("country", "actor_sector", "q")),
        ResourceSpec("territories", Q_TERRITORIES, ("country", "q", "bbox")),
        ResourceSpec("sectors", Q_SECTORS, ("sector", "q")),
        ResourceSpec("workshops", Q_WORKSHOPS, ("q",)),
        ResourceSpec("projects", Q_PROJECTS, ("country", "q")),
    )
}


def _slug(iri: str) -> str:
    return iri.rsplit("/", 1)[-1]


def build(rows_by_attribute: dict[str, list[dict]]) -> dict[str, Item]:
    """Items from the rows of each attribute query (SPARQL JSON bindings of ?s ?v)."""
    items: dict[str, Item] = {}
    for attribute in ("type", *(a for a in rows_by_attribute if a != "type")):
        for row in rows_by_attribute.get(attribute, ()):
            iri = row["s"]["value"]
            if attribute != "type" and iri not in items:
                continue  # only things the type query found
            item = items.setdefault(iri, Item(iri, _slug(iri)))
            cell = row["v"]
            value = cell["value"]
            if attribute == "type":
                item.types.add(_slug(value.replace("#", "/")))
            elif attribute == "name":
                item.names.append((value, cell.get("xml:lang", "")))
            elif attribute == "alt":
                item.alt_names.append((value, cell.get("xml:lang", "")))
            elif attribute == "kind":
                item.kind = _slug(value)
            elif attribute == "country":
                item.countries.add(value.upper())
            elif attribute == "subdivision":
                item.subdivisions.add(value.upper())
            elif attribute == "sector":
                item.sectors.add(value.upper())
            elif attribute == "actor_sector":
                item.actor_sectors.add(value)
            elif attribute == "founded":
                with contextlib.suppress(ValueError):
                    item.founded = int(value[:4])
            elif attribute in ("lat", "lon"):
                setattr(item, attribute, float(value))
            elif attribute in ("date", "code"):
                setattr(item, attribute, value)
    for item in items.values():
        item.names.sort(key=lambda n: (n[1], n[0]))
    return items


# ---- filtering and sorting -----------------------------------------------------------------
@dataclass(frozen=True)
class Filters:
    kind: str | None = None
    country: str | None = None
    subdivision: str | None = None
    sector: str | None = None
    actor_sector: str | None = None
    q: str | None = None  # folded
    bbox: tuple[float, float, float, float] | None = None
    founded_from: int | None = None
    founded_to: int | None = None

    def key(self) -> tuple:
        return tuple(getattr(self, f) for f in self.__dataclass_fields__)


def in_bbox(item: Item, box: tuple[float, float, float, float]) -> bool:
    """Inside ``minLon,minLat,maxLon,maxLat``; a box with minLon > maxLon crosses the
    antimeridian (RFC 7946 §5.2).

    >>> in_bbox(Item("x", "x", lat=4.6, lon=-74.1), (-80, -5, -66, 13))
    True
    >>> in_bbox(Item("x", "x", lat=-17.7, lon=178.0), (170, -20, -170, -10))
    True
    """
    if item.lat is None or item.lon is None:
        return False
    min_lon, min_lat, max_lon, max_lat = box
    if not min_lat <= item.lat <= max_lat:
        return False
    if min_lon <= max_lon:
        return min_lon <= item.lon <= max_lon
    return item.lon >= min_lon or item.lon <= max_lon


def matches(item: Item, f: Filters) -> bool:
    if f.kind and item.kind != f.kind:
        return False
    if f.country and f.country.upper() not in item.countries:
        return False
    if f.subdivision and f.subdivision.upper() not in item.subdivisions:
        return False
    if f.sector and f.sector.upper() not in item.sectors:
        return False
    if f.actor_sector and f.actor_sector not in item.actor_sectors:
        return False
    if f.q and f.q not in item.search_text:
        return False
    if f.bbox and not in_bbox(item, f.bbox):
        return False
    if f.founded_from is not None and (item.founded is None or item.founded < f.founded_from):
        return False
    return not (f.founded_to is not None and (item.founded is None or item.founded > f.founded_to))


SORTS = ("name", "-name", "founded", "-founded", "date", "-date")


def sort_key(item: Item, sort: str) -> list:
    """A JSON-able key; ``-`` sorts descending by negating numbers or inverting order later."""
    name = fold(item.name("en"))
    field_ = sort.lstrip("-")
    if field_ == "founded":
        return [item.founded if item.founded is not None else -1, name, item.iri]
    if field_ == "date":
        return [item.date or "", name, item.iri]
    return [name, item.iri]


def select(items: Iterable[Item], f: Filters, sort: str) -> tuple[list[Item], list[list]]:
    """The matching items in order, and their keys (for keyset paging)."""
    chosen = [i for i in items if matches(i, f)]
    keyed = sorted(((sort_key(i, sort), i) for i in chosen), key=lambda p: p[0])
    if sort.startswith("-"):
        keyed.reverse()
    return [i for _, i in keyed], [k for k, _ in keyed]


def page_after(keys: list[list], after: list | None, descending: bool) -> int:
    """The index of the first item after ``after`` (a key from a cursor)."""
    if after is None:
        return 0
    if descending:
        flipped = [_Rev(k) for k in keys]
        return bisect.bisect_right(flipped, _Rev(after))
    return bisect.bisect_right(keys, after)


class _Rev:
    __slots__ = ("k",)

    def __init__(self, k: list) -> None:
        self.k = k

    def __lt__(self, other: _Rev) -> bool:
        return other.k < self.k


def finite(*numbers: float | None) -> bool:
    return all(n is not None and math.isfinite(n) for n in numbers)
