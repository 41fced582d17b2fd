"""The REST facade's listing index: what each list endpoint filters and sorts on, assembled in
Python from a few single-pattern scans of the public graphs, once per store version.

Measured at 10 k synthetic initiatives (0.65 M triples): the joins an index needs (membership
to member to actor sector, ``skos:broader*``, the subdivisions of a place) cost 3–7 s each in
SPARQL, while a scan of one predicate (``SELECT ?s ?v WHERE { ?s org:member ?v }``) costs
0.2–0.7 s; so the index reads each predicate it needs once and joins in dictionaries. The
queries are constants: no request value ever reaches a SPARQL text here; the filters run over
the index.

A single resource (a detail) is read with :data:`ONE`: the same attributes as joins starting
from the resource's IRI, bound as a term, which the planner answers in milliseconds.

>>> items = build_one("initiatives", {
...     "type": [{"s": {"value": "https://w3id.org/iatp/id/initiative/a"},
...               "v": {"value": "https://w3id.org/iatp/ontology#ClusterInitiative"}}],
...     "name": [{"s": {"value": "https://w3id.org/iatp/id/initiative/a"},
...               "v": {"value": "Clúster Automotriz", "xml:lang": "es"}}]})
>>> item = items["https://w3id.org/iatp/id/initiative/a"]
>>> item.slug, item.types, item.name("en"), matches(item, Filters(q="cluster automotriz"))
('a', {'ClusterInitiative'}, 'Clúster Automotriz', True)
"""

from __future__ import annotations

import bisect
import contextlib
import math
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field

from iatp_kg.api_params import fold

ID = "https://w3id.org/iatp/id/"
IATP = "https://w3id.org/iatp/ontology#"
KIND_SCHEME = ID + "initiative-kind/"
ISIC_SCHEME = ID + "scheme/isic"


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
    sectors: set[str] = field(default_factory=set)  # ISIC codes, with their ancestors
    actor_sectors: set[str] = field(default_factory=set)
    founded: int | None = None
    lat: float | None = None
    lon: float | None = None
    date: str | None = None  # events
    code: str | None = None  # territories' and sectors' own code
    search_text: str = ""  # every name, folded (set by finish())
    sort_name: str = ""  # the name it sorts by, folded (set by finish())

    def name(self, lang: str = "en") -> str:
        """The name in ``lang``, else in the other of es/en, else pt, else any."""
        by_lang: dict[str, str] = {}
        for text, tag in self.names:
            by_lang.setdefault(tag.split("-")[0].lower(), text)
        for tag in (lang, "en" if lang == "es" else "es", "pt", ""):
            if tag in by_lang:
                return by_lang[tag]
        return self.names[0][0] if self.names else self.slug

    def finish(self) -> None:
        self.names.sort(key=lambda n: (n[1], n[0]))
        names = (" ".join(fold(t).split()) for t, _ in (*self.names, *self.alt_names))
        self.search_text = " \u0000 ".join(names)  # a query never spans two names
        self.sort_name = fold(self.name("en"))


def _local(iri: str) -> str:
    """The last segment of an IRI (after ``/`` or ``#``)."""
    return iri.replace("#", "/").rsplit("/", 1)[-1]


# ---- the scans: one predicate each (constants; bound to nothing) ------------------------------
def _values(*classes: str) -> str:
    return " ".join(f"iatp:{c}" for c in classes)


INITIATIVE_CLASSES = _values(
    "Initiative", "ClusterInitiative", "ProductionChainInitiative", "LocalProductiveInitiative",
    "BusinessNetworkInitiative", "SupplierDevelopmentInitiative",
)  # fmt: skip
ACTOR_CLASSES = _values("Organization", "Firm", "Person")
TERRITORY_CLASSES = _values("Country", "Subdivision", "Municipality")
EVENT_CLASSES = _values("CommunityEvent", "Workshop", "CommunityMeeting", "TrainingSession")
PROJECT_CLASSES = _values("RegionalIntegrationProject")

