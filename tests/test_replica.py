"""Read replicas: a primary takes the writes, writes backups; a replica (``iatp-kg replica``)
catches up from them and keeps answering meanwhile. Real processes, real HTTP."""

from __future__ import annotations

import itertools
import os
import shutil
import threading
import time
from contextlib import contextmanager
from pathlib import Path

import httpx
import pytest
from conftest import ADMIN_TOKEN, BIN, free_port, iatp_kg, running_process, running_server

AUTH = {"Authorization": f"Bearer {ADMIN_TOKEN}"}
JSON = {"accept": "application/sparql-results+json"}
GRAPH = "https://w3id.org/iatp/id/graph/replica-test-"
DEADLINE = 120.0
# Replicas copy the embedded store's backups; a remote engine replicates by its own means.
pytestmark = pytest.mark.skipif(
    os.environ.get("IATP_KG_TEST_BACKEND") == "remote", reason="the embedded store only"
)
_names = itertools.count(2)


@contextmanager
def replica_server(store_dir: Path, source: Path, primary: str):
    """``iatp-kg replica`` on a free port, looking for new backups every 0.2 s."""
    port = free_port()
    args = [str(BIN), "replica", "--from", str(source), "--store", str(store_dir),
            "--port", str(port), "--interval", "0.2", "--primary", primary]  # fmt: skip
    # The token is set, and a replica must ignore it.
    env = {**os.environ, "IATP_KG_QUERY_TIMEOUT": "20", "IATP_KG_ADMIN_TOKEN": ADMIN_TOKEN}
    base = f"http://127.0.0.1:{port}"
    log_path = store_dir.parent / f"replica-{port}.log"
    with running_process(args, log_path, f"{base}/health", "replica", env=env):
        yield base


@pytest.fixture(scope="module")
def pair(seeded_template, tmp_path_factory):
    """A primary with the admin token, its backups directory holding one backup, and a replica
    started over an empty store (so it begins by copying that backup)."""
    root = tmp_path_factory.mktemp("replica")
    primary_store = root / "primary" / "store"
    shutil.copytree(seeded_template, primary_store)
    backups = root / "backups"
    backups.mkdir()
    with running_server(primary_store, admin_token=ADMIN_TOKEN, query_timeout="20") as primary:
        take_backup(primary_store, backups, "b0001")
        (root / "replica").mkdir()
        with replica_server(root / "replica" / "store", backups, primary) as replica:
            yield {
                "primary": primary,
                "primary_store": primary_store,
                "backups": backups,
                "replica": replica,
            }


def take_backup(store: Path, backups: Path, name: str | None = None) -> str:
    """``iatp-kg backup`` beside the running primary, under a name that sorts last."""
    name = name or f"b{next(_names):04d}"
    result = iatp_kg("backup", backups / name, "--store", store)
    assert result.returncode == 0, result.stderr
    return name


def ask(base: str, query: str, client: httpx.Client | None = None) -> bool:
    r = (client or httpx).get(f"{base}/sparql", params={"query": query}, headers=JSON)
    assert r.status_code == 200, r.text
    return r.json()["boolean"]


def update(base: str, text: str) -> None:
    r = httpx.post(
        f"{base}/update",
        content=text,
        headers={"content-type": "application/sparql-update", **AUTH},
        timeout=30,
    )
    assert r.status_code == 204, r.text


def status(base: str) -> dict:
    r = httpx.get(f"{base}/replica")
    assert r.status_code == 200, r.text
    return r.json()


def poll(predicate, what: str):
    """Wait for ``predicate()`` to be true (a deadline, not a sleep, decides failure)."""
    deadline = time.monotonic() + DEADLINE
    while True:
        value = predicate()
        if value:
            return value
        if time.monotonic() > deadline:
            raise AssertionError(f"timed out waiting for {what}")
        time.sleep(0.1)


class Reader(threading.Thread):
    """Asks the replica one question over and over, recording every answer or error."""

    def __init__(self, base: str, query: str) -> None:
        super().__init__(daemon=True)
        self.base, self.query = base, query
        self.answers: list[object] = []
        self.done = threading.Event()

    def run(self) -> None:
        with httpx.Client(timeout=30) as client:
            while not self.done.is_set():
                try:
                    r = client.get(
                        f"{self.base}/sparql", params={"query": self.query}, headers=JSON
                    )
                    ok = r.status_code == 200
                    self.answers.append(r.json()["boolean"] if ok else f"{r.status_code}")
                except httpx.HTTPError as exc:
                    self.answers.append(f"{type(exc).__name__}: {exc}")

    def stop(self) -> list[object]:
        self.done.set()
        self.join(timeout=60)
        return self.answers


def test_the_replica_started_from_the_primarys_backup(pair):
    assert status(pair["replica"])["backup"] is not None
    primary = httpx.get(f"{pair['primary']}/health").json()["triples"]
    assert httpx.get(f"{pair['replica']}/health").json()["triples"] == primary


