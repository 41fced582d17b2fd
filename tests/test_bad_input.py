"""The bad-input corpus, command line: every case is refused with a clear message and exit
code, and a digest of the store taken before and after is unchanged.

Each case names the file it feeds (so a message can be checked for file and line), the exit
code (1: does not conform to the shapes, 2: error) and a part of the message. The SHACL-invalid
examples of tests/shapes/invalid join the corpus through ``iatp-kg load``, so adding one there
adds a case here. The HTTP cases are in test_bad_input_http.py.
"""

from __future__ import annotations

import codecs
import json
import shutil
from dataclasses import dataclass
from pathlib import Path

import pytest
from conftest import digest, iatp_kg
from reliability import record

HERE = Path(__file__).parent
EX = "https://example.org/"
P = "@prefix ex: <https://example.org/> .\n"
VALID = (HERE / "shapes" / "valid" / "initiative-minimal.ttl").read_text(encoding="utf-8")
REGISTRY = (HERE.parent / "pipelines" / "registry" / "example.csv").read_text(encoding="utf-8")
HEADER, ROW, *_ = REGISTRY.splitlines()
REMOTE = "http://127.0.0.1:9/context.jsonld"  # never contacted: port 9 is discard


@dataclass(frozen=True)
class Case:
    id: str
    filename: str
    content: bytes
    exit: int
    message: str
    command: str = "load"  # or "registry"

    def args(self, path: Path, store: Path) -> list:
        if self.command == "registry":
            command = ["ingest", "registry", "--file", path]
        else:
            command = ["load", path]
        return [*command, "--store", store, "--report-format", "json"]


def b(text: str) -> bytes:
    return text.encode("utf-8")


def with_row(*rows: str, header: str = HEADER) -> bytes:
    return b("\n".join([header, *rows]) + "\n")


def row(**changes: str) -> str:
    """The example row with some columns changed (the name too, so rows differ)."""
    import csv
    import io

    names = next(csv.reader([HEADER]))
    values = dict(zip(names, next(csv.reader([ROW])), strict=True))
    values.update(changes)
    out = io.StringIO()
    csv.writer(out, lineterminator="").writerow([values[n] for n in names])
    return out.getvalue()


def deep_jsonld(depth: int) -> bytes:
    return b(
        '{"@id": "https://example.org/a", "https://example.org/p": ' * depth + "1" + "}" * depth
    )


