"""The remote SPARQL store (remote.py) against a real ``oxigraph serve`` over a copy of the seeded
store: the version every process reads, changed by the same request as every write; writes all
or nothing; the marker never shown; the remote executor answering as the embedded workers do,
dataset rules included; the command line over the remote; two servers over one remote agreeing
on ETags. (The HTTP-level suite runs over the remote too: IATP_KG_TEST_BACKEND=remote.)
"""

from __future__ import annotations

import asyncio
import io
import os
import threading
import uuid
from contextlib import contextmanager
from pathlib import Path

import httpx
import pyoxigraph as ox
import pytest
from conftest import ADMIN_TOKEN, BIN, free_port, iatp_kg, oxigraph_server, running_process

from iatp_kg.errors import BadRequest, QueryTimeout, ResultTooLarge, SyntaxProblem
from iatp_kg.executor import Executor, QueryJob, Term
from iatp_kg.namespaces import PRIVATE_GRAPH_PREFIX
from iatp_kg.remote import MARKER, VERSION, Endpoints, RemoteExecutor, RemoteStore
from iatp_kg.sparql_text import syntax_location
from iatp_kg.store import Store

EX = "https://example.org/remote/"
GRAPH = "https://w3id.org/iatp/id/graph/"
PRIVATE = PRIVATE_GRAPH_PREFIX + "remote-test"
JSON = "application/sparql-results+json"
AUTH = {"Authorization": f"Bearer {ADMIN_TOKEN}"}


@pytest.fixture
def remote(seeded_dir):
    """(root URL, store directory) of an ``oxigraph serve`` over a copy of the seeded store."""
    with oxigraph_server(seeded_dir) as root:
        yield root, seeded_dir


def open_remote(root: str) -> RemoteStore:
    return RemoteStore(Endpoints.at(root))


def quad(s: str, o, graph: str) -> ox.Quad:
    obj = o if isinstance(o, ox.Literal | ox.NamedNode) else ox.Literal(str(o))
    return ox.Quad(ox.NamedNode(EX + s), ox.NamedNode(EX + "p"), obj, ox.NamedNode(graph))


# ---- the version ----------------------------------------------------------------------------
def test_every_write_changes_the_version_that_every_process_reads(remote, tmp_path):
    root, _ = remote
    a, b = open_remote(root), open_remote(root)  # two processes' views of one remote
    g1, g2 = EX + "g1", EX + "g2"
    nt = tmp_path / "bulk.nt"
    nt.write_text(f'<{EX}bulk> <{EX}p> "1" .\n')
    writes = {
        "update": lambda: a.update(f"INSERT DATA {{ GRAPH <{g1}> {{ <{EX}u> <{EX}p> 1 }} }}"),
        "add_quads": lambda: a.add_quads([quad("add", 1, g1)]),
        "replace_graphs": lambda: a.replace_graphs({g1: [quad("r", 1, g1)], g2: []}),
        "drop_graphs": lambda: a.drop_graphs([g1]),
        "bulk_load": lambda: a.bulk_load(nt, ox.RdfFormat.N_TRIPLES, ox.NamedNode(g2)),
    }
    seen = [b.version]
    assert a.version == seen[0]
    for name, write in writes.items():
        write()
        version = b.version
        assert version not in seen, name
        assert a.version == version, name
        assert a.last_modified == b.last_modified, name
        seen.append(version)
    assert b.contains_graph(ox.NamedNode(g2)) and not b.contains_graph(ox.NamedNode(g1))


def test_a_request_sees_one_version_until_it_writes(remote):
    root, _ = remote
    mine, other = open_remote(root), open_remote(root)

    async def request() -> None:
        async with mine.pinned():
            pinned = (mine.version, mine.last_modified)
            other.add_quads([quad("other", 1, EX + "pin")])  # another process writes
            assert (mine.version, mine.last_modified) == pinned != (other.version, 0)
            mine.add_quads([quad("mine", 1, EX + "pin")])  # this one writes: the pin ends
            assert mine.version == other.version != pinned[0]
        await mine.aclose()

    asyncio.run(request())


def test_a_refused_write_changes_neither_the_data_nor_the_version(remote):
    root, _ = remote
    store = open_remote(root)
    existing, fresh = EX + "existing", EX + "fresh"
    store.update(f"CREATE GRAPH <{existing}>")
    before = (store.version, store.digest())
    with pytest.raises(RuntimeError, match="already exists"):
        store.update(
            f"INSERT DATA {{ GRAPH <{fresh}> {{ <{EX}s> <{EX}p> 1 }} }} ;\nCREATE GRAPH <{existing}>"
        )
    with pytest.raises(SyntaxError, match=r"^error at 2:"):  # the caller's line, not ours
        store.update("PREFIX ex: <https://example.org/>\nINSERT DATA { ex:s ex:p }", base_iri=EX)
    assert (store.version, store.digest()) == before
    assert not store.contains_graph(ox.NamedNode(fresh))


