"""``iatp-kg serve --workers N``: several processes behind one port over one store, with
writes seen by every worker and one ETag for one state, whichever worker answers."""

from __future__ import annotations

import os
import shutil
import time
import uuid

import httpx
import pytest
from conftest import ADMIN_TOKEN, BIN, free_port, running_process

pytestmark = pytest.mark.skipif(
    os.environ.get("IATP_KG_TEST_BACKEND") == "remote",
    reason="starts its own oxigraph serve over the embedded store",
)

AUTH = {"Authorization": f"Bearer {ADMIN_TOKEN}"}
ID = "https://w3id.org/iatp/id/"


@pytest.fixture(scope="module")
def base(seeded_template, tmp_path_factory):
    path = tmp_path_factory.mktemp("workers") / "store"
    shutil.copytree(seeded_template, path)
    port = free_port()
    args = [str(BIN), "serve", "--store", str(path), "--port", str(port), "--workers", "3"]
    env = {**os.environ, "IATP_KG_ADMIN_TOKEN": ADMIN_TOKEN}
    env.pop("IATP_KG_STORE", None)
    url = f"http://127.0.0.1:{port}"
    with running_process(args, path.parent / "server.log", f"{url}/health", "workers", env=env):
        yield url


def answers(base: str, n: int, query: str) -> list[tuple[int, str, str]]:
    """``n`` requests on fresh connections: (process, ETag, body) of each."""
    out = []
    for _ in range(n):
        with httpx.Client(base_url=base) as client:  # a new connection: any worker may answer
            r = client.get("/sparql", params={"query": query}, headers={"Accept": "text/csv"})
            assert r.status_code == 200, r.text
            pid = client.get("/health").json()["process"]
        out.append((pid, r.headers["etag"], r.text))
    return out


def test_several_processes_answer_on_one_port(base):
    deadline = time.monotonic() + 60
    pids: set[int] = set()
    while len(pids) < 2 and time.monotonic() < deadline:
        with httpx.Client(base_url=base) as client:
            pids.add(client.get("/health").json()["process"])
    assert len(pids) >= 2


def test_a_write_through_one_worker_is_seen_by_all_with_one_etag(base):
    graph = f"{ID}graph/workers-{uuid.uuid4().hex[:8]}"
    query = f"SELECT ?v WHERE {{ GRAPH <{graph}> {{ ?s ?p ?v }} }}"
    etags_seen = []
    for i in range(3):
        r = httpx.put(
            f"{base}/store",
            params={"graph": graph},
            content=f'<{ID}thing/w> <{ID}p> "value {i}" .\n',
            headers={**AUTH, "Content-Type": "application/n-triples"},
        )
        assert r.status_code in (201, 204), r.text
        seen = answers(base, 12, query)
        assert {body.split("\r\n")[1] for _, _, body in seen} == {f"value {i}"}
        etags = {etag for _, etag, _ in seen}
        assert len(etags) == 1, seen  # one state, one ETag, whichever worker answered
        assert len({pid for pid, _, _ in seen}) >= 2  # and more than one worker answered
        etags_seen.append(etags.pop())
    assert len(set(etags_seen)) == 3  # every write changed it
