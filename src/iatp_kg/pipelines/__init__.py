"""Data pipelines: one per source, each writing its own named graph with its provenance.

A pipeline is a function returning a :class:`PipelineOutput`. ``PIPELINES`` names them;
``SEED_PIPELINES`` is what ``iatp-kg ingest --seed`` and the server's first start run.
"""

from __future__ import annotations

import importlib
import tomllib
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path

from rdflib import Graph, Literal, URIRef
from rdflib.namespace import DCTERMS, PROV, RDF, VOID, XSD

from iatp_kg import __version__
from iatp_kg.namespaces import GRAPH, IATP, ID, PRIVATE_GRAPH_PREFIX
from iatp_kg.paths import bundled


@dataclass(frozen=True)
class PipelineOutput:
    """Named graphs a pipeline produced: public ones, and private ones (contacts)."""

    public: dict[str, Graph]
    private: dict[str, Graph] = field(default_factory=dict)

    def __post_init__(self) -> None:
        for name in self.public:
            if name.startswith(PRIVATE_GRAPH_PREFIX):
                raise ValueError(f"{name} is a private graph name in a public slot")
        for name in self.private:
            if not name.startswith(PRIVATE_GRAPH_PREFIX):
                raise ValueError(f"{name} is not under {PRIVATE_GRAPH_PREFIX}")

    def graphs(self) -> dict[str, Graph]:
        return {**self.public, **self.private}

    def __len__(self) -> int:
        return sum(len(g) for g in self.graphs().values())


def graph_iri(name: str) -> URIRef:
    """``graph_iri("territories")`` -> ``https://w3id.org/iatp/id/graph/territories``."""
    return GRAPH[name]


def source_info(pipeline: str) -> dict:
    """The ``pipelines/{pipeline}/source.toml`` of a pipeline (sources, retrieval date, version)."""
    path = bundled("pipelines") / pipeline / "source.toml"
    with path.open("rb") as fh:
        return tomllib.load(fh)


def pipeline_dir(pipeline: str) -> Path:
    return bundled("pipelines") / pipeline


def provenance(
    graph: URIRef,
    *,
    pipeline: str,
    title_es: str,
    title_en: str,
    sources: Iterable[str],
    retrieved: str | None,
    version: str,
) -> Graph:
    """The triples by which a named graph describes itself (PROV-O, DCTERMS, VoID)."""
    g = Graph()
    activity = URIRef(str(graph) + "#activity")
    agent = ID[f"pipeline/{pipeline}"]
    g.add((graph, RDF.type, PROV.Entity))
    g.add((graph, RDF.type, VOID.Dataset))
    g.add((graph, DCTERMS.title, Literal(title_es, lang="es")))
    g.add((graph, DCTERMS.title, Literal(title_en, lang="en")))
    g.add((graph, PROV.wasGeneratedBy, activity))
    for src in sources:
        g.add((graph, DCTERMS.source, URIRef(src)))
        g.add((graph, PROV.wasDerivedFrom, URIRef(src)))
        g.add((activity, PROV.used, URIRef(src)))
    if retrieved:
        g.add((graph, DCTERMS.date, Literal(retrieved, datatype=XSD.date)))
    g.add((activity, RDF.type, PROV.Activity))
    g.add((activity, PROV.wasAssociatedWith, agent))
    g.add((activity, IATP.pipelineVersion, Literal(version)))
    g.add((activity, IATP.softwareVersion, Literal(__version__)))
    g.add(
        (
            activity,
            PROV.endedAtTime,
            Literal(datetime.now(UTC).replace(microsecond=0).isoformat(), datatype=XSD.dateTime),
        )
    )
    g.add((agent, RDF.type, PROV.SoftwareAgent))
    return g


def with_provenance(pipeline: str, graph_name: str, data: Graph) -> dict[str, Graph]:
    """``{graph IRI: data + its provenance}``, reading ``pipelines/{pipeline}/source.toml``."""
    info = source_info(pipeline)
    iri = graph_iri(graph_name)
    data += provenance(
        iri,
        pipeline=pipeline,
        title_es=info["title_es"],
        title_en=info["title_en"],
        sources=info.get("sources", []),
        retrieved=info.get("retrieved"),
        version=str(info["version"]),
    )
    return {str(iri): data}


def _lazy(module: str, func: str) -> Callable[..., PipelineOutput]:
    def run(*args, **kwargs) -> PipelineOutput:
        return getattr(importlib.import_module(f"iatp_kg.pipelines.{module}"), func)(
            *args, **kwargs
        )

    run.__name__ = f"{module}.{func}"
    return run


PIPELINES: dict[str, Callable[..., PipelineOutput]] = {
    "ontology": _lazy("vocabularies", "run_ontology"),
    "vocabularies": _lazy("vocabularies", "run_vocabularies"),
    "isic": _lazy("isic", "run"),
    "territories": _lazy("territories", "run"),
    "lac-initiatives": _lazy("lac_initiatives", "run"),
    "community-of-practice": _lazy("hand_written", "run_community_of_practice"),
    "platform": _lazy("hand_written", "run_platform"),
    "registry": _lazy("registry", "run"),
    "catalog": _lazy("hand_written", "run_catalog"),
    # Benchmarks only, never seeded: `iatp-kg ingest synthetic --size N` streams it instead.
    "synthetic": _lazy("synthetic", "run"),
}

# Order matters only for readability: each pipeline's output is validated with the store's
# content as context, so the vocabularies and territories come first.
SEED_PIPELINES: list[str] = [
    "ontology",
    "vocabularies",
    "isic",
    "territories",
    "lac-initiatives",
    "community-of-practice",
    "platform",
    "catalog",
]

__all__ = [
    "PIPELINES",
    "SEED_PIPELINES",
    "PipelineOutput",
    "graph_iri",
    "pipeline_dir",
    "provenance",
    "source_info",
    "with_provenance",
]