SCANS = {
    "initiative-type": f"SELECT ?s ?v WHERE {{ VALUES ?v {{ {INITIATIVE_CLASSES} }} ?s a ?v }}",
    "actor-type": f"SELECT ?s ?v WHERE {{ VALUES ?v {{ {ACTOR_CLASSES} }} ?s a ?v }}",
    "territory-type": f"SELECT ?s ?v WHERE {{ VALUES ?v {{ {TERRITORY_CLASSES} }} ?s a ?v }}",
    "event-type": f"SELECT ?s ?v WHERE {{ VALUES ?v {{ {EVENT_CLASSES} }} ?s a ?v }}",
    "project-type": f"SELECT ?s ?v WHERE {{ VALUES ?v {{ {PROJECT_CLASSES} }} ?s a ?v }}",
    "concept-type": "SELECT ?s ?v WHERE { VALUES ?v { skos:Concept } ?s a ?v }",
    "kind": "SELECT ?s ?v WHERE { ?s iatp:initiativeKind ?v }",
    "label": "SELECT ?s ?v WHERE { ?s rdfs:label ?v }",
    # labels of the small classes: a join from the class costs less than every label
    "territory-label": f"""SELECT ?s ?v WHERE {{ VALUES ?c {{ {TERRITORY_CLASSES} }}
        ?s a ?c ; rdfs:label ?v }}""",
    "event-label": f"SELECT ?s ?v WHERE {{ VALUES ?c {{ {EVENT_CLASSES} }} ?s a ?c ; rdfs:label ?v }}",
    "project-label": f"SELECT ?s ?v WHERE {{ ?s a {PROJECT_CLASSES} ; rdfs:label ?v }}",
    "alt": "SELECT ?s ?v WHERE { ?s skos:altLabel ?v }",
    "hidden": "SELECT ?s ?v WHERE { ?s skos:hiddenLabel ?v }",
    "pref": "SELECT ?s ?v WHERE { ?s skos:prefLabel ?v }",
    "notation": "SELECT ?s ?v WHERE { ?s skos:notation ?v }",
    "broader": "SELECT ?s ?v WHERE { ?s skos:broader ?v }",
    "in-scheme": "SELECT ?s ?v WHERE { ?s skos:inScheme ?v }",
    "country": "SELECT ?s ?v WHERE { ?s iatp:country ?v }",
    "alpha2": "SELECT ?s ?v WHERE { ?s iatp:iso3166Alpha2 ?v }",
    "code2": "SELECT ?s ?v WHERE { ?s iatp:iso3166_2Code ?v }",
    "within": "SELECT ?s ?v WHERE { ?s geo:sfWithin ?v }",
    "located": "SELECT ?s ?v WHERE { ?s iatp:locatedIn ?v }",
    "sector": "SELECT ?s ?v WHERE { ?s iatp:sector ?v }",
    "organization": "SELECT ?s ?v WHERE { ?s org:organization ?v }",
    "member": "SELECT ?s ?v WHERE { ?s org:member ?v }",
    "actor-sector": "SELECT ?s ?v WHERE { ?s iatp:actorSector ?v }",
    "founded": "SELECT ?s ?v WHERE { ?s iatp:foundingYear ?v }",
    "geometry": "SELECT ?s ?v WHERE { ?s geo:hasGeometry ?v }",
    "lat": "SELECT ?s ?v WHERE { ?s wgs84:lat ?v }",
    "long": "SELECT ?s ?v WHERE { ?s wgs84:long ?v }",
    "start": "SELECT ?s ?v WHERE { ?s schema:startDate ?v }",
    "spans": "SELECT ?s ?v WHERE { ?s iatp:spansCountry ?v }",
}

Rows = list[dict]  # SPARQL JSON bindings of ?s ?v


class Scans:
    """The rows of the scans, with the lookups the builders join on."""

    def __init__(self, rows: dict[str, Rows]) -> None:
        self.rows = rows

    def pairs(self, name: str) -> Iterable[tuple[str, dict]]:
        for row in self.rows.get(name, ()):
            yield row["s"]["value"], row["v"]

    def one(self, name: str) -> dict[str, str]:
        """subject -> one value (the first seen)."""
        out: dict[str, str] = {}
        for s, v in self.pairs(name):
            out.setdefault(s, v["value"])
        return out

    def many(self, name: str) -> dict[str, list[str]]:
        out: dict[str, list[str]] = {}
        for s, v in self.pairs(name):
            out.setdefault(s, []).append(v["value"])
        return out


