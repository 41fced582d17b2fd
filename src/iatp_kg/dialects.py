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
- ``DROP ALL``, ``CLEAR ALL``, ``DROP NAMED`` and ``CLEAR NAMED`` answer success and remove
  nothing: sent as one ``DROP SILENT GRAPH`` per graph the store holds;
- ``INSERT DATA`` refuses blank nodes: quads holding one are sent as ``INSERT { … } WHERE {}``;
- its N-Triples write every non-ASCII character as ``\\uXXXX`` (valid, but pyld's N-Quads
  reader, which frames the REST facade's JSON-LD, keeps such escapes as text): written back
  as UTF-8;
- its JSON-LD results drop language tags (``"Sector académico"`` for ``"…"@es``) and its
  RDF/XML drops the datatype of its geometry literals: a graph asked for in either is read as
  N-Triples and written by pyoxigraph;
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

from iatp_kg.sparql_text import _SKIP

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


_ESCAPE = re.compile(rb"(?<!\\)((?:\\\\)*)\\(?:u([0-9A-Fa-f]{4})|U([0-9A-Fa-f]{8}))")


def fix_virtuoso_ntriples(body: bytes) -> bytes:
    r"""Virtuoso's N-Triples with each ``\u``/``\U`` escape of a non-ASCII character written
    as UTF-8 (ASCII escapes, and an escaped backslash before a ``u``, are left alone).

    >>> fix_virtuoso_ntriples(rb'<a:s> <a:p> "M\u00E9xico \\u00E9 \u0022 \U0001F600"@es .')
    b'<a:s> <a:p> "M\xc3\xa9xico \\\\u00E9 \\u0022 \xf0\x9f\x98\x80"@es .'
    """

    def utf8(m: re.Match) -> bytes:
        code = int(m.group(2) or m.group(3), 16)
        if code < 0x80 or 0xD800 <= code <= 0xDFFF or code > 0x10FFFF:
            return m.group(0)
        return m.group(1) + chr(code).encode("utf-8")

    return _ESCAPE.sub(utf8, body) if b"\\" in body else body


async def rewritten_graph(chunks: AsyncIterator[bytes], fmt, fix: Callable[[bytes], bytes]):
    """A whole N-Triples answer (fixed by ``fix``) written in the RDF format ``fmt`` by
    pyoxigraph, in one piece at the end."""
    import pyoxigraph as ox

    body = b"".join([chunk async for chunk in chunks])
    triples = ox.parse(fix(body), ox.RdfFormat.N_TRIPLES)
    yield ox.serialize(triples, format=fmt)


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


_EVERY_GRAPH = re.compile(
    rf"(?P<skip>{_SKIP.pattern})"
    r"| \b(?:DROP|CLEAR) \s+ (?:SILENT \s+)? (?:ALL|NAMED) \b",
    re.VERBOSE | re.IGNORECASE,
)


def drop_each_graph(update: str, graphs: list[str]) -> str:
    """``update`` with each ``DROP``/``CLEAR`` of ``ALL`` or ``NAMED`` (outside strings, IRIs
    and comments) spelled as one ``DROP SILENT GRAPH`` per graph in ``graphs``, on one line.

    >>> drop_each_graph("DROP ALL ; INSERT DATA { <a:s> <a:p> 'drop all' }", ["a:g", "a:h"])
    "DROP SILENT GRAPH <a:g> ; DROP SILENT GRAPH <a:h> ; INSERT DATA { <a:s> <a:p> 'drop all' }"
    >>> drop_each_graph("clear silent named # DROP ALL", [])
    'CLEAR SILENT GRAPH <urn:iatp-kg:none> # DROP ALL'
    """

    def spelled(m: re.Match) -> str:
        if m.group("skip") is not None:
            return m.group(0)
        if not graphs:
            return "CLEAR SILENT GRAPH <urn:iatp-kg:none>"  # an operation that does nothing
        return " ; ".join(f"DROP SILENT GRAPH <{g}>" for g in graphs)

    return _EVERY_GRAPH.sub(spelled, update)


@dataclass(frozen=True)
class Dialect:
    """What iatp-kg sends to a remote, and how it reads the answers."""

    name: str
    graphs: str  # a SELECT of ?g: the named graphs
    has_default_graph: bool  # a default graph apart from the named graphs
    dataset_by_query: bool  # read the whole dataset with a SELECT, not a Graph Store GET
    bnodes_in_insert_data: bool
    own_graphs: frozenset[str] = frozenset()  # the engine's graphs, never iatp-kg's
    drop_all_by_graph: bool = False  # DROP/CLEAR ALL/NAMED sent as one DROP per graph
    fix_json: Callable[[bytes], bytes] | None = None
    fix_ntriples: Callable[[bytes], bytes] | None = None
    graphs_via_ntriples: frozenset[str] = frozenset()  # RDF media types read as N-Triples

    def insert(self, body: str, blank: bool) -> str:
        """An ``INSERT DATA`` of ``body`` (triples, or ``GRAPH`` blocks of them), or the same
        in effect, ``INSERT { … } WHERE {}``, when ``body`` holds a blank node (``blank``) and
        the engine refuses one in data.

        >>> VIRTUOSO.insert("_:b <a:p> 1 .", True)
        'INSERT {\\n_:b <a:p> 1 .\\n} WHERE {}'
        >>> STANDARD.insert("_:b <a:p> 1 .", True)
        'INSERT DATA {\\n_:b <a:p> 1 .\\n}'
        """
        if blank and not self.bnodes_in_insert_data:
            return f"INSERT {{\n{body}\n}} WHERE {{}}"
        return f"INSERT DATA {{\n{body}\n}}"

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
    drop_all_by_graph=True,
    fix_json=fix_virtuoso_json,
    fix_ntriples=fix_virtuoso_ntriples,
    graphs_via_ntriples=frozenset({"application/ld+json", "application/rdf+xml"}),
)

DIALECTS = {d.name: d for d in (STANDARD, VIRTUOSO)}
