"""Pipelines whose facts are written by hand in Turtle from public notes, each fact citing its
note: the Community of Practice and the platform; and the catalog, the dataset's description
of itself."""

from __future__ import annotations

from rdflib import Graph, URIRef
from rdflib.namespace import DCAT, VOID

from iatp_kg.namespaces import ID
from iatp_kg.pipelines import (
    SEED_PIPELINES,
    PipelineOutput,
    graph_iri,
    pipeline_dir,
    with_provenance,
)


def _turtle(pipeline: str, graph_name: str, filename: str) -> PipelineOutput:
    g = Graph()
    g.parse(pipeline_dir(pipeline) / filename, format="turtle")
    return PipelineOutput(public=with_provenance(pipeline, graph_name, g))


def run_community_of_practice() -> PipelineOutput:
    return _turtle("community_of_practice", "community-of-practice", "community-of-practice.ttl")


def run_platform() -> PipelineOutput:
    return _turtle("platform", "platform", "platform.ttl")


def run_catalog() -> PipelineOutput:
    """``catalog.ttl``, plus the dataset's spatial coverage (every LAC country) and its named
    graphs as VoID subsets."""
    from iatp_kg.pipelines.territories import lac_countries

    g = Graph()
    g.parse(pipeline_dir("catalog") / "catalog.ttl", format="turtle")
    dataset = ID["dataset/iatp-kg"]
    for country in lac_countries():
        g.add((dataset, DCAT.spatial, ID[f"country/{country['iso2'].lower()}"]))
    for name in SEED_PIPELINES:
        if name != "catalog":
            g.add((dataset, VOID.subset, URIRef(graph_iri(name))))
    return PipelineOutput(public=with_provenance("catalog", "catalog", g))