def _new(items: dict[str, Item], iri: str) -> Item:
    item = items.get(iri)
    if item is None:
        item = items[iri] = Item(iri, _local(iri))
    return item


def _names(scans: Scans, items: dict[str, Item], label: str = "label") -> None:
    for s, v in scans.pairs(label):
        if s in items:
            items[s].names.append((v["value"], v.get("xml:lang", "")))
    if label != "pref":
        for name in ("alt", "hidden"):
            for s, v in scans.pairs(name):
                if s in items:
                    items[s].alt_names.append((v["value"], v.get("xml:lang", "")))


def _typed(scans: Scans, scan: str) -> dict[str, Item]:
    items: dict[str, Item] = {}
    for s, v in scans.pairs(scan):
        _new(items, s).types.add(_local(v["value"]))
    return items


def _point(scans: Scans, items: dict[str, Item]) -> None:
    geometry = scans.one("geometry")
    lat, lon = scans.one("lat"), scans.one("long")
    for item in items.values():
        g = geometry.get(item.iri)
        if g in lat and g in lon:
            with contextlib.suppress(ValueError):
                item.lat, item.lon = float(lat[g]), float(lon[g])


def _ancestors(broader: dict[str, list[str]], concept: str) -> set[str]:
    """The concept and everything above it along ``skos:broader`` (cycles are harmless)."""
    seen, todo = set(), [concept]
    while todo:
        c = todo.pop()
        if c not in seen:
            seen.add(c)
            todo.extend(broader.get(c, ()))
    return seen


def build_initiatives(scans: Scans) -> dict[str, Item]:
    items: dict[str, Item] = {}
    for s, v in scans.pairs("kind"):
        _new(items, s).kind = _local(v["value"])
    for s, v in scans.pairs("initiative-type"):
        if s in items:
            items[s].types.add(_local(v["value"]))
    _names(scans, items)
    alpha2, code2 = scans.one("alpha2"), scans.one("code2")
    for s, v in scans.pairs("country"):
        if s in items and v["value"] in alpha2:
            items[s].countries.add(alpha2[v["value"]].upper())
    within = scans.many("within")
    for s, v in scans.pairs("located"):
        if s in items:
            for place in (v["value"], *within.get(v["value"], ())):
                if place in code2:
                    items[s].subdivisions.add(code2[place].upper())
    notation, broader = scans.one("notation"), scans.many("broader")
    for s, v in scans.pairs("sector"):
        if s in items:
            for c in _ancestors(broader, v["value"]):
                if c in notation:
                    items[s].sectors.add(notation[c].upper())
    member, actor_sector = scans.one("member"), scans.many("actor-sector")
    for m, v in scans.pairs("organization"):
        if v["value"] in items and m in member:
            for concept in actor_sector.get(member[m], ()):
                if concept in notation:
                    items[v["value"]].actor_sectors.add(notation[concept])
    for s, year in scans.one("founded").items():
        if s in items:
            with contextlib.suppress(ValueError):
                items[s].founded = int(year.lstrip("-")[:4])
    _point(scans, items)
    return items


def build_actors(scans: Scans) -> dict[str, Item]:
    items = _typed(scans, "actor-type")
    _names(scans, items)
    alpha2, notation = scans.one("alpha2"), scans.one("notation")
    for s, v in scans.pairs("country"):
        if s in items and v["value"] in alpha2:
            items[s].countries.add(alpha2[v["value"]].upper())
    for s, v in scans.pairs("actor-sector"):
        if s in items and v["value"] in notation:
            items[s].actor_sectors.add(notation[v["value"]])
    return items


def build_territories(scans: Scans) -> dict[str, Item]:
    items = _typed(scans, "territory-type")
    _names(scans, items, "territory-label")
    alpha2, code2, within = scans.one("alpha2"), scans.one("code2"), scans.many("within")
    for item in items.values():
        for place in (item.iri, *within.get(item.iri, ())):
            if place in alpha2:
                item.countries.add(alpha2[place].upper())
        item.code = alpha2.get(item.iri) or code2.get(item.iri)
    _point(scans, items)
    return items