CASES = [
    # -- truncated or invalid Turtle -----------------------------------------------------------
    Case("turtle-truncated-in-literal", "a.ttl", b(P + 'ex:a ex:b "open'), 2, "a.ttl:2:"),
    Case("turtle-truncated-in-iri", "a.ttl", b(P + "ex:a ex:b <https://exa"), 2, "a.ttl:2:"),
    Case("turtle-missing-final-dot", "a.ttl", b(P + "ex:a ex:b ex:c"), 2, "a.ttl:"),
    Case("turtle-unbalanced-bracket", "a.ttl", b(P + "ex:a ex:b [ ex:c ex:d .\n"), 2, "a.ttl:"),
    Case("turtle-undefined-prefix", "a.ttl", b(P + "ex:a nope:b ex:c .\n"), 2, "a.ttl:2:"),
    Case("turtle-bad-escape", "a.ttl", b(P + 'ex:a ex:b "a\\qb" .\n'), 2, "a.ttl:2:"),
    Case(
        "turtle-iri-with-space",
        "a.ttl",
        b(P + "ex:a ex:b <https://exa mple.org/> .\n"),
        2,
        "a.ttl:2:",
    ),
    Case(
        "turtle-iri-with-brace",
        "a.ttl",
        b(P + "ex:a ex:b <https://example.org/{x}> .\n"),
        2,
        "a.ttl:2:",
    ),
    Case("turtle-bad-language-tag", "a.ttl", b(P + 'ex:a ex:b "x"@-12 .\n'), 2, "a.ttl:2:"),
    Case("turtle-bare-word", "a.ttl", b(P + "ex:a ex:b hello .\n"), 2, "a.ttl:2:"),
    Case("turtle-literal-as-subject", "a.ttl", b(P + '"s" ex:b ex:c .\n'), 2, "a.ttl:2:"),
    Case("turtle-nul-byte", "a.ttl", b(P + 'ex:a ex:b "x" .\n\x00\n'), 2, "a.ttl:3:"),
    Case(
        "turtle-unclosed-long-string", "a.ttl", b(P + 'ex:a ex:b """never\nclosed .\n'), 2, "a.ttl:"
    ),
    Case("trig-unclosed-graph", "a.trig", b(P + "ex:g { ex:a ex:b ex:c .\n"), 2, "a.trig:"),
    Case("ntriples-relative-iri", "a.nt", b("<a> <b> <c> .\n"), 2, "a.nt:1:"),
    Case("ntriples-prefixed-name", "a.nt", b("ex:a ex:b ex:c .\n"), 2, "a.nt:1:"),
    Case(
        "nquads-five-terms", "a.nq", b(f"<{EX}a> <{EX}b> <{EX}c> <{EX}g> <{EX}h> .\n"), 2, "a.nq:1:"
    ),
    Case(
        "rdfxml-malformed-xml",
        "a.rdf",
        b('<rdf:RDF xmlns:rdf="http://www.w3.org/1999/02/22-rdf-syntax-ns#"><rdf:Description>'),
        2,
        "a.rdf:",
    ),
    Case("rdfxml-not-xml", "a.rdf", b("@prefix ex: <x> ."), 2, "a.rdf:"),
    Case("unknown-extension", "a.xyz", b(P), 2, "--format"),
    # -- JSON-LD -------------------------------------------------------------------------------
    Case("jsonld-invalid-json", "a.jsonld", b('{"@id": "https://example.org/a", '), 2, "a.jsonld:"),
    Case(
        "jsonld-remote-context",
        "a.jsonld",
        b(json.dumps({"@context": REMOTE, "@id": f"{EX}a"})),
        2,
        "remote @context",
    ),
    Case(
        "jsonld-remote-context-in-array",
        "a.jsonld",
        b(json.dumps({"@context": [{"ex": EX}, REMOTE], "@id": f"{EX}a"})),
        2,
        "remote @context",
    ),
    Case(
        "jsonld-remote-scoped-context",
        "a.jsonld",
        b(
            json.dumps(
                {
                    "@context": {"t": {"@id": f"{EX}t", "@context": REMOTE}},
                    "@id": f"{EX}a",
                    "t": {"@id": f"{EX}b"},
                }
            )
        ),
        2,
        "remote @context",
    ),
    Case(
        "jsonld-remote-import",
        "a.jsonld",
        b(json.dumps({"@context": {"@version": 1.1, "@import": REMOTE}, "@id": f"{EX}a"})),
        2,
        "remote @context",
    ),
    Case("jsonld-nested-100k-deep", "a.jsonld", deep_jsonld(100_000), 2, "a.jsonld:"),
    Case("jsonld-array-100k-deep", "a.jsonld", b("[" * 100_000 + "]" * 100_000), 2, "a.jsonld:"),
    # -- encodings and byte-order marks --------------------------------------------------------
    Case(
        "utf16-with-bom",
        "a.ttl",
        codecs.BOM_UTF16_LE + (P + 'ex:a ex:b "x" .\n').encode("utf-16-le"),
        2,
        "UTF-8",
    ),
    Case("utf16-without-bom", "a.ttl", (P + 'ex:a ex:b "x" .\n').encode("utf-16-be"), 2, "a.ttl:"),
    Case("latin1-accent", "a.ttl", (P + 'ex:a ex:b "Clúster" .\n').encode("latin-1"), 2, "UTF-8"),
    Case("utf32", "a.ttl", (P + 'ex:a ex:b "x" .\n').encode("utf-32"), 2, "a.ttl:"),
    Case("utf8-bom-then-invalid", "a.ttl", codecs.BOM_UTF8 + b(P + 'ex:a ex:b "x\n'), 2, "a.ttl:"),
    Case(
        "invalid-utf8-in-iri",
        "a.nt",
        f"<{EX}caf".encode() + b"\xe9> <" + f"{EX}b> <{EX}c> .\n".encode(),
        2,
        "UTF-8",
    ),
    # -- huge literals, invalid IRIs, ill-typed values (caught by the shapes) -----------------
    Case(
        "huge-literal-name",
        "a.ttl",
        b(VALID.replace('"Clúster de ejemplo"@es', '"' + "Clúster " * 700_000 + '"@es')),
        1,
        "longer than 500",
    ),
    Case(
        "huge-description",
        "a.ttl",
        b(
            VALID.replace(
                "dcterms:source",
                'dcterms:description """' + "x" * 2_000_000 + '"""@en ;\n    dcterms:source',
            )
        ),
        1,
        "longer than 20,000",
    ),
    Case(
        "ill-typed-member-count",
        "a.ttl",
        b(
            VALID.replace(
                "dcterms:source", 'iatp:memberFirmCount "many"^^xsd:integer ;\n    dcterms:source'
            )
        ),
        1,
        "non-negative integer",
    ),
    Case(
        "impossible-founding-year",
        "a.ttl",
        b(
            VALID.replace(
                "dcterms:source", 'iatp:foundingYear "20x6"^^xsd:gYear ;\n    dcterms:source'
            )
        ),
        1,
        "foundingYear",
    ),
    Case(
        "website-javascript-literal",
        "a.ttl",
        b(
            VALID.replace(
                "dcterms:source", 'schema:url "javascript:alert(1)" ;\n    dcterms:source'
            )
        ),
        1,
        "url",
    ),
    Case(
        "country-that-does-not-exist",
        "a.ttl",
        b(VALID.replace("country/co>", "country/zz>")),
        1,
        "country",
    ),
    Case(
        "sector-code-that-does-not-exist",
        "a.ttl",
        b(
            VALID.replace(
                "dcterms:source",
                "iatp:sector <https://w3id.org/iatp/id/isic/999> ;\n    dcterms:source",
            )
        ),
        1,
        "ISIC",
    ),
    # -- registry CSVs -------------------------------------------------------------------------
    Case("registry-empty-file", "r.csv", b(""), 2, "missing column", "registry"),
    Case("registry-header-only", "r.csv", b(HEADER + "\n"), 2, "no rows", "registry"),
    Case(
        "registry-missing-column",
        "r.csv",
        with_row(
            ",".join(ROW.split(",")[:2] + ROW.split(",")[3:]), header=HEADER.replace("country,", "")
        ),
        2,
        "missing column",
        "registry",
    ),
    Case(
        "registry-extra-column",
        "r.csv",
        with_row(ROW + ",surprise", header=HEADER + ",favourite_colour"),
        2,
        "favourite_colour",
        "registry",
    ),
    Case(
        "registry-semicolon-delimited",
        "r.csv",
        b(HEADER.replace(",", ";") + "\n" + ROW.replace(",", ";") + "\n"),
        2,
        "missing column",
        "registry",
    ),
    Case(
        "registry-latitude-not-a-number",
        "r.csv",
        with_row(row(latitude="north")),
        2,
        "row 2",
        "registry",
    ),
    Case("registry-latitude-200", "r.csv", with_row(row(latitude="200")), 2, "row 2", "registry"),
    Case("registry-longitude-only", "r.csv", with_row(row(latitude="")), 2, "row 2", "registry"),
    Case(
        "registry-coordinates-in-the-sea",
        "r.csv",
        with_row(row(latitude="0", longitude="-150")),
        1,
        "bounding box",
        "registry",
    ),
    Case(
        "registry-unknown-country",
        "r.csv",
        with_row(row(country="ZZ", subdivision="")),
        2,
        "row 2",
        "registry",
    ),
    Case(
        "registry-country-outside-lac",
        "r.csv",
        with_row(row(country="FR", subdivision="", city="", latitude="", longitude="")),
        2,
        "row 2",
        "registry",
    ),
    Case(
        "registry-subdivision-of-another-country",
        "r.csv",
        with_row(row(subdivision="MX-NLE")),
        2,
        "row 2",
        "registry",
    ),
    Case(
        "registry-unknown-subdivision",
        "r.csv",
        with_row(row(subdivision="CO-XXX")),
        2,
        "row 2",
        "registry",
    ),
    Case("registry-unknown-sector", "r.csv", with_row(row(sectors="999")), 2, "row 2", "registry"),
    Case("registry-unknown-kind", "r.csv", with_row(row(kind="cartel")), 2, "row 2", "registry"),
    Case("registry-bad-founded", "r.csv", with_row(row(founded="20x5")), 2, "row 2", "registry"),
    Case(
        "registry-bad-website", "r.csv", with_row(row(website="not a url")), 2, "row 2", "registry"
    ),
    Case(
        "registry-negative-firm-count",
        "r.csv",
        with_row(row(member_firm_count="-3")),
        2,
        "row 2",
        "registry",
    ),
    Case(
        "registry-unknown-status", "r.csv", with_row(row(status="zombie")), 2, "row 2", "registry"
    ),
    Case("registry-duplicate-rows", "r.csv", with_row(ROW, ROW), 2, "row 3", "registry"),
    Case(
        "registry-bad-row-after-good-ones",
        "r.csv",
        with_row(row(name="A"), row(name="B"), row(name="C", latitude="x")),
        2,
        "row 4",
        "registry",
    ),
    Case(
        "registry-latin1", "r.csv", with_row(ROW).decode().encode("latin-1"), 2, "UTF-8", "registry"
    ),
    Case(
        "registry-utf16", "r.csv", with_row(ROW).decode().encode("utf-16"), 2, "UTF-8", "registry"
    ),
    Case("registry-empty-name", "r.csv", with_row(row(name="")), 2, "row 2", "registry"),
    Case(
        "registry-huge-name",
        "r.csv",
        with_row(row(name="x" * 5000)),
        1,
        "longer than 500",
        "registry",
    ),
]


