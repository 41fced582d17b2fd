"""How a remote SPARQL server departs from SPARQL 1.1, where :mod:`iatp_kg.remote` bridges it
(``IATP_KG_STORE_DIALECT``): ``standard`` (Oxigraph server, Fuseki) or ``virtuoso``.

Virtuoso 7.2 (Debian's ``virtuoso-opensource``), as found against a real instance:

- its default graph, without a protocol dataset, is the union of every graph, its own included;
  iatp-kg can hold nothing there, and reads it as empty;
- it holds graphs of its own (``virtrdf#``, ``ldp#``, ``localuriqaserver``): never shown,
  counted, dumped or queried;
- ``GRAPH ?g { }`` answers one row with ``?g`` unbound: graphs are found with a triple pattern
  (a graph without triples does not exist there), grouped by ``?g``: the same rows as a
  ``SELECT DISTINCT ?g``, which takes it seconds on a few thousand quads (a GROUP BY, ms);
- its Graph Store without ``?graph`` does not answer the dataset: dumps and digests read it
  with one SELECT (``ResultSetMaxRows`` in virtuoso.ini must be above the store's size);
- ``INSERT DATA`` refuses blank nodes: quads holding one are sent as ``INSERT { … } WHERE {}``;
- its JSON results name blank nodes ``nodeID://b1`` (not a blank node label) and type literals
  ``typed-literal`` (SPARQL 2005's draft): both rewritten before parsing or relaying.

>>> fix_virtuoso_json(b'{"type": "bnode", "value": "nodeID://b10000"}')
b'{"type": "bnode", "value": "b10000"}'
>>> fix_virtuoso_json(b'{ "type": "typed-literal", "datatype": "http://x", "value": "3" }')
b'{ "type": "literal", "datatype": "http://x", "value": "3" }'
>>> fix_virtuoso_json(b'{"type": "literal", "value": "say \\\\"nodeID://b1"}')
b'{"type": "literal", "value": "say \\\\"nodeID://b1"}'
"""

from __future__ import annotations

import re
from collections.abc import AsyncIterator, Callable
from dataclasses import dataclass

_NODE_ID = re.compile(rb'(?<!\\)"nodeID://')
_TYPED = re.compile(rb'"type":\s*"typed-literal"')
_ASK = re.compile(rb'"vars":\s*\[\s*"__ASK_RETVAL"\s*\]')
_ASK_VALUE = re.compile(rb'"value":\s*"(\d+)"')


def fix_virtuoso_json(body: bytes) -> bytes:
    """Virtuoso's SPARQL JSON results made standard: blank node labels, literal types, and an
    ASK answered as a SELECT of ``?__ASK_RETVAL`` (as it does with a protocol dataset).

    >>> fix_virtuoso_json(b'{ "head": { "vars": ["__ASK_RETVAL"] }, "results": { "bindings": ['
    ...     b'{ "__ASK_RETVAL": { "type": "typed-literal", "value": "0" }} ] } }')
    b'{"head": {}, "boolean": false}'
    """
    if _ASK.search(body):
        value = _ASK_VALUE.search(body)
        answer = b"true" if value and value.group(1) != b"0" else b"false"
        return b'{"head": {}, "boolean": ' + answer + b"}"
    return _TYPED.sub(b'"type": "literal"', _NODE_ID.sub(b'"', body))


async def fixed_chunks(chunks: AsyncIterator[bytes], fix: Callable[[bytes], bytes]):
    """``chunks`` rewritten by ``fix``, cut only after a newline (Virtuoso writes one binding
    per line, so no rewritten pattern spans two pieces; an ASK's few lines are kept whole)."""
    pending = b""
    async for chunk in chunks:
        pending += chunk
        if b"__ASK_RETVAL" in pending:
            continue
        cut = pending.rfind(b"\n") + 1
        if cut:
            yield fix(pending[:cut])
            pending = pending[cut:]
    if pending:
        yield fix(pending)


@dataclass(frozen=True)
class Dialect:
    """What iatp-kg sends to a remote, and how it reads the answers."""

    name: str
    graphs: str  # a SELECT of ?g: the named graphs
    has_default_graph: bool  # a default graph apart from the named graphs
    dataset_by_query: bool  # read the whole dataset with a SELECT, not a Graph Store GET
    bnodes_in_insert_data: bool
    own_graphs: frozenset[str] = frozenset()  # the engine's graphs, never iatp-kg's
    fix_json: Callable[[bytes], bytes] | None = None

    def graph_exists(self, graph: str) -> str:
        """An ASK of whether the graph ``graph`` (in SPARQL form) exists."""
        if self.has_default_graph:
            return f"ASK {{ GRAPH {graph} {{ }} }}"
        return f"ASK {{ GRAPH {graph} {{ ?s ?p ?o }} }}"


STANDARD = Dialect(
    "standard",
    graphs="SELECT DISTINCT ?g WHERE { GRAPH ?g { } }",
    has_default_graph=True,
    dataset_by_query=False,
    bnodes_in_insert_data=True,
)

VIRTUOSO = Dialect(
    "virtuoso",
    graphs="SELECT ?g WHERE { GRAPH ?g { ?s ?p ?o } } GROUP BY ?g",
    has_default_graph=False,
    dataset_by_query=True,
    bnodes_in_insert_data=False,
    own_graphs=frozenset(
        {
            "http://www.openlinksw.com/schemas/virtrdf#",
            "http://www.w3.org/ns/ldp#",
            "http://localuriqaserver/sparql",
        }
    ),
    fix_json=fix_virtuoso_json,
)

DIALECTS = {d.name: d for d in (STANDARD, VIRTUOSO)}