def build_sectors(scans: Scans) -> dict[str, Item]:
    items: dict[str, Item] = {}
    for s, v in scans.pairs("in-scheme"):
        if v["value"] == ISIC_SCHEME:
            _new(items, s)
    for s, v in scans.pairs("concept-type"):
        if s in items:
            items[s].types.add(_local(v["value"]))
    _names(scans, items, "pref")
    notation, broader = scans.one("notation"), scans.many("broader")
    for item in items.values():
        item.code = notation.get(item.iri)
        item.sectors = {notation[c].upper() for c in _ancestors(broader, item.iri) if c in notation}
    return items


def build_workshops(scans: Scans) -> dict[str, Item]:
    items = _typed(scans, "event-type")
    _names(scans, items, "event-label")
    for s, day in scans.one("start").items():
        if s in items:
            items[s].date = day
    return items


def build_projects(scans: Scans) -> dict[str, Item]:
    items = _typed(scans, "project-type")
    _names(scans, items, "project-label")
    alpha2 = scans.one("alpha2")
    for s, v in scans.pairs("spans"):
        if s in items and v["value"] in alpha2:
            items[s].countries.add(alpha2[v["value"]].upper())
    return items


# ---- one resource: the same attributes as joins from its bound IRI ?s --------------------------
ONE_INITIATIVE = {
    "type": f"""SELECT ?s ?v WHERE {{ ?s iatp:initiativeKind ?k .
        OPTIONAL {{ VALUES ?v {{ {INITIATIVE_CLASSES} }} ?s a ?v }} }}""",
    "kind": "SELECT ?s ?v WHERE { ?s iatp:initiativeKind ?v }",
    "name": "SELECT ?s ?v WHERE { ?s rdfs:label ?v }",
    "alt": "SELECT ?s ?v WHERE { ?s skos:altLabel|skos:hiddenLabel ?v }",
    "country": "SELECT ?s ?v WHERE { ?s iatp:country/iatp:iso3166Alpha2 ?v }",
    "subdivision": """SELECT ?s ?v WHERE { ?s iatp:locatedIn ?t .
        { ?t iatp:iso3166_2Code ?v } UNION { ?t geo:sfWithin/iatp:iso3166_2Code ?v } }""",
    "sector": "SELECT ?s ?v WHERE { ?s iatp:sector/skos:broader* ?c . ?c skos:notation ?v }",
    "actor_sector": """SELECT ?s ?v WHERE {
        ?m org:organization ?s ; org:member/iatp:actorSector/skos:notation ?v }""",
    "founded": "SELECT ?s ?v WHERE { ?s iatp:foundingYear ?v }",
    "lat": "SELECT ?s ?v WHERE { ?s geo:hasGeometry/wgs84:lat ?v }",
    "lon": "SELECT ?s ?v WHERE { ?s geo:hasGeometry/wgs84:long ?v }",
}  # fmt: skip
ONE_ACTOR = {
    "type": f"SELECT ?s ?v WHERE {{ VALUES ?v {{ {ACTOR_CLASSES} }} ?s a ?v }}",
    "name": "SELECT ?s ?v WHERE { ?s rdfs:label ?v }",
    "alt": "SELECT ?s ?v WHERE { ?s skos:altLabel|skos:hiddenLabel ?v }",
    "country": "SELECT ?s ?v WHERE { ?s iatp:country/iatp:iso3166Alpha2 ?v }",
    "actor_sector": "SELECT ?s ?v WHERE { ?s iatp:actorSector/skos:notation ?v }",
}
ONE_TERRITORY = {
    "type": f"SELECT ?s ?v WHERE {{ VALUES ?v {{ {TERRITORY_CLASSES} }} ?s a ?v }}",
    "name": "SELECT ?s ?v WHERE { ?s rdfs:label ?v }",
    "country": """SELECT ?s ?v WHERE {
        { ?s iatp:iso3166Alpha2 ?v } UNION { ?s geo:sfWithin/iatp:iso3166Alpha2 ?v } }""",
    "code": "SELECT ?s ?v WHERE { { ?s iatp:iso3166Alpha2 ?v } UNION { ?s iatp:iso3166_2Code ?v } }",
    "lat": "SELECT ?s ?v WHERE { ?s geo:hasGeometry/wgs84:lat ?v }",
    "lon": "SELECT ?s ?v WHERE { ?s geo:hasGeometry/wgs84:long ?v }",
}
ONE_SECTOR = {
    "type": f"""SELECT ?s ?v WHERE {{ ?s skos:inScheme <{ISIC_SCHEME}> .
        OPTIONAL {{ VALUES ?v {{ skos:Concept }} ?s a ?v }} }}""",
    "name": "SELECT ?s ?v WHERE { ?s skos:prefLabel ?v }",
    "code": "SELECT ?s ?v WHERE { ?s skos:notation ?v }",
    "sector": "SELECT ?s ?v WHERE { ?s skos:broader* ?c . ?c skos:notation ?v }",
}
ONE_WORKSHOP = {
    "type": f"SELECT ?s ?v WHERE {{ VALUES ?v {{ {EVENT_CLASSES} }} ?s a ?v }}",
    "name": "SELECT ?s ?v WHERE { ?s rdfs:label ?v }",
    "date": "SELECT ?s ?v WHERE { ?s schema:startDate ?v }",
}
ONE_PROJECT = {
    "type": f"SELECT ?s ?v WHERE {{ VALUES ?v {{ {PROJECT_CLASSES} }} ?s a ?v }}",
    "name": "SELECT ?s ?v WHERE { ?s rdfs:label ?v }",
    "country": "SELECT ?s ?v WHERE { ?s iatp:spansCountry/iatp:iso3166Alpha2 ?v }",
}


