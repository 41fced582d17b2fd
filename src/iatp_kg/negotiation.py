"""Pure Accept / Content-Type handling: q-values, ``type/*`` and ``*/*``. No web imports.

>>> negotiate("text/csv;q=0.5, application/sparql-results+json", RESULT_MEDIA_TYPES)
'application/sparql-results+json'
>>> negotiate(None, RESULT_MEDIA_TYPES)
'application/sparql-results+json'
>>> negotiate("text/*", RDF_MEDIA_TYPES)
'text/turtle'
>>> negotiate("application/json, application/sparql-results+json;q=0, text/csv;q=0.1",
...           RESULT_MEDIA_TYPES)
'text/csv'
"""

from __future__ import annotations

from dataclasses import dataclass

from iatp_kg.errors import NotAcceptable
from iatp_kg.formats import RDF_SYNTAXES, RESULT_SYNTAXES

# Offered in order of preference: the first is the default for a missing Accept or */*.
RESULT_MEDIA_TYPES = [s.media_type for s in RESULT_SYNTAXES]
RDF_MEDIA_TYPES = [s.media_type for s in RDF_SYNTAXES]

ALIASES = {
    # Media types that clients send for the same thing.
    "application/json": "application/sparql-results+json",
    "application/xml": "application/sparql-results+xml",
    "text/xml": "application/sparql-results+xml",
    "application/x-turtle": "text/turtle",
    "text/n3": "text/turtle",
    "text/plain": "application/n-triples",
    "application/x-trig": "application/trig",
    "application/json+ld": "application/ld+json",
}

# Short names for the `format` / `output` parameters that common clients send.
FORMAT_NAMES = {
    "json": "application/sparql-results+json",
    "srj": "application/sparql-results+json",
    "xml": "application/sparql-results+xml",
    "srx": "application/sparql-results+xml",
    "csv": "text/csv",
    "tsv": "text/tab-separated-values",
    "ttl": "text/turtle",
    "turtle": "text/turtle",
    "nt": "application/n-triples",
    "ntriples": "application/n-triples",
    "nq": "application/n-quads",
    "nquads": "application/n-quads",
    "trig": "application/trig",
    "rdfxml": "application/rdf+xml",
    "rdf": "application/rdf+xml",
    "jsonld": "application/ld+json",
    "json-ld": "application/ld+json",
}


@dataclass(frozen=True)
class MediaRange:
    type: str
    subtype: str
    q: float
    order: int
    aliased: bool = False  # named by an alias (application/json for SPARQL JSON)

    def matches(self, media_type: str) -> bool:
        t, s = media_type.split("/", 1)
        return self.type in ("*", t) and self.subtype in ("*", s)

    @property
    def specificity(self) -> int:
        return (self.type != "*") + (self.subtype != "*")


def parse_accept(header: str | None, aliases: dict[str, str] | None = None) -> list[MediaRange]:
    """Media ranges of an Accept header; a malformed entry is skipped, as browsers do.
    ``aliases`` (default: the SPARQL endpoint's :data:`ALIASES`) rename media types.

    >>> [(r.type, r.subtype, r.q) for r in parse_accept("text/html;q=0.9, */*;q=0.1")]
    [('text', 'html', 0.9), ('*', '*', 0.1)]
    """
    if not header or not header.strip():
        return [MediaRange("*", "*", 1.0, 0)]
    ranges = []
    for order, part in enumerate(header.split(",")):
        pieces = [p.strip() for p in part.split(";")]
        media = pieces[0].lower()
        if "/" not in media:
            continue
        table = ALIASES if aliases is None else aliases
        aliased = media in table
        media = table.get(media, media)
        t, s = media.split("/", 1)
        q = 1.0
        for param in pieces[1:]:
            key, _, value = param.partition("=")
            if key.strip().lower() == "q":
                try:
                    q = max(0.0, min(1.0, float(value)))
                except ValueError:
                    q = 0.0
        ranges.append(MediaRange(t, s, q, order, aliased))
    return ranges


def negotiate(accept: str | None, offered: list[str], aliases: dict[str, str] | None = None) -> str:
    """The offered media type the client prefers most; ties go to the server's order.
    ``aliases`` as for :func:`parse_accept` (the REST facade passes ``{}``: there,
    ``application/json`` is plain JSON).

    Raises :class:`NotAcceptable` when nothing offered is acceptable.
    """
    ranges = parse_accept(accept, aliases)
    best: tuple[float, int, int] | None = None
    choice = None
    for index, media_type in enumerate(offered):
        # The most specific matching range decides the quality of this media type; a range
        # that names the type itself is more specific than one that names an alias of it.
        matching = [r for r in ranges if r.matches(media_type)]
        if not matching:
            continue
        top = max(matching, key=lambda r: (r.specificity, not r.aliased, -r.order))
        if top.q <= 0:
            continue
        key = (top.q, top.specificity, -index)
        if best is None or key > best:
            best, choice = key, media_type
    if choice is None:
        raise NotAcceptable(
            f"none of the offered media types is acceptable ({accept!r}); "
            f"this resource offers {', '.join(offered)}"
        )
    return choice


def format_override(value: str | None, offered: list[str]) -> str | None:
    """The media type a ``format``/``output`` parameter asks for, if it fits ``offered``.

    >>> format_override("csv", RESULT_MEDIA_TYPES)
    'text/csv'
    >>> format_override("text/turtle", RESULT_MEDIA_TYPES) is None
    True
    """
    if not value:
        return None
    media = FORMAT_NAMES.get(value.lower().strip(), value.lower().strip())
    media = ALIASES.get(media, media)
    return media if media in offered else None


def wants_html(accept: str | None) -> bool:
    """True when the client names HTML and prefers it to every data format we offer (a
    browser); ``*/*`` alone (curl, most libraries) is not a wish for HTML.

    >>> wants_html("text/html,application/xhtml+xml,application/xml;q=0.9,*/*;q=0.8")
    True
    >>> wants_html("*/*") or wants_html(None) or wants_html("application/sparql-results+json")
    False
    """
    ranges = parse_accept(accept)
    if not any(r.type == "text" and r.subtype in ("html", "*") and r.q > 0 for r in ranges):
        return False
    try:
        return (
            negotiate(accept, ["text/html", *RESULT_MEDIA_TYPES, *RDF_MEDIA_TYPES]) == "text/html"
        )
    except NotAcceptable:
        return False


def media_type_of(content_type: str | None) -> str:
    """The bare media type of a Content-Type header, lower-cased.

    >>> media_type_of("application/sparql-query; charset=UTF-8")
    'application/sparql-query'
    """
    return (content_type or "").split(";", 1)[0].strip().lower()


def charset_of(content_type: str | None) -> str | None:
    for param in (content_type or "").split(";")[1:]:
        key, _, value = param.partition("=")
        if key.strip().lower() == "charset":
            return value.strip().strip('"').lower()
    return None
