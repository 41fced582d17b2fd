"""The ontology and the SKOS vocabularies, as pipelines of their own."""

from __future__ import annotations

from functools import cache

from rdflib import Graph

from iatp_kg.paths import bundled
from iatp_kg.pipelines import PipelineOutput, sector_mapping, with_provenance


@cache
def _parsed(name: str) -> Graph:
    g = Graph()
    g.parse(bundled("ontology") / name, format="turtle")
    return g


def build_ontology() -> Graph:
    """``ontology/iatp.ttl`` (a fresh copy each call)."""
    g = Graph()
    g += _parsed("iatp.ttl")
    return g


def build_vocabularies() -> Graph:
    """``ontology/vocabularies.ttl`` plus the source-sector scheme."""
    g = Graph()
    g += _parsed("vocabularies.ttl")
    g += sector_mapping.build()
    return g


def run_ontology() -> PipelineOutput:
    return PipelineOutput(public=with_provenance("ontology", "ontology", build_ontology()))


def run_vocabularies() -> PipelineOutput:
    return PipelineOutput(
        public=with_provenance("vocabularies", "vocabularies", build_vocabularies())
    )
