"""The free-text sectors found in sources, as a SKOS scheme mapped to ISIC Rev.4.

``pipelines/lac_initiatives/sector-mapping.csv`` holds one row per distinct text, the ISIC
sections or divisions it maps to, and the kind of SKOS mapping (close, broad or related).
"""

from __future__ import annotations

import csv
from functools import cache

from rdflib import Graph, Literal, URIRef
from rdflib.namespace import RDF, SKOS
from slugify import slugify

from iatp_kg.namespaces import ID
from iatp_kg.pipelines import pipeline_dir

SCHEME = ID["scheme/source-sector"]
MATCH = {"close": SKOS.closeMatch, "broad": SKOS.broadMatch, "related": SKOS.relatedMatch}


def isic_iri(code: str) -> URIRef:
    return ID[f"isic/{code}"]


def source_sector_iri(text: str) -> URIRef:
    return ID[f"source-sector/{slugify(text)}"]


@cache
def mapping() -> dict[str, dict]:
    """``{source text: {"label_es", "isic_codes": [...], "match"}}``."""
    path = pipeline_dir("lac_initiatives") / "sector-mapping.csv"
    with path.open(encoding="utf-8") as fh:
        return {
            row["source_text"]: {
                "label_es": row["label_es"],
                "isic_codes": row["isic_codes"].split(";"),
                "match": row["match"],
            }
            for row in csv.DictReader(fh)
        }


def isic_codes_for(text: str) -> list[str]:
    """The ISIC codes a source's sector text maps to.

    >>> isic_codes_for("automotive")
    ['29']
    """
    return mapping()[text]["isic_codes"]


def build() -> Graph:
    g = Graph()
    g.add((SCHEME, RDF.type, SKOS.ConceptScheme))
    g.add(
        (SCHEME, SKOS.prefLabel, Literal("Sectores tal como los escriben las fuentes", lang="es"))
    )
    g.add((SCHEME, SKOS.prefLabel, Literal("Sectors as sources write them", lang="en")))
    g.add(
        (
            SCHEME,
            SKOS.definition,
            Literal(
                "Textos libres de sector hallados en las fuentes, con su correspondencia a la CIIU Rev.4.",
                lang="es",
            ),
        )
    )
    g.add(
        (
            SCHEME,
            SKOS.definition,
            Literal("Free-text sectors found in sources, mapped to ISIC Rev.4.", lang="en"),
        )
    )
    for text, row in mapping().items():
        c = source_sector_iri(text)
        g.add((c, RDF.type, SKOS.Concept))
        g.add((c, SKOS.inScheme, SCHEME))
        g.add((c, SKOS.topConceptOf, SCHEME))
        g.add((c, SKOS.prefLabel, Literal(text, lang="en")))
        g.add((c, SKOS.prefLabel, Literal(row["label_es"], lang="es")))
        g.add((c, SKOS.notation, Literal(slugify(text))))
        g.add(
            (
                c,
                SKOS.definition,
                Literal(f"Sector «{row['label_es']}», tal como lo escribe una fuente.", lang="es"),
            )
        )
        g.add(
            (c, SKOS.definition, Literal(f"The sector “{text}” as a source writes it.", lang="en"))
        )
        for code in row["isic_codes"]:
            g.add((c, MATCH[row["match"]], isic_iri(code)))
    return g
