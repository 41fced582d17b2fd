"""Pipelines whose facts are written by hand in Turtle from public notes, each fact citing its
note: the Community of Practice and the platform."""

from __future__ import annotations

from rdflib import Graph

from iatp_kg.pipelines import PipelineOutput, pipeline_dir, with_provenance


def _turtle(pipeline: str, graph_name: str, filename: str) -> PipelineOutput:
    g = Graph()
    g.parse(pipeline_dir(pipeline) / filename, format="turtle")
    return PipelineOutput(public=with_provenance(pipeline, graph_name, g))


def run_community_of_practice() -> PipelineOutput:
    return _turtle("community_of_practice", "community-of-practice", "community-of-practice.ttl")


def run_platform() -> PipelineOutput:
    return _turtle("platform", "platform", "platform.ttl")
