"""`iatp-kg load / ingest / validate`: atomic batches, clear errors, exit codes."""

from __future__ import annotations

import json
import os
import signal
import socket
import subprocess
import threading
import time
from pathlib import Path

import pytest
from conftest import BIN, digest, iatp_kg

from iatp_kg.store import NamedNode, RdfFormat, Store

HERE = Path(__file__).parent
VALID_INITIATIVE = HERE / "shapes" / "valid" / "initiative-complete.ttl"
INVALID_INITIATIVE = HERE / "shapes" / "invalid" / "initiative-without-country.ttl"
EX = "https://example.org/"


def test_corrupted_turtle_is_rejected_with_file_line_and_column(seeded_dir, tmp_path):
    bad = tmp_path / "broken.ttl"
    bad.write_text('@prefix ex: <https://example.org/> .\nex:a ex:b ex:c .\nex:a ex:b "open .\n')
    before = digest(seeded_dir)
    result = iatp_kg("load", bad, "--store", seeded_dir)
    assert result.returncode == 2
    assert f"{bad}:3:" in result.stderr
    assert digest(seeded_dir) == before


def test_shacl_invalid_file_is_rejected_with_a_table_and_exit_1(seeded_dir):
    before = digest(seeded_dir)
    result = iatp_kg("load", INVALID_INITIATIVE, "--store", seeded_dir)
    assert result.returncode == 1
    assert "at least one country" in result.stderr
    assert "focus node" in result.stderr
    assert digest(seeded_dir) == before


def test_shacl_report_is_available_as_json(seeded_dir):
    result = iatp_kg("load", INVALID_INITIATIVE, "--store", seeded_dir, "--report-format", "json")
    assert result.returncode == 1
    report = json.loads(result.stdout)
    assert report["conforms"] is False
    assert any(v["resultPath"].endswith("ontology#country") for v in report["violations"])


def test_shacl_messages_in_spanish_on_request(seeded_dir):
    result = iatp_kg("load", INVALID_INITIATIVE, "--store", seeded_dir, "--lang", "es")
    assert "al menos un país" in result.stderr


def test_registry_csv_with_one_bad_row_names_the_row_and_writes_nothing(seeded_dir, tmp_path):
    example = (HERE.parent / "pipelines" / "registry" / "example.csv").read_text()
    header, first, *_ = example.splitlines()
    bad_row = first.replace("Example Cluster of Fictitious Software", "Other").replace(
        "6.245,-75.57151", "6.245,north"
    )
    csv_file = tmp_path / "registry.csv"
    csv_file.write_text(f"{header}\n{first}\n{bad_row}\n", encoding="utf-8")
    before = digest(seeded_dir)
    result = iatp_kg("ingest", "registry", "--file", csv_file, "--store", seeded_dir)
    assert result.returncode == 2
    assert "row 3: coordinates" in result.stderr
    assert "nothing was imported" in result.stderr
    assert digest(seeded_dir) == before


def test_batch_with_one_broken_file_writes_nothing(seeded_dir, tmp_path):
    good = tmp_path / "good.nt"
    good.write_text(f"<{EX}a> <{EX}p> <{EX}b> .\n")
    bad = tmp_path / "bad.nt"
    bad.write_text(f"<{EX}a> <{EX}p> .\n")
    before = digest(seeded_dir)
    result = iatp_kg("load", good, bad, "--store", seeded_dir, "--no-validate")
    assert result.returncode == 2
    assert str(bad) in result.stderr
    assert digest(seeded_dir) == before


def test_valid_initiative_loads_into_the_named_graph(seeded_dir):
    graph = "https://w3id.org/iatp/id/graph/test-load"
    result = iatp_kg("load", VALID_INITIATIVE, "--graph", graph, "--store", seeded_dir)
    assert result.returncode == 0, result.stderr
    assert result.stdout == ""  # quiet when piped: the summary goes to stderr, no progress bar
    store = Store.open(seeded_dir, read_only=True)
    assert store.contains_graph(NamedNode(graph))
    assert store.ask(
        "ASK { GRAPH ?g { <https://w3id.org/iatp/id/initiative/example-cluster> ?p ?o } }"
    )


