"""Every ontology term and every concept is labelled and defined in Spanish and English."""

from __future__ import annotations

import csv
from pathlib import Path

import pytest
from rdflib import Graph
from rdflib.namespace import OWL, RDF, RDFS, SKOS

from iatp_kg.namespaces import IATP
from iatp_kg.pipelines import isic, sector_mapping, vocabularies

ROOT = Path(__file__).parents[1]
KINDS = [
    "ClusterInitiative",
    "ProductionChainInitiative",
    "LocalProductiveInitiative",
    "BusinessNetworkInitiative",
    "SupplierDevelopmentInitiative",
]


@pytest.fixture(scope="module")
def ontology() -> Graph:
    return vocabularies.build_ontology()


def _terms(g: Graph):
    kinds = (OWL.Class, OWL.ObjectProperty, OWL.DatatypeProperty, OWL.AnnotationProperty)
    return sorted({s for k in kinds for s in g.subjects(RDF.type, k)})


def test_every_term_has_spanish_and_english_label_and_definition(ontology):
    missing = []
    for term in _terms(ontology):
        for prop in (RDFS.label, SKOS.definition):
            langs = {o.language for o in ontology.objects(term, prop)}
            if not {"es", "en"} <= langs:
                missing.append(
                    f"{term} {prop.n3(ontology.namespace_manager)} has {sorted(map(str, langs))}"
                )
    assert not missing, "\n".join(missing)


def test_iatp_namespace_terms_are_all_declared(ontology):
    used = {t for triple in ontology for t in triple if str(t).startswith(str(IATP))}
    declared = set(_terms(ontology)) | set(ontology.subjects(RDF.type, OWL.NamedIndividual))
    assert used <= declared, sorted(map(str, used - declared))


@pytest.mark.parametrize("name", KINDS)
def test_initiative_kinds_are_subclasses_of_initiative(ontology, name):
    assert (IATP[name], RDFS.subClassOf, IATP.Initiative) in ontology


def test_every_concept_has_spanish_and_english_label_and_definition():
    g = vocabularies.build_vocabularies() + isic.build()
    concepts = set(g.subjects(RDF.type, SKOS.Concept)) | set(
        g.subjects(RDF.type, SKOS.ConceptScheme)
    )
    assert len(concepts) > 200
    for c in concepts:
        for prop in (SKOS.prefLabel, SKOS.definition):
            langs = {o.language for o in g.objects(c, prop)}
            assert {"es", "en"} <= langs, f"{c} {prop} {langs}"


def test_isic_has_21_sections_and_every_division_a_section():
    g = isic.build()
    sections = [c for c, _, s in isic.sections_and_divisions() if s is None]
    divisions = [c for c, _, s in isic.sections_and_divisions() if s is not None]
    assert len(sections) == 21
    assert len(divisions) == 88
    for code in divisions:
        assert g.value(sector_mapping.isic_iri(code), SKOS.broader) is not None, code


def test_source_sector_mapping_covers_every_sector_of_the_seed_table():
    with (ROOT / "pipelines" / "lac_initiatives" / "lac-initiatives.csv").open(
        encoding="utf-8"
    ) as fh:
        sectors = {row["sector"] for row in csv.DictReader(fh)}
    known = {code for code, _, _ in isic.sections_and_divisions()}
    for text in sectors:
        codes = sector_mapping.isic_codes_for(text)
        assert codes and set(codes) <= known, text