def test_a_replace_and_its_new_version_are_seen_together_or_not_at_all(remote):
    """Two graphs replaced together and the marker, in one request each time: a reader's one
    query never sees the graphs disagree, nor a version with the other write's data."""
    root, _ = remote
    writer, reader = open_remote(root), open_remote(root)
    a, b = EX + "pair-a", EX + "pair-b"
    writer.replace_graphs({a: [quad("n", 0, a)], b: [quad("n", 0, b)]})
    versions = {writer.version: 0}
    snapshot = (
        f"SELECT ?x ?y ?v WHERE {{ GRAPH <{MARKER}> {{ <{MARKER}> <{VERSION}> ?v }} "
        f"OPTIONAL {{ GRAPH <{a}> {{ <{EX}n> <{EX}p> ?x }} }} "
        f"OPTIONAL {{ GRAPH <{b}> {{ <{EX}n> <{EX}p> ?y }} }} }}"
    )
    done, observed = threading.Event(), []

    def read() -> None:
        while not done.is_set():
            for row in reader.select(snapshot):
                x, y = row.get("x"), row.get("y")  # never missing: each replace fills both
                observed.append((x and x.value, y and y.value, row["v"].value))

    thread = threading.Thread(target=read)
    thread.start()
    try:
        for n in range(1, 41):
            writer.replace_graphs({a: [quad("n", n, a)], b: [quad("n", n, b)]})
            versions[writer.version] = n
    finally:
        done.set()
        thread.join()
    assert observed
    for x, y, v in observed:
        assert x is not None and x == y
        assert versions[v] == int(x)


def test_the_marker_is_never_shown(remote, tmp_path):
    root, store_dir = remote
    store = open_remote(root)
    # Before any marker, the remote's digest is the embedded store's, over the same files.
    assert store.digest() == Store.open(store_dir, read_only=True).digest()
    count = len(store)
    store.ensure_marker()
    assert store.ask(f"ASK {{ GRAPH <{MARKER}> {{ ?s ?p ?o }} }}")
    assert len(store) == count
    assert ox.NamedNode(MARKER) not in store.named_graphs()
    assert not store.contains_graph(ox.NamedNode(MARKER))
    assert list(store.quads(None, None, None, ox.NamedNode(MARKER))) == []
    assert all(q.graph_name.value != MARKER for q in store.quads() if q.graph_name)
    everything, public = io.BytesIO(), io.BytesIO()
    store.dump(everything, ox.RdfFormat.N_QUADS)
    store.dump_public(public, ox.RdfFormat.N_QUADS)
    assert MARKER.encode() not in everything.getvalue()
    assert everything.getvalue().count(b"\n") == count
    assert PRIVATE_GRAPH_PREFIX.encode() not in public.getvalue()


# ---- the executor -----------------------------------------------------------------------------
def _rows(body: bytes, media_type: str):
    if media_type == JSON:
        result = ox.parse_query_results(body, ox.QueryResultsFormat.JSON)
        if isinstance(result, ox.QueryBoolean):
            return bool(result)
        names = [v.value for v in result.variables]
        return sorted(tuple(str(row[n]) for n in names) for row in result)
    return sorted(str(t) for t in ox.parse(body, ox.RdfFormat.N_TRIPLES))


