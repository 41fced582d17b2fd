"""ISIC Rev.4 sections and divisions as a SKOS concept scheme, in English and Spanish."""

from __future__ import annotations

import csv

from rdflib import Graph, Literal
from rdflib.namespace import RDF, SKOS

from iatp_kg.namespaces import ID
from iatp_kg.pipelines import PipelineOutput, pipeline_dir, with_provenance
from iatp_kg.pipelines.sector_mapping import isic_iri

SCHEME = ID["scheme/isic"]


def _spanish_titles() -> dict[str, str]:
    with (pipeline_dir("isic") / "ciiu-rev4-es.csv").open(encoding="utf-8", newline="") as fh:
        return {r["code"]: r["title_es"] for r in csv.DictReader(fh)}


def sections_and_divisions() -> list[tuple[str, str, str | None]]:
    """``(code, English title, section)`` for every section and division, in table order."""
    from isic import ISIC

    out: list[tuple[str, str, str | None]] = []
    section = None
    for code, title in ISIC.items():
        if code.isalpha():
            section = code
            out.append((code, title, None))
        elif len(code) == 2:
            out.append((code, title, section))
    return out


def build() -> Graph:
    es = _spanish_titles()
    g = Graph()
    g.add((SCHEME, RDF.type, SKOS.ConceptScheme))
    g.add((SCHEME, SKOS.prefLabel, Literal("CIIU Rev.4", lang="es")))
    g.add((SCHEME, SKOS.prefLabel, Literal("ISIC Rev.4", lang="en")))
    g.add((SCHEME, SKOS.notation, Literal("isic")))
    g.add(
        (
            SCHEME,
            SKOS.definition,
            Literal(
                "Clasificación Industrial Internacional Uniforme de todas las actividades "
                "económicas, Revisión 4 (Naciones Unidas): secciones y divisiones.",
                lang="es",
            ),
        )
    )
    g.add(
        (
            SCHEME,
            SKOS.definition,
            Literal(
                "International Standard Industrial Classification of All Economic Activities, "
                "Revision 4 (United Nations): sections and divisions.",
                lang="en",
            ),
        )
    )
    for code, title_en, section in sections_and_divisions():
        c = isic_iri(code)
        level_es, level_en = ("Sección", "Section") if section is None else ("División", "Division")
        g.add((c, RDF.type, SKOS.Concept))
        g.add((c, SKOS.inScheme, SCHEME))
        g.add((c, SKOS.notation, Literal(code)))
        g.add((c, SKOS.prefLabel, Literal(title_en, lang="en")))
        g.add((c, SKOS.prefLabel, Literal(es[code], lang="es")))
        g.add(
            (
                c,
                SKOS.definition,
                Literal(f"{level_es} {code} de la CIIU Rev.4: {es[code]}.", lang="es"),
            )
        )
        g.add(
            (
                c,
                SKOS.definition,
                Literal(f"ISIC Rev.4 {level_en.lower()} {code}: {title_en}.", lang="en"),
            )
        )
        if section is None:
            g.add((c, SKOS.topConceptOf, SCHEME))
            g.add((SCHEME, SKOS.hasTopConcept, c))
        else:
            g.add((c, SKOS.broader, isic_iri(section)))
            g.add((isic_iri(section), SKOS.narrower, c))
    return g


def run() -> PipelineOutput:
    return PipelineOutput(public=with_provenance("isic", "isic", build()))