SETS = {"country": "countries", "subdivision": "subdivisions", "sector": "sectors"}


def build_one(resource: str, rows_by_attribute: dict[str, Rows]) -> dict[str, Item]:
    """Items from the rows of each :data:`ONE` query (only what the type query found)."""
    items: dict[str, Item] = {}
    for row in rows_by_attribute.get("type", ()):
        item = _new(items, row["s"]["value"])
        if "v" in row:
            item.types.add(_local(row["v"]["value"]))
    for attribute, rows in rows_by_attribute.items():
        for row in rows:
            item = items.get(row["s"]["value"])
            if item is None or attribute == "type" or "v" not in row:
                continue
            cell = row["v"]
            value = cell["value"]
            if attribute == "name":
                item.names.append((value, cell.get("xml:lang", "")))
            elif attribute == "alt":
                item.alt_names.append((value, cell.get("xml:lang", "")))
            elif attribute == "kind":
                item.kind = _local(value)
            elif attribute in SETS:
                getattr(item, SETS[attribute]).add(value.upper())
            elif attribute == "actor_sector":
                item.actor_sectors.add(value)
            elif attribute == "founded":
                with contextlib.suppress(ValueError):
                    item.founded = int(value.lstrip("-")[:4])
            elif attribute in ("lat", "lon"):
                with contextlib.suppress(ValueError):
                    setattr(item, attribute, float(value))
            elif attribute in ("date", "code") and getattr(item, attribute) is None:
                setattr(item, attribute, value)
    for item in items.values():
        if item.lat is None or item.lon is None:
            item.lat = item.lon = None
        item.finish()
    return items


# ---- the resources -----------------------------------------------------------------------------
@dataclass(frozen=True)
class ResourceSpec:
    name: str  # the route's name: initiatives, actors, ...
    kinds: tuple[str, ...]  # the IRI kinds its details live under (id:{kind}/{slug})
    scans: tuple[str, ...]  # the SCANS its index joins
    build: Callable[[Scans], dict[str, Item]]
    one: dict[str, str]  # the ONE queries of a single resource
    filters: tuple[str, ...]  # the list parameters that filter it
    sorts: tuple[str, ...]