JOBS = [
    QueryJob("SELECT ?g (COUNT(*) AS ?n) WHERE { GRAPH ?g { ?s ?p ?o } } GROUP BY ?g", JSON),
    QueryJob("SELECT (COUNT(*) AS ?n) WHERE { ?s ?p ?o }", JSON),
    QueryJob("SELECT (COUNT(*) AS ?n) WHERE { ?s ?p ?o }", JSON, public_union=True),
    QueryJob(
        "SELECT ?g (COUNT(*) AS ?n) WHERE { { ?s ?p ?o } UNION { GRAPH ?g { ?s ?p ?o } } } GROUP BY ?g",
        JSON,
        default_graphs=(GRAPH + "territories", PRIVATE),
        named_graphs=(GRAPH + "isic", PRIVATE),
    ),
    QueryJob(
        "SELECT ?g (COUNT(*) AS ?n) WHERE { { ?s ?p ?o } UNION { GRAPH ?g { ?s ?p ?o } } } GROUP BY ?g",
        JSON,
        named_graphs=(GRAPH + "platform", PRIVATE),
    ),
    QueryJob(
        f"SELECT (COUNT(*) AS ?n) FROM <{GRAPH}isic> WHERE {{ ?s ?p ?o }}",
        JSON,
        query_dataset=True,
    ),
    QueryJob(
        "SELECT ?s ?label WHERE { ?s rdfs:label ?label }",
        JSON,
        substitutions=(("s", Term("iri", "https://w3id.org/iatp/id/country/co")),),
        public_union=True,
    ),
    QueryJob(
        "SELECT ?s ?code WHERE { ?s iatp:iso3166Alpha2 ?code }",
        JSON,
        substitutions=(("code", Term("literal", "CO")),),
    ),
    QueryJob(f'ASK {{ GRAPH ?g {{ ?s ?p "{EX}secret" }} }}', JSON),
    QueryJob("ASK { ?s ?p <relative> }", JSON, base_iri="https://w3id.org/iatp/sparql"),
    QueryJob(
        "CONSTRUCT { ?c rdfs:label ?l } WHERE { ?c iatp:iso3166Alpha2 'CO' ; rdfs:label ?l }",
        "application/n-triples",
    ),
]


@pytest.mark.parametrize("union", [True, False], ids=["union", "no-union"])
def test_the_remote_executor_answers_as_the_embedded_workers(remote, union):
    root, store_dir = remote
    store = open_remote(root)
    # A private graph that must never be read, whatever a job names.
    store.update(f'INSERT DATA {{ GRAPH <{PRIVATE}> {{ <{EX}s> <{EX}p> "{EX}secret" }} }}')

    async def run() -> list[list]:
        embedded = Executor(store_dir, workers=1, memory_copy=False, union_default_graph=union)
        over = RemoteExecutor(store, workers=1, union_default_graph=union)
        await embedded.start()
        await over.start()
        try:
            version = store.version
            answers = []
            for job in JOBS:
                mine = await embedded.collect(job, version)
                theirs = await over.collect(job, version)
                answers.append([_rows(mine, job.media_type), _rows(theirs, job.media_type)])
            return answers
        finally:
            await embedded.stop()
            await over.stop()

    for job, (embedded, remote_answer) in zip(JOBS, asyncio.run(run()), strict=True):
        assert remote_answer == embedded, job
        assert "secret" not in str(remote_answer)


def test_the_remote_executor_maps_errors_as_the_embedded_workers(remote):
    root, _ = remote

    async def run(job: QueryJob, **limits):
        executor = RemoteExecutor(open_remote(root), **limits)
        await executor.start()
        try:
            return await executor.collect(job, "v")
        finally:
            await executor.stop()

    bad = "SELECT *\nWHERE { ?s ?p }"
    with pytest.raises(SyntaxError) as embedded:
        ox.Store().query(bad)
    with pytest.raises(SyntaxProblem) as caught:
        asyncio.run(run(QueryJob(bad, JSON)))
    message, line, column = syntax_location(str(embedded.value))
    assert (caught.value.line, caught.value.column) == (line, column) == (2, column)
    assert message in caught.value.message
    with pytest.raises(BadRequest, match="not a valid RDF term"):
        job = QueryJob("ASK { ?s ?p ?o }", JSON, substitutions=(("s", Term("iri", "a b")),))
        asyncio.run(run(job))
    with pytest.raises(ResultTooLarge, match="more than 10 rows"):
        asyncio.run(run(QueryJob("SELECT ?s WHERE { ?s ?p ?o }", JSON), max_result_rows=10))
    with pytest.raises(ResultTooLarge, match="limit of 1,000 bytes"):
        asyncio.run(
            run(
                QueryJob("CONSTRUCT WHERE { ?s ?p ?o }", "application/n-triples"),
                max_result_bytes=1000,
            )
        )