@pytest.mark.parametrize(
    ("name", "text"),
    [
        ("data.ttl", f"<{EX}s> <{EX}p> 'o' ."),
        ("data.nt", f'<{EX}s> <{EX}p> "o" .'),
        ("data.nq", f'<{EX}s> <{EX}p> "o" <{EX}g> .'),
        ("data.trig", f"<{EX}g> {{ <{EX}s> <{EX}p> 'o' }}"),
        ("data.jsonld", json.dumps({"@id": f"{EX}s", f"{EX}p": "o"})),
        (
            "data.rdf",
            '<?xml version="1.0"?><rdf:RDF xmlns:rdf="http://www.w3.org/1999/02/22-rdf-syntax-ns#"'
            f' xmlns:ex="{EX}"><rdf:Description rdf:about="{EX}s"><ex:p>o</ex:p>'
            "</rdf:Description></rdf:RDF>",
        ),
    ],
)
def test_every_rdf_syntax_loads(tmp_path, name, text):
    path = tmp_path / name
    path.write_text(text, encoding="utf-8")
    store_dir = tmp_path / "store"
    result = iatp_kg("load", path, "--store", store_dir, "--no-validate")
    assert result.returncode == 0, result.stderr
    store = Store.open(store_dir, read_only=True)
    assert store.ask(f"ASK {{ GRAPH ?g {{ <{EX}s> <{EX}p> 'o' }} }}")


def test_unknown_extension_asks_for_format(tmp_path):
    path = tmp_path / "data.txt"
    path.write_text("whatever")
    result = iatp_kg("load", path, "--store", tmp_path / "s")
    assert result.returncode == 2
    assert "--format" in result.stderr


def test_jsonld_with_remote_context_is_refused_and_never_fetched(tmp_path):
    listener = socket.socket()
    listener.bind(("127.0.0.1", 0))
    listener.listen(1)
    listener.settimeout(0.2)
    contacted = []
    stop = threading.Event()

    def watch():
        while not stop.is_set():
            try:
                conn, _ = listener.accept()
                contacted.append(True)
                conn.close()
            except OSError:
                pass

    thread = threading.Thread(target=watch, daemon=True)
    thread.start()
    port = listener.getsockname()[1]
    doc = tmp_path / "remote.jsonld"
    doc.write_text(json.dumps({"@context": f"http://127.0.0.1:{port}/ctx", "@id": f"{EX}s"}))
    result = iatp_kg("load", doc, "--store", tmp_path / "s", "--no-validate")
    stop.set()
    thread.join()
    listener.close()
    assert result.returncode == 2
    assert "remote @context" in result.stderr
    assert contacted == []


def test_invalid_utf8_is_reported_with_its_line(tmp_path):
    path = tmp_path / "latin1.ttl"
    path.write_bytes(f"<{EX}s> <{EX}p> 'ok' .\n<{EX}s> <{EX}p> 'caf\xe9' .\n".encode("latin-1"))
    result = iatp_kg("load", path, "--store", tmp_path / "s", "--no-validate")
    assert result.returncode == 2
    assert f"{path}:2:" in result.stderr
    assert "UTF-8" in result.stderr


def test_validate_whole_seeded_store_conforms(seeded_dir):
    result = iatp_kg("validate", "--store", seeded_dir)
    assert result.returncode == 0, result.stderr


def test_validate_file_exit_codes(seeded_dir):
    assert iatp_kg("validate", VALID_INITIATIVE, "--store", seeded_dir).returncode == 0
    assert iatp_kg("validate", INVALID_INITIATIVE, "--store", seeded_dir).returncode == 1