_NAMES = ("label", "alt", "hidden")
RESOURCES = {
    spec.name: spec
    for spec in (
        ResourceSpec(
            "initiatives", ("initiative",),
            ("kind", "initiative-type", *_NAMES, "country", "alpha2", "code2", "within",
             "located", "sector", "notation", "broader", "organization", "member",
             "actor-sector", "founded", "geometry", "lat", "long"),
            build_initiatives, ONE_INITIATIVE,
            ("kind", "country", "subdivision", "sector", "actor_sector", "q", "bbox",
             "founded_from", "founded_to"),
            ("name", "-name", "founded", "-founded"),
        ),
        ResourceSpec(
            "actors", ("organization", "person"),
            ("actor-type", *_NAMES, "country", "alpha2", "actor-sector", "notation"),
            build_actors, ONE_ACTOR, ("country", "actor_sector", "q"), ("name", "-name"),
        ),
        ResourceSpec(
            "territories", ("country", "subdivision", "municipality"),
            ("territory-type", "territory-label", "alt", "hidden", "alpha2", "code2", "within",
             "geometry", "lat", "long"),
            build_territories, ONE_TERRITORY, ("country", "q", "bbox"), ("name", "-name"),
        ),
        ResourceSpec(
            "sectors", ("isic",),
            ("in-scheme", "concept-type", "pref", "notation", "broader"),
            build_sectors, ONE_SECTOR, ("sector", "q"), ("name", "-name", "code", "-code"),
        ),
        ResourceSpec(
            "workshops", ("community-event", "programme-session"),
            ("event-type", "event-label", "alt", "hidden", "start"),
            build_workshops, ONE_WORKSHOP, ("q",), ("name", "-name", "date", "-date"),
        ),
        ResourceSpec(
            "projects", ("project",),
            ("project-type", "project-label", "alt", "hidden", "alpha2", "spans"),
            build_projects, ONE_PROJECT, ("country", "q"), ("name", "-name"),
        ),
    )
}  # fmt: skip


def build(resource: str, scans: Scans) -> dict[str, Item]:
    items = RESOURCES[resource].build(scans)
    for item in items.values():
        item.finish()
    return items


# ---- filtering and sorting -----------------------------------------------------------------
@dataclass(frozen=True)
class Filters:
    kind: str | None = None
    country: str | None = None  # upper case
    subdivision: str | None = None  # upper case
    sector: str | None = None  # upper case
    actor_sector: str | None = None
    q: str | None = None  # folded, single spaces
    bbox: tuple[float, float, float, float] | None = None
    founded_from: int | None = None
    founded_to: int | None = None
    located: bool = False  # only what has a point (GeoJSON)

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
    if f.country and f.country not in item.countries:
        return False
    if f.subdivision and f.subdivision not in item.subdivisions:
        return False
    if f.sector and f.sector not in item.sectors:
        return False
    if f.actor_sector and f.actor_sector not in item.actor_sectors:
        return False
    if f.q and f.q not in item.search_text:
        return False
    if f.located and not finite(item.lat, item.lon):
        return False
    if f.bbox and not in_bbox(item, f.bbox):
        return False
    if f.founded_from is not None and (item.founded is None or item.founded < f.founded_from):
        return False
    return not (f.founded_to is not None and (item.founded is None or item.founded > f.founded_to))


def sort_key(item: Item, sort: str) -> list:
    """A JSON-able key, unique per item (it ends with the IRI), for keyset paging. Items
    without a founding year or date sort first ascending, last descending."""
    field_ = sort.lstrip("-")
    if field_ == "founded":
        return [item.founded if item.founded is not None else -1, item.sort_name, item.iri]
    if field_ in ("date", "code"):
        return [getattr(item, field_) or "", item.sort_name, item.iri]
    return [item.sort_name, item.iri]


def select(items: Iterable[Item], f: Filters, sort: str) -> tuple[list[Item], list[list]]:
    """The matching items in order, and their keys (for keyset paging)."""
    keyed = sorted(((sort_key(i, sort), i) for i in items if matches(i, f)), key=lambda p: p[0])
    if sort.startswith("-"):
        keyed.reverse()
    return [i for _, i in keyed], [k for k, _ in keyed]


def page_after(keys: list[list], after: list | None, descending: bool) -> int:
    """The index of the first item after ``after`` (the last key of the previous page); the
    key need not be in the list any more (the item may have gone since).

    >>> page_after([["a"], ["b"], ["d"]], ["b"], False), page_after([["a"], ["b"], ["d"]], ["c"], False)
    (2, 2)
    >>> page_after([["d"], ["b"], ["a"]], ["c"], True)
    1
    """
    if after is None:
        return 0
    if not descending:
        return bisect.bisect_right(keys, after)
    lo, hi = 0, len(keys)
    while lo < hi:  # the first index whose key is below ``after``
        mid = (lo + hi) // 2
        if keys[mid] < after:
            hi = mid
        else:
            lo = mid + 1
    return lo


def finite(*numbers: float | None) -> bool:
    return all(n is not None and math.isfinite(n) for n in numbers)