def test_a_write_on_the_primary_reaches_the_replica_which_answers_throughout(pair):
    primary, replica = pair["primary"], pair["replica"]
    graph = GRAPH + "insert"
    question = f'ASK {{ GRAPH <{graph}> {{ <https://example.org/s> ?p "written" }} }}'
    reader = Reader(replica, question)
    reader.start()
    try:
        update(
            primary,
            f'INSERT DATA {{ GRAPH <{graph}> {{ <https://example.org/s> <https://example.org/p> "written" }} }}',
        )
        assert ask(primary, question)
        poll(lambda: len(reader.answers) >= 3, "the reader's first answers")
        assert not ask(replica, question), "the replica shows the write before any backup has it"
        name = take_backup(pair["primary_store"], pair["backups"])
        poll(lambda: ask(replica, question), "the write on the replica")
        # Answers after the write appeared, so the reader overlapped the whole catch-up.
        seen = len(reader.answers)
        poll(lambda: len(reader.answers) >= seen + 3, "answers after the catch-up")
    finally:
        answers = reader.stop()
    assert all(isinstance(a, bool) for a in answers), [a for a in answers if a not in (0, 1)]
    assert answers[0] is False and answers[-1] is True
    first_true = answers.index(True)
    assert all(answers[first_true:]), "the write disappeared again after it appeared"
    now = status(replica)
    assert now["backup"] == name
    # only the graph the write touched was brought up to date, by its one new triple
    assert (now["graphs_replaced"], now["quads_inserted"], now["quads_deleted"]) == (1, 1, 0)
    assert now["last_error"] is None


def test_one_triple_more_in_a_large_graph_writes_one_triple_on_the_replica(pair):
    primary, replica = pair["primary"], pair["replica"]
    graph = "https://w3id.org/iatp/id/graph/territories"  # thousands of triples, no blank node
    question = f'ASK {{ GRAPH <{graph}> {{ <https://example.org/replica-s> ?p "one more" }} }}'
    update(
        primary,
        f'INSERT DATA {{ GRAPH <{graph}> {{ <https://example.org/replica-s> <https://example.org/p> "one more" }} }}',
    )
    name = take_backup(pair["primary_store"], pair["backups"])
    poll(lambda: status(replica)["backup"] == name, "the backup applied")
    now = status(replica)
    assert (now["graphs_replaced"], now["quads_inserted"], now["quads_deleted"]) == (1, 1, 0)
    assert ask(replica, question)
    primary_count = f"SELECT (COUNT(*) AS ?n) WHERE {{ GRAPH <{graph}> {{ ?s ?p ?o }} }}"
    counts = [
        httpx.get(f"{base}/sparql", params={"query": primary_count}, headers=JSON).json()
        for base in (primary, replica)
    ]
    assert counts[0] == counts[1]


def test_a_dropped_graph_goes_and_an_unchanged_backup_changes_nothing(pair):
    primary, replica = pair["primary"], pair["replica"]
    kept, dropped = GRAPH + "blank-node", GRAPH + "drop"
    in_kept = f'ASK {{ GRAPH <{kept}> {{ ?s <https://example.org/q> "blank" }} }}'
    in_dropped = f"ASK {{ GRAPH <{dropped}> {{ ?s ?p ?o }} }}"
    update(
        primary,
        f"INSERT DATA {{ GRAPH <{kept}> {{ <https://example.org/s> <https://example.org/p> _:b . "
        f'_:b <https://example.org/q> "blank" }} '
        f'GRAPH <{dropped}> {{ <https://example.org/s> <https://example.org/p> "x" }} }}',
    )
    name = take_backup(pair["primary_store"], pair["backups"])
    poll(lambda: status(replica)["backup"] == name, "the backup applied")
    assert ask(replica, in_kept) and ask(replica, in_dropped)
    assert status(replica)["graphs_replaced"] == 2

    update(primary, f"DROP GRAPH <{dropped}>")
    name = take_backup(pair["primary_store"], pair["backups"])
    poll(lambda: status(replica)["backup"] == name, "the backup applied")
    assert not ask(replica, in_dropped) and ask(replica, in_kept)
    assert status(replica)["graphs_replaced"] == 1

    # A newer backup of the same content: nothing is written, so the version and ETags stay
    # put. The graph with a blank node (relabelled when the replica wrote it, so the replica's
    # own copy differs from the backup's by its labels) is not copied again either.
    version = httpx.get(f"{replica}/health").json()["store_version"]
    etag = httpx.get(f"{replica}/sparql", params={"query": in_kept}, headers=JSON).headers["etag"]
    name = take_backup(pair["primary_store"], pair["backups"])
    poll(lambda: status(replica)["backup"] == name, "the unchanged backup recorded")
    assert status(replica)["graphs_replaced"] == 0
    assert httpx.get(f"{replica}/health").json()["store_version"] == version
    r = httpx.get(f"{replica}/sparql", params={"query": in_kept}, headers=JSON)
    assert r.status_code == 200 and r.headers["etag"] == etag