def test_kill_during_load_leaves_all_or_nothing(tmp_path):
    big = tmp_path / "big.nt"
    n = 300_000
    with big.open("w") as fh:
        for i in range(n):
            fh.write(f'<{EX}s{i}> <{EX}p> "{i}" .\n')
    store_dir = tmp_path / "store"
    Store.open(store_dir).flush()
    proc = subprocess.Popen(
        [str(BIN), "load", str(big), "--store", str(store_dir), "--no-validate"],
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    time.sleep(2.5)  # somewhere in parsing or writing; either way the batch is atomic
    os.kill(proc.pid, signal.SIGKILL)
    proc.wait()
    store = Store.open(store_dir)
    assert len(store) in (0, n)
    store.add_quads([])  # the store still takes writes


# ---- the bulk path: Oxigraph's bulk loader into a copy of the store, swapped in whole -------
def _store_with(seeded_dir: Path, extra: Path, graph: str) -> str:
    """The digest the seeded store must have once ``extra`` is added to ``graph``."""
    expected = Store.in_memory()
    expected.add_quads(Store.open(seeded_dir, read_only=True).quads())
    with expected.bulk_batch() as batch:  # in memory: the one-transaction path
        batch.load(extra.read_bytes(), RdfFormat.N_TRIPLES, base_iri=None, graph=NamedNode(graph))
    return expected.digest()


def _leftovers(store_dir: Path) -> list[str]:
    return sorted(p.name for p in store_dir.parent.iterdir() if ".bulk-" in p.name)


def test_a_load_into_a_store_with_data_keeps_it_and_adds_the_batch(seeded_dir, tmp_path):
    extra = tmp_path / "extra.nt"
    extra.write_text("".join(f'<{EX}s{i}> <{EX}p> "{i}" .\n' for i in range(5_000)))
    graph = f"{EX}bulk"
    want = _store_with(seeded_dir, extra, graph)
    before = len(Store.open(seeded_dir, read_only=True))
    result = iatp_kg("load", extra, "--graph", graph, "--store", seeded_dir, "--no-validate")
    assert result.returncode == 0, result.stderr
    assert "added 5,000 new triples to 1 graph(s)" in result.stderr
    assert digest(seeded_dir) == want
    assert len(Store.open(seeded_dir, read_only=True)) == before + 5_000
    assert _leftovers(seeded_dir) == []  # the old files went once the copy was in place
    again = iatp_kg("load", extra, "--graph", graph, "--store", seeded_dir, "--no-validate")
    assert "added 0 new triples" in again.stderr  # already there: counted as nothing new
    assert digest(seeded_dir) == want


def test_kill_9_during_a_bulk_load_into_a_store_with_data(seeded_dir, tmp_path):
    big = tmp_path / "big.nt"
    with big.open("w") as fh:
        for i in range(600_000):
            fh.write(f'<{EX}s{i}> <{EX}p> "{i}" .\n')
    graph = f"{EX}killed-bulk"
    before = digest(seeded_dir)
    after = _store_with(seeded_dir, big, graph)
    for delay in (0.8, 1.6, 2.4):
        proc = subprocess.Popen(
            [BIN, "load", big, "--graph", graph, "--store", seeded_dir, "--no-validate"],
            stdout=subprocess.DEVNULL,
            stderr=subprocess.DEVNULL,
        )
        time.sleep(delay)
        os.kill(proc.pid, signal.SIGKILL)
        proc.wait()
        assert digest(seeded_dir) in (before, after), delay  # all or nothing
    # A leftover copy from a killed load is removed by the next load, which completes.
    result = iatp_kg("load", big, "--graph", graph, "--store", seeded_dir, "--no-validate")
    assert result.returncode == 0, result.stderr
    assert digest(seeded_dir) == after
    assert _leftovers(seeded_dir) == []


def test_a_store_that_is_a_mount_point_is_loaded_in_one_transaction(tmp_path):
    store_dir = tmp_path / "mounted"
    store_dir.mkdir()
    done = subprocess.run(
        ["mount", "-t", "tmpfs", "-o", "size=64m", "tmpfs", str(store_dir)],
        capture_output=True,
        text=True,
    )
    if done.returncode != 0:
        pytest.skip(f"cannot mount a file system here ({done.stderr.strip()})")
    try:
        data = tmp_path / "data.nt"
        data.write_text("".join(f'<{EX}s{i}> <{EX}p> "{i}" .\n' for i in range(1_000)))
        result = iatp_kg("load", data, "--store", store_dir, "--no-validate")
        assert result.returncode == 0, result.stderr
        assert "added 1,000 new triples" in result.stderr
        assert len(Store.open(store_dir, read_only=True)) == 1_000
        assert _leftovers(store_dir) == []  # no copy beside a mount point: it cannot be swapped
    finally:
        subprocess.run(["umount", "-l", str(store_dir)], check=False)
