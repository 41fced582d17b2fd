"""JSON-LD for the REST facade: the published context, a document loader that never goes to the
web, and framing of N-Triples into the nested documents the API serves.

The context is the file ``static/context.jsonld``; documents name it by its public URL
(``{base_iri}context.jsonld``), and :func:`local_loader` serves that URL from the package and
refuses every other one, so pyld never opens a connection:

>>> loader = local_loader("https://w3id.org/iatp/context.jsonld")
>>> loader("https://w3id.org/iatp/context.jsonld", {})["document"]["@context"]["id"]
'@id'
>>> loader("https://example.org/other.jsonld", {})
Traceback (most recent call last):
...
pyld.jsonld.JsonLdError: ('Refusing to load a remote JSON-LD document; only the published context is served.',...
"""

from __future__ import annotations

import functools
from collections.abc import Callable, Iterable

import orjson
from pyld import jsonld

from iatp_kg.paths import static_dir

CONTEXT_FILE = "context.jsonld"
CONTEXT_MEDIA_TYPE = "application/ld+json"


@functools.cache
def context_bytes() -> bytes:
    """The published context, as the file holds it."""
    return (static_dir() / CONTEXT_FILE).read_bytes()


@functools.cache
def context_document() -> dict:
    return orjson.loads(context_bytes())


def context_url(base_iri: str) -> str:
    """The public URL of the context: ``{base_iri}context.jsonld``."""
    return f"{base_iri}{CONTEXT_FILE}"


def local_loader(*urls: str) -> Callable[[str, dict], dict]:
    """A pyld document loader that serves the context under ``urls`` and refuses the rest."""
    allowed = set(urls)

    def load(url: str, options: dict | None = None) -> dict:
        if url in allowed:
            return {
                "contentType": CONTEXT_MEDIA_TYPE,
                "contextUrl": None,
                "documentUrl": url,
                "document": context_document(),
            }
        raise jsonld.JsonLdError(
            "Refusing to load a remote JSON-LD document; only the published context is served.",
            "jsonld.LoadDocumentError",
            {"url": url},
            code="loading document failed",
        )

    return load


def frame_nodes(nquads: str, roots: Iterable[str], frame: dict, base_iri: str) -> dict[str, dict]:
    """Frame the triples of ``nquads`` (N-Triples or N-Quads) around each IRI of ``roots``.

    Returns the compacted node of each root that the data describes, keyed by IRI, without
    ``@context`` (the caller adds the context URL). ``frame`` holds the nested frames of one
    resource (``@embed``, reverse properties ...); nodes that have IRIs keep them, so the
    result introduces no blank node.
    """
    roots = list(roots)
    if not roots or not nquads.strip():
        return {}
    url = context_url(base_iri)
    expanded = jsonld.from_rdf(nquads, {"format": "application/n-quads", "useNativeTypes": True})
    framed = jsonld.frame(
        expanded,
        {"@context": url, "@embed": "@always", **frame, "id": roots},
        {
            "documentLoader": local_loader(url),
            "omitGraph": False,
            "pruneBlankNodeIdentifiers": True,
        },
    )
    nodes = framed.get("@graph", [])
    return {node["id"]: node for node in nodes if isinstance(node, dict) and "id" in node}
