"""The seed pipelines hold what the sources say: every CSV row, the 33 countries, the
Community of Practice sessions with their speakers, figures that disagree side by side."""

from __future__ import annotations

import csv
import warnings
from pathlib import Path

import pycountry
import pytest
from rdflib import Literal, URIRef
from rdflib.namespace import DCTERMS, RDF, RDFS

from iatp_kg.errors import BadRequest
from iatp_kg.namespaces import IATP, PRIVATE_GRAPH_PREFIX, SCHEMA
from iatp_kg.pipelines import PIPELINES, SEED_PIPELINES
from iatp_kg.pipelines.lac_initiatives import initiative_iri
from iatp_kg.store import Store

ROOT = Path(__file__).parents[1]
CSV = ROOT / "pipelines" / "lac_initiatives" / "lac-initiatives.csv"


@pytest.fixture(scope="module")
def seeded(seeded_template) -> Store:
    return Store.open(seeded_template, read_only=True)


def one_graph(name: str):
    (graph,) = PIPELINES[name]().public.values()
    return graph


def test_every_csv_row_is_an_initiative_citing_its_row_source():
    g = one_graph("lac-initiatives")
    with CSV.open(encoding="utf-8") as fh:
        rows = list(csv.DictReader(fh))
    assert len(rows) == 50
    for row in rows:
        iri = initiative_iri(row["name"])
        assert (iri, DCTERMS.source, URIRef(row["source_url"])) in g, row["name"]
        assert (
            iri,
            IATP.country,
            URIRef(f"https://w3id.org/iatp/id/country/{row['country_iso2'].lower()}"),
        ) in g
        if row["founded"]:
            assert str(g.value(iri, IATP.foundingYear)) == row["founded"]


def test_disambiguating_place_is_not_part_of_the_label():
    g = one_graph("lac-initiatives")
    iri = initiative_iri("Clúster Turismo (Medellín)")
    assert g.value(iri, RDFS.label) == Literal("Clúster Turismo", lang="es")
    claut = initiative_iri("Cluster Automotriz de Nuevo León A.C. (CLAUT)")
    assert "(CLAUT)" in str(g.value(claut, RDFS.label))


def test_33_countries_with_iso_and_m49_codes_from_the_packages():
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        import country_converter as coco
    g = one_graph("territories")
    countries = set(g.subjects(RDF.type, IATP.Country))
    assert len(countries) == 33
    for c in countries:
        iso2 = str(g.value(c, IATP.iso3166Alpha2))
        assert str(g.value(c, IATP.iso3166Alpha3)) == pycountry.countries.get(alpha_2=iso2).alpha_3
        m49 = coco.convert(iso2, to="UNcode")
        assert str(g.value(c, IATP.m49Code)) == f"{int(m49):03d}"
        assert {lit.language for lit in g.objects(c, RDFS.label)} >= {"es", "en"}


def test_subdivisions_are_within_their_country():
    g = one_graph("territories")
    antioquia = URIRef("https://w3id.org/iatp/id/subdivision/co-ant")
    assert (antioquia, RDF.type, IATP.Subdivision) in g
    assert g.value(antioquia, URIRef("http://www.opengis.net/ont/geosparql#sfWithin")) == URIRef(
        "https://w3id.org/iatp/id/country/co"
    )


SPEAKERS = {
    1: {"Silvia Mejía", "Ana Lilia Barbosa", "Daniel Hernández", "Pablo Díaz"},
    2: {"Manuel Montoya", "Karina Barrera", "Carlos Bertone", "Fabiola Flores"},
}


@pytest.mark.parametrize("number", sorted(SPEAKERS))
def test_community_of_practice_sessions_have_their_speakers(seeded, number):
    rows = seeded.select(
        "PREFIX iatp: <https://w3id.org/iatp/ontology#> "
        "PREFIX rdfs: <http://www.w3.org/2000/01/rdf-schema#> "
        "SELECT ?name WHERE { ?w a iatp:Workshop ; iatp:sessionNumber ?n . "
        "?p iatp:event ?w ; iatp:participant/rdfs:label ?name ; "
        "iatp:participationRole <https://w3id.org/iatp/id/participation-role/speaker> . "
        f"FILTER(?n = {number}) }}",
        union_default_graph=True,
    )
    assert {r["name"].value for r in rows} == SPEAKERS[number]


def test_first_session_date_and_the_conflicting_announcement_are_both_kept(seeded):
    rows = seeded.select(
        "PREFIX iatp: <https://w3id.org/iatp/ontology#> PREFIX schema: <https://schema.org/> "
        "SELECT ?date ?announced WHERE { "
        "?w1 iatp:sessionNumber 1 ; schema:startDate ?date . "
        "?a a iatp:AnnouncedDate ; iatp:about ?w2 ; iatp:announcedDateText ?announced . "
        "?w2 iatp:sessionNumber 2 . FILTER NOT EXISTS { ?w2 schema:startDate ?any } }",
        union_default_graph=True,
    )
    assert [(r["date"].value, r["announced"].value) for r in rows] == [
        ("2024-10-30", "Thursday, October 28")
    ]


def test_colombian_figures_that_disagree_stand_side_by_side(seeded):
    rows = seeded.select(
        "PREFIX iatp: <https://w3id.org/iatp/ontology#> PREFIX dcterms: <http://purl.org/dc/terms/> "
        "SELECT ?value ?source WHERE { ?s iatp:about <https://w3id.org/iatp/id/country/co> ; "
        "iatp:measure <https://w3id.org/iatp/id/measure/active-cluster-initiatives> ; "
        "iatp:value ?value ; dcterms:source ?source }",
        union_default_graph=True,
    )
    by_value = {int(r["value"].value): r["source"].value for r in rows}
    assert set(by_value) == {161, 157}
    assert by_value[161] != by_value[157]


def test_every_named_graph_describes_its_provenance(seeded):
    for graph in seeded.public_graphs():
        assert seeded.ask(
            "PREFIX prov: <http://www.w3.org/ns/prov#> PREFIX iatp: <https://w3id.org/iatp/ontology#> "
            f"ASK {{ GRAPH <{graph.value}> {{ <{graph.value}> prov:wasGeneratedBy ?a . "
            "?a iatp:pipelineVersion ?v ; prov:endedAtTime ?t } }"
        ), graph.value


def test_seed_pipelines_are_all_registered():
    assert set(SEED_PIPELINES) <= set(PIPELINES)


def test_registry_example_imports_with_contacts_only_in_a_private_graph():
    output = PIPELINES["registry"](ROOT / "pipelines" / "registry" / "example.csv")
    (public,) = output.public.values()
    (private_name,) = output.private
    assert private_name.startswith(PRIVATE_GRAPH_PREFIX)
    assert not any(p in (SCHEMA.email, SCHEMA.telephone) for p in public.predicates())
    assert "person@example.org" not in public.serialize(format="nt")
    assert "person@example.org" in output.private[private_name].serialize(format="nt")
    assert len(set(public.subjects(IATP.initiativeKind, None))) == 2


def test_registry_missing_column_is_reported_on_row_1(tmp_path):
    path = tmp_path / "r.csv"
    path.write_text("name,country\nX,CO\n")
    with pytest.raises(BadRequest, match="row 1: missing column"):
        PIPELINES["registry"](path)
