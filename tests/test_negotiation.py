"""Content negotiation, table-tested."""

from __future__ import annotations

import contextlib

import pytest
from hypothesis import given
from hypothesis import strategies as st

from iatp_kg.errors import NotAcceptable
from iatp_kg.negotiation import (
    RDF_MEDIA_TYPES,
    RESULT_MEDIA_TYPES,
    format_override,
    negotiate,
    wants_html,
)

JSON, XML, CSV, TSV = RESULT_MEDIA_TYPES
TTL, NT, NQ, TRIG, RDFXML, JSONLD = RDF_MEDIA_TYPES

CASES = [
    (None, RESULT_MEDIA_TYPES, JSON),
    ("", RESULT_MEDIA_TYPES, JSON),
    ("*/*", RESULT_MEDIA_TYPES, JSON),
    ("application/sparql-results+xml", RESULT_MEDIA_TYPES, XML),
    ("text/csv", RESULT_MEDIA_TYPES, CSV),
    ("text/tab-separated-values", RESULT_MEDIA_TYPES, TSV),
    ("text/*", RESULT_MEDIA_TYPES, CSV),
    ("application/json", RESULT_MEDIA_TYPES, JSON),
    ("application/xml", RESULT_MEDIA_TYPES, XML),
    ("text/csv;q=0.5, application/sparql-results+xml;q=0.9", RESULT_MEDIA_TYPES, XML),
    ("text/csv;q=1.0, */*;q=0.1", RESULT_MEDIA_TYPES, CSV),
    ("application/*;q=0.2, text/tab-separated-values;q=0.3", RESULT_MEDIA_TYPES, TSV),
    ("*/*;q=0.1, application/sparql-results+json;q=0", RESULT_MEDIA_TYPES, XML),
    (None, RDF_MEDIA_TYPES, TTL),
    ("*/*", RDF_MEDIA_TYPES, TTL),
    ("application/n-triples", RDF_MEDIA_TYPES, NT),
    ("text/plain", RDF_MEDIA_TYPES, NT),
    ("application/ld+json", RDF_MEDIA_TYPES, JSONLD),
    ("application/rdf+xml;q=0.9, text/turtle;q=0.8", RDF_MEDIA_TYPES, RDFXML),
    ("application/trig", RDF_MEDIA_TYPES, TRIG),
    ("application/n-quads", RDF_MEDIA_TYPES, NQ),
    ("TEXT/TURTLE", RDF_MEDIA_TYPES, TTL),
    ("text/turtle;q=0.5;charset=utf-8, application/n-triples;q=0.4", RDF_MEDIA_TYPES, TTL),
    ("garbage, text/csv", RESULT_MEDIA_TYPES, CSV),
]


@pytest.mark.parametrize(("accept", "offered", "expected"), CASES)
def test_negotiate_picks_the_preferred_offered_type(accept, offered, expected):
    assert negotiate(accept, offered) == expected


@pytest.mark.parametrize(
    ("accept", "offered"),
    [
        ("image/png", RESULT_MEDIA_TYPES),
        ("text/turtle", RESULT_MEDIA_TYPES),
        ("application/sparql-results+json", RDF_MEDIA_TYPES),
        ("*/*;q=0", RESULT_MEDIA_TYPES),
        ("text/html", RDF_MEDIA_TYPES),
    ],
)
def test_negotiate_raises_406_when_nothing_fits(accept, offered):
    with pytest.raises(NotAcceptable):
        negotiate(accept, offered)


@pytest.mark.parametrize(
    ("value", "offered", "expected"),
    [
        ("json", RESULT_MEDIA_TYPES, JSON),
        ("CSV", RESULT_MEDIA_TYPES, CSV),
        ("application/sparql-results+xml", RESULT_MEDIA_TYPES, XML),
        ("ttl", RDF_MEDIA_TYPES, TTL),
        ("json-ld", RDF_MEDIA_TYPES, JSONLD),
        ("ttl", RESULT_MEDIA_TYPES, None),
        ("nonsense", RESULT_MEDIA_TYPES, None),
        (None, RESULT_MEDIA_TYPES, None),
    ],
)
def test_format_parameter_overrides_accept(value, offered, expected):
    assert format_override(value, offered) == expected


@pytest.mark.parametrize(
    ("accept", "html"),
    [
        ("text/html,application/xhtml+xml,application/xml;q=0.9,*/*;q=0.8", True),
        ("*/*", False),
        (None, False),
        ("application/sparql-results+json", False),
        ("text/turtle, text/html;q=0.5", False),
    ],
)
def test_wants_html_only_for_browsers(accept, html):
    assert wants_html(accept) is html


@given(st.text(max_size=200))
def test_negotiate_never_fails_otherwise_than_406(accept):
    with contextlib.suppress(NotAcceptable):
        assert negotiate(accept, RESULT_MEDIA_TYPES) in RESULT_MEDIA_TYPES