def test_a_query_given_up_on_keeps_its_slot_until_the_remote_ends_it(seeded_dir):
    """The remote cannot be told to stop: a query past the time limit still holds its slot
    (``alive`` drops) until the remote's own limit ends it, so no more than ``workers``
    queries ever run there; then the slot is free again."""
    pathological = "SELECT (COUNT(*) AS ?n) WHERE { ?a ?b ?c . ?d ?e ?f . ?g ?h ?i }"

    async def run(root: str) -> None:
        executor = RemoteExecutor(open_remote(root), workers=1, timeout=1)
        await executor.start()
        try:
            with pytest.raises(QueryTimeout, match="time limit"):
                await executor.collect(QueryJob(pathological, JSON), "v")
            assert executor.alive == 0
            with pytest.raises(QueryTimeout, match="slots stayed busy"):
                await executor.collect(QueryJob("ASK {}", JSON), "v")
            for _ in range(600):  # the remote's own limit (2 s, enforced coarsely)
                if executor.alive == 1:
                    break
                await asyncio.sleep(0.1)
            assert executor.alive == 1
            assert await executor.collect(QueryJob("ASK {}", JSON), "v")
        finally:
            await executor.stop()

    with oxigraph_server(seeded_dir, timeout=1) as root:
        asyncio.run(run(root))


# ---- the command line and the server over the remote ------------------------------------------
def test_the_command_line_follows_the_setting(remote, tmp_path):
    root, _ = remote
    env = {**os.environ, "IATP_KG_STORE": f"sparql:{root}"}
    data = tmp_path / "extra.ttl"
    data.write_text(f'<{EX}thing> <http://www.w3.org/2000/01/rdf-schema#label> "remote thing" .\n')
    loaded = iatp_kg("load", data, "--graph", EX + "cli", "--no-validate", env=env)
    assert loaded.returncode == 0, loaded.stderr
    query = f"SELECT ?l WHERE {{ <{EX}thing> rdfs:label ?l }}"
    answer = iatp_kg("query", query, "--format", "csv", env=env)
    assert answer.returncode == 0, answer.stderr
    assert "remote thing" in answer.stdout
    exported = iatp_kg("export", "--format", "nq", env=env)
    assert exported.returncode == 0 and "remote thing" in exported.stdout
    assert PRIVATE_GRAPH_PREFIX not in exported.stdout
    checked = iatp_kg("validate", "--engine", "sparql", env=env)
    assert checked.returncode == 0, checked.stdout + checked.stderr
    for command in (["backup", tmp_path / "copy"], ["restore", tmp_path]):
        refused = iatp_kg(*command, env=env)
        assert refused.returncode == 2
        assert "on that engine" in refused.stderr
    assert not (tmp_path / "copy").exists()


@contextmanager
def iatp_kg_server(root: str, logs: Path):
    """``iatp-kg serve`` over the remote at ``root``, with the admin token."""
    port = free_port()
    env = {**os.environ, "IATP_KG_STORE": f"sparql:{root}", "IATP_KG_ADMIN_TOKEN": ADMIN_TOKEN}
    base = f"http://127.0.0.1:{port}"
    args = [str(BIN), "serve", "--port", str(port)]
    with running_process(args, logs / f"server-{port}.log", f"{base}/health", "server", env):
        yield base


def test_two_servers_over_one_remote_agree_on_etags(remote, tmp_path):
    root, _ = remote
    query = {"query": f"SELECT (COUNT(*) AS ?n) WHERE {{ ?s <{EX}seen> ?o }}"}
    with iatp_kg_server(root, tmp_path) as one, iatp_kg_server(root, tmp_path) as two:
        first = [httpx.get(f"{base}/sparql", params=query) for base in (one, two)]
        assert first[0].headers["etag"] == first[1].headers["etag"]
        assert first[0].headers["last-modified"] == first[1].headers["last-modified"]
        graph = f"{EX}{uuid.uuid4().hex}"
        r = httpx.post(
            f"{one}/update",
            content=f"INSERT DATA {{ GRAPH <{graph}> {{ <{EX}a> <{EX}seen> 1 }} }}",
            headers={"Content-Type": "application/sparql-update", **AUTH},
        )
        assert r.status_code == 204, r.text
        after = httpx.get(f"{two}/sparql", params=query)
        assert after.headers["etag"] != first[1].headers["etag"]
        assert after.json()["results"]["bindings"][0]["n"]["value"] == "1"
        cached = httpx.get(
            f"{one}/sparql", params=query, headers={"If-None-Match": after.headers["etag"]}
        )
        assert cached.status_code == 304
        assert (
            httpx.get(f"{one}/health").json()["store_version"]
            == httpx.get(f"{two}/health").json()["store_version"]
        )
        graphs = httpx.get(f"{two}/sparql", params={"query": "SELECT ?g WHERE { GRAPH ?g { } }"})
        assert MARKER not in graphs.text and graph in graphs.text
        assert MARKER.encode() not in httpx.get(f"{two}/store", headers=AUTH).content