def test_a_broken_backup_is_reported_and_the_next_good_one_applies(pair):
    primary, replica = pair["primary"], pair["replica"]
    broken = pair["backups"] / f"b{next(_names):04d}"
    broken.mkdir()
    (broken / "CURRENT").write_text("not a checkpoint\n")
    poll(lambda: status(replica)["last_error"], "the broken backup reported")
    assert ask(replica, "ASK { ?s ?p ?o }")  # still answering from what it has
    graph = GRAPH + "after-broken"
    update(
        primary,
        f'INSERT DATA {{ GRAPH <{graph}> {{ <https://example.org/s> <https://example.org/p> "x" }} }}',
    )
    name = take_backup(pair["primary_store"], pair["backups"])
    poll(lambda: status(replica)["backup"] == name, "the good backup applied")
    assert ask(replica, f"ASK {{ GRAPH <{graph}> {{ ?s ?p ?o }} }}")
    assert status(replica)["last_error"] is None


WRITES = [
    (
        "POST",
        "/update",
        {
            "content": "INSERT DATA { <urn:a> <urn:b> <urn:c> }",
            "headers": {"content-type": "application/sparql-update"},
        },
    ),
    ("GET", "/update", {"params": {"update": "CLEAR ALL"}}),
    (
        "PUT",
        "/store",
        {
            "params": {"graph": GRAPH + "gsp"},
            "content": "<urn:a> <urn:b> <urn:c> .",
            "headers": {"content-type": "text/turtle"},
        },
    ),
    (
        "POST",
        "/store",
        {
            "params": {"default": ""},
            "content": "<urn:a> <urn:b> <urn:c> .",
            "headers": {"content-type": "text/turtle"},
        },
    ),
    ("DELETE", "/store", {"params": {"graph": "https://w3id.org/iatp/id/graph/territories"}}),
    ("DELETE", "/store/id/graph/territories", {}),
    ("POST", "/api/v1/registrations", {"json": {"name": "x"}}),
    ("POST", "/api/v1/registrations/abc/approve", {}),
    ("POST", "/api/v1/interest", {"json": {"email": "a@example.org"}}),
    ("GET", "/api/v1/interest/unsubscribe", {"params": {"token": "x"}}),
    ("POST", "/register", {"data": {"name": "x"}}),
]


@pytest.mark.parametrize(
    ("method", "path", "kwargs"), WRITES, ids=[f"{m} {p}" for m, p, _ in WRITES]
)
def test_writes_on_the_replica_are_refused(pair, method, path, kwargs):
    replica = pair["replica"]
    before = httpx.get(f"{replica}/health").json()
    kwargs = {
        **kwargs,
        "headers": {**AUTH, "origin": "https://example.org", **kwargs.get("headers", {})},
    }
    r = httpx.request(method, f"{replica}{path}", **kwargs)
    assert r.status_code == 403, r.text
    error = r.json()["error"]
    assert error["code"] == "read_only_replica"
    assert "read-only replica" in error["message"] and pair["primary"] in error["message"]
    assert error["request_id"] and r.headers["x-request-id"] == error["request_id"]
    assert r.headers["access-control-allow-origin"] == "*"
    after = httpx.get(f"{replica}/health").json()
    assert (after["store_version"], after["triples"]) == (
        before["store_version"],
        before["triples"],
    )


def test_reads_by_post_and_graph_store_reads_still_work_on_the_replica(pair):
    replica = pair["replica"]
    r = httpx.post(
        f"{replica}/sparql",
        content="ASK { ?s ?p ?o }",
        headers={"content-type": "application/sparql-query", **JSON},
    )
    assert r.status_code == 200 and r.json()["boolean"] is True
    r = httpx.post(f"{replica}/sparql", data={"query": "ASK { ?s ?p ?o }"}, headers=JSON)
    assert r.status_code == 200 and r.json()["boolean"] is True
    r = httpx.get(
        f"{replica}/store",
        params={"graph": "https://w3id.org/iatp/id/graph/territories"},
        headers={"accept": "application/n-triples"},
    )
    assert r.status_code == 200 and r.content


def test_the_editors_routes_are_closed_on_the_replica(pair):
    """The replica ignores the admin token it was given: private contacts stay on the primary."""
    assert httpx.get(f"{pair['primary']}/api/v1/registrations", headers=AUTH).status_code == 200
    r = httpx.get(f"{pair['replica']}/api/v1/registrations", headers=AUTH)
    assert r.status_code == 403, r.text
