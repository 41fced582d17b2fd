"""Property-based runs (hypothesis) over the parts that read untrusted text: content
negotiation, the SPARQL request scanner, the RDF parser front door and the registry CSV
pipeline. Each may refuse its input, but only with the project's own error (a 4xx or a
row-numbered report), never with a crash; and what it accepts, it accepts consistently."""

from __future__ import annotations

import csv
import io
import string
from pathlib import Path

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from iatp_kg.errors import IatpError
from iatp_kg.formats import RDF_SYNTAXES, RESULT_SYNTAXES
from iatp_kg.loading import parse_bytes
from iatp_kg.negotiation import charset_of, format_override, media_type_of, negotiate, wants_html
from iatp_kg.pipelines import registry
from iatp_kg.sparql_text import (
    check_depth,
    keywords,
    query_form,
    reach,
    readable,
    syntax_location,
)

FUZZ = settings(max_examples=300, deadline=None, suppress_health_check=[HealthCheck.too_slow])
RESULT_TYPES = [s.media_type for s in RESULT_SYNTAXES]
MEDIA = st.sampled_from(
    [*RESULT_TYPES, "text/turtle", "application/json", "text/*", "*/*", "image/png", "a/b"]
)
ACCEPT = st.lists(
    st.tuples(MEDIA, st.one_of(st.none(), st.floats(0, 1).map(lambda q: round(q, 3)))),
    max_size=6,
).map(lambda items: ", ".join(m if q is None else f"{m};q={q}" for m, q in items))


# ---- content negotiation ---------------------------------------------------------------------
@FUZZ
@given(st.one_of(ACCEPT, st.text(max_size=300)))
def test_negotiation_picks_an_offered_type_or_refuses_cleanly(accept):
    try:
        chosen = negotiate(accept, RESULT_TYPES)
    except IatpError as exc:
        assert exc.status_code == 406
        return
    assert chosen in RESULT_TYPES


@FUZZ
@given(ACCEPT)
def test_negotiation_never_picks_a_type_the_client_refused(accept):
    refused = {
        part.split(";")[0].strip()
        for part in accept.split(",")
        if part.strip().endswith(";q=0.0") or part.strip().endswith(";q=0")
    }
    try:
        chosen = negotiate(accept, RESULT_TYPES)
    except IatpError:
        return
    explicitly_wanted = {
        part.split(";")[0].strip()
        for part in accept.split(",")
        if part.strip() and not part.strip().endswith((";q=0.0", ";q=0"))
    }
    assert chosen not in refused or chosen in explicitly_wanted


@FUZZ
@given(st.text(max_size=200))
def test_header_helpers_never_crash(text):
    media_type_of(text)
    charset_of(text)
    wants_html(text)
    try:
        format_override(text, RESULT_TYPES)
    except IatpError as exc:
        assert 400 <= exc.status_code < 500


# ---- the SPARQL request scanner ----------------------------------------------------------------
SPARQL_BITS = st.sampled_from(
    [
        "SELECT", "ASK", "CONSTRUCT", "DESCRIBE", "WHERE", "{", "}", "(", ")", "[", "]",
        "?s", "?p", "?o", "<https://example.org/x>", "'str'", '"str"', '"""long"""',
        "# comment\n", "SERVICE", "LOAD", "FROM", "NAMED", "INSERT", "DATA", "PREFIX ex:",
        "ex:a", ".", ";", ",", "FILTER", "OPTIONAL", "UNION", "GRAPH", "\n", " ", "\\",
        "<", ">", "'", '"',
    ]
)  # fmt: skip
SPARQLISH = st.lists(SPARQL_BITS, max_size=40).map(" ".join)


@FUZZ
@given(st.one_of(SPARQLISH, st.text(max_size=400)))
def test_the_request_scanner_refuses_only_with_a_4xx(text):
    keywords(text)
    for check in (query_form, check_depth, reach):
        try:
            check(text)
        except IatpError as exc:
            assert 400 <= exc.status_code < 500, exc
    try:
        reach(text, update=True)
    except IatpError as exc:
        assert 400 <= exc.status_code < 500, exc


@FUZZ
@given(st.text(max_size=300))
def test_parser_messages_are_always_made_readable(text):
    message, line, column = syntax_location(text)
    assert isinstance(message, str)
    assert (line is None) == (column is None)
    readable(text)


@FUZZ
@given(st.integers(1, 400))
def test_depth_limit_is_exact(depth):
    text = "ASK " + "{" * depth + "}" * depth
    if depth <= 100:
        check_depth(text)
    else:
        with pytest.raises(IatpError):
            check_depth(text)


# ---- the RDF parser front door -----------------------------------------------------------------
@FUZZ
@given(st.sampled_from(RDF_SYNTAXES), st.one_of(st.binary(max_size=400), SPARQLISH.map(str.encode)))
def test_rdf_documents_parse_or_are_refused_with_a_syntax_problem(syntax, data):
    try:
        parse_bytes(data, syntax, base_iri="https://example.org/", source="fuzz")
    except IatpError as exc:
        assert exc.status_code == 400


# ---- the registry CSV pipeline -----------------------------------------------------------------
EXAMPLE = (Path(__file__).parent.parent / "pipelines" / "registry" / "example.csv").read_text()
COLUMNS = next(csv.reader([EXAMPLE.splitlines()[0]]))
FIRST_ROW = dict(zip(COLUMNS, next(csv.reader([EXAMPLE.splitlines()[1]])), strict=True))
CELL = st.one_of(
    st.text(alphabet=string.printable, max_size=30),
    st.sampled_from(["", "CO", "MX", "ZZ", "CO-ANT", "62", "A", "999", "-91", "6.2", "x|y|z"]),
)


@FUZZ
@given(
    changes=st.dictionaries(st.sampled_from(COLUMNS), CELL, max_size=6), drop_column=st.booleans()
)
def test_registry_rows_import_or_are_reported_by_row(changes, drop_column, tmp_path_factory):
    row = {**FIRST_ROW, **changes}
    columns = [c for c in COLUMNS if not (drop_column and c == "kind")]
    out = io.StringIO()
    writer = csv.DictWriter(out, fieldnames=columns, extrasaction="ignore")
    writer.writeheader()
    writer.writerow(row)
    path = tmp_path_factory.mktemp("fuzz") / "registry.csv"
    path.write_text(out.getvalue(), encoding="utf-8")
    try:
        output = registry.run(path)
    except registry.RowErrors as exc:
        assert exc.status_code == 400 and exc.detail, exc
        assert all(isinstance(number, int) and number in (1, 2) for number, _ in exc.detail)
        return
    assert not drop_column
    assert output.public  # accepted rows become a public graph