def said(result) -> str:
    """What the command told its user: the error on stderr, and the violations' messages
    (the machine-readable report on stdout, one line each; long values are shortened)."""
    text = result.stderr
    if result.stdout.strip():
        report = json.loads(result.stdout)
        for v in report["violations"]:
            assert v["value"] is None or len(v["value"]) < 300, "a huge value was echoed"
            text += "\n" + v["message"]["en"] + " " + (v["resultPath"] or "")
    return text


INVALID_EXAMPLES = sorted((HERE / "shapes" / "invalid").glob("*.ttl"))


@pytest.fixture(scope="module")
def store(seeded_template, tmp_path_factory) -> Path:
    """One copy of the seeded store for the whole corpus: every case must leave it as it was."""
    path = tmp_path_factory.mktemp("corpus") / "store"
    shutil.copytree(seeded_template, path)
    return path


@pytest.mark.parametrize("case", CASES, ids=[c.id for c in CASES])
def test_bad_file_is_refused_and_nothing_changes(case, store, tmp_path):
    path_store = store
    before = digest(path_store)
    path = tmp_path / case.filename
    path.write_bytes(case.content)
    result = iatp_kg(*case.args(path, path_store))
    message = result.stderr.strip().splitlines()
    after = digest(path_store)
    record(
        "bad input (command line)",
        case.id,
        entry=f"iatp-kg {case.command if case.command == 'load' else 'ingest registry'}",
        outcome=f"exit {result.returncode}",
        message=(message[0] if message else "")[:160],
        unchanged=after == before,
    )
    assert result.returncode == case.exit, result.stderr[-2000:]
    assert case.message in said(result), result.stderr[-2000:]
    assert "Traceback" not in result.stderr
    assert after == before


@pytest.mark.parametrize("example", INVALID_EXAMPLES, ids=[p.stem for p in INVALID_EXAMPLES])
def test_shacl_invalid_example_is_refused_by_load(example, store):
    path_store = store
    before = digest(path_store)
    expect = example.read_text(encoding="utf-8").splitlines()[0].removeprefix("# expect:").strip()
    result = iatp_kg("load", example, "--store", path_store, "--report-format", "json")
    after = digest(path_store)
    record(
        "bad input (command line)",
        f"shacl-{example.stem}",
        entry="iatp-kg load",
        outcome=f"exit {result.returncode}",
        message=expect,
        unchanged=after == before,
    )
    assert result.returncode == 1, result.stderr[-2000:]
    assert expect in said(result)
    assert after == before
