"""Faults: kill -9 in the middle of a write, two concurrent writers, online backup and restore,
a full disk. After each, the store opens, holds all or none of the batch, and serves."""

from __future__ import annotations

import contextlib
import hashlib
import os
import shutil
import signal
import subprocess
import threading
import time
from contextlib import contextmanager
from pathlib import Path

import httpx
import pytest
from conftest import ADMIN_TOKEN, BIN, digest, free_port, iatp_kg
from reliability import record

from iatp_kg.store import Store

# kill -9 of the process that writes the store, its online backup and restore, a full disk
# under it: faults of the embedded store (a remote engine has its own, tested by its makers).
pytestmark = pytest.mark.embedded_only

ADMIN = {"authorization": f"Bearer {ADMIN_TOKEN}"}
EX = "https://example.org/"


@contextmanager
def server(store_dir: Path, **settings: str):
    """A server whose process the test may kill; yields (base URL, process)."""
    port = free_port()
    env = {**os.environ, "IATP_KG_ADMIN_TOKEN": ADMIN_TOKEN, "IATP_KG_SEED_ON_START": "false"}
    env |= {f"IATP_KG_{k.upper()}": v for k, v in settings.items()}
    log = open(store_dir.parent / f"fault-server-{port}.log", "wb")  # noqa: SIM115
    proc = subprocess.Popen(
        [str(BIN), "serve", "--store", str(store_dir), "--port", str(port)],
        env=env,
        stdout=log,
        stderr=subprocess.STDOUT,
    )
    base = f"http://127.0.0.1:{port}"
    try:
        deadline = time.monotonic() + 120
        while True:
            assert proc.poll() is None, (store_dir.parent / f"fault-server-{port}.log").read_text()
            try:
                if httpx.get(f"{base}/health", timeout=2).status_code == 200:
                    break
            except httpx.HTTPError:
                pass
            assert time.monotonic() < deadline, "the server did not start"
            time.sleep(0.2)
        yield base, proc
    finally:
        if proc.poll() is None:
            proc.terminate()
            try:
                proc.wait(timeout=10)
            except subprocess.TimeoutExpired:
                proc.kill()
        log.close()


def count(base: str, graph: str) -> int:
    r = httpx.get(
        f"{base}/sparql",
        params={"query": f"SELECT (COUNT(*) AS ?n) WHERE {{ GRAPH <{graph}> {{ ?s ?p ?o }} }}"},
        timeout=60,
    )
    assert r.status_code == 200, r.text
    return int(r.json()["results"]["bindings"][0]["n"]["value"])


def ntriples(n: int, tag: str) -> bytes:
    return "".join(f'<{EX}{tag}/s{i}> <{EX}p> "{tag} {i}" .\n' for i in range(n)).encode()


@pytest.mark.parametrize("delay", [0.05, 0.3, 0.8, 1.5, None])
def test_kill_9_during_a_graph_store_write_leaves_all_or_nothing(seeded_template, tmp_path, delay):
    store_dir = tmp_path / "store"
    shutil.copytree(seeded_template, store_dir)
    n = 150_000
    body = ntriples(n, "batch")
    graph = f"{EX}killed-graph"
    with server(store_dir, max_body_bytes=str(len(body) + 1000)) as (base, proc):
        before = count(base, graph)

        def write():
            with contextlib.suppress(httpx.HTTPError):  # the server is killed under it
                httpx.put(
                    f"{base}/store",
                    params={"graph": graph},
                    content=body,
                    headers={**ADMIN, "content-type": "application/n-triples"},
                    timeout=120,
                )

        writer = threading.Thread(target=write)
        writer.start()
        if delay is None:  # right after the server answered: the write must have lasted
            writer.join()
        else:
            time.sleep(delay)
        os.kill(proc.pid, signal.SIGKILL)
        proc.wait()
        writer.join()
    # Query workers are the server's children; let them notice their parent is gone.
    time.sleep(0.5)
    with server(store_dir) as (base, _):
        after = count(base, graph)
        healthy = httpx.get(f"{base}/health").status_code == 200
    record(
        "faults",
        f"kill -9 the server {delay} s into a {n:,}-triple PUT"
        if delay is not None
        else f"kill -9 the server right after a {n:,}-triple PUT was answered",
        outcome=f"graph holds {after:,} triples after restart",
        unchanged=after in (before, n),
    )
    assert before == 0
    assert after in (0, n), f"a partial write survived: {after} of {n}"
    if delay is None:
        assert after == n, "an answered write was lost"
    assert healthy


def test_two_concurrent_writers_never_mix(seeded_template, tmp_path):
    store_dir = tmp_path / "store"
    shutil.copytree(seeded_template, store_dir)
    graph = f"{EX}contested"
    bodies = {tag: ntriples(20_000, tag) for tag in ("left", "right")}
    with server(store_dir, max_body_bytes="5000000") as (base, _):
        for _round in range(3):
            results: dict[str, int] = {}

            def put(tag: str, results=results) -> None:
                r = httpx.put(
                    f"{base}/store",
                    params={"graph": graph},
                    content=bodies[tag],
                    headers={**ADMIN, "content-type": "application/n-triples"},
                    timeout=120,
                )
                results[tag] = r.status_code

            threads = [threading.Thread(target=put, args=(t,)) for t in bodies]
            for t in threads:
                t.start()
            for t in threads:
                t.join()
            dump = httpx.get(
                f"{base}/store",
                params={"graph": graph},
                headers={"accept": "application/n-triples"},
                timeout=60,
            ).text
            tags = {line.split('"')[1].split()[0] for line in dump.splitlines() if line}
            assert all(s in (201, 204, 409) for s in results.values()), results
            assert len(tags) == 1, f"the graph mixes writers: {tags}"
            assert len(dump.splitlines()) == 20_000

        # Concurrent updates that add: both land, in some order.
        def insert(tag: str) -> None:
            triples = " ".join(f'<{EX}{tag}/u{i}> <{EX}p> "{i}" .' for i in range(2_000))
            r = httpx.post(
                f"{base}/update",
                content=f"INSERT DATA {{ GRAPH <{EX}added> {{ {triples} }} }}",
                headers={**ADMIN, "content-type": "application/sparql-update"},
                timeout=120,
            )
            assert r.status_code == 204, r.text

        threads = [threading.Thread(target=insert, args=(t,)) for t in ("a", "b")]
        for t in threads:
            t.start()
        for t in threads:
            t.join()
        assert count(base, f"{EX}added") == 4_000
    record(
        "faults",
        "two concurrent writers (PUT the same graph 3 times; two INSERTs)",
        outcome="one writer's graph each time; both inserts landed",
        unchanged=True,
    )


def test_backup_runs_online_and_restore_round_trips(seeded_template, tmp_path):
    store_dir = tmp_path / "store"
    shutil.copytree(seeded_template, store_dir)
    with server(store_dir) as (base, _):
        r = httpx.put(
            f"{base}/store",
            params={"graph": f"{EX}written-while-up"},
            content=ntriples(100, "up"),
            headers={**ADMIN, "content-type": "application/n-triples"},
        )
        assert r.status_code == 201
        dataset = httpx.get(f"{base}/store", headers={"accept": "application/n-quads"}).content
        backup = tmp_path / "backup"
        result = iatp_kg("backup", backup, "--store", store_dir)
        assert result.returncode == 0, result.stderr
        assert httpx.get(f"{base}/health").status_code == 200  # still serving
    restored = tmp_path / "restored"
    result = iatp_kg("restore", backup, "--store", restored)
    assert result.returncode == 0, result.stderr
    assert digest(restored) == digest(store_dir)
    with server(restored) as (base, _):
        again = httpx.get(f"{base}/store", headers={"accept": "application/n-quads"}).content
    assert hashlib.sha256(again).digest() == hashlib.sha256(dataset).digest()
    record(
        "faults",
        "online backup while serving, then restore",
        outcome="same digest",
        unchanged=True,
    )


@pytest.fixture
def small_disk(tmp_path):
    mount = tmp_path / "small-disk"
    mount.mkdir()
    done = subprocess.run(
        ["mount", "-t", "tmpfs", "-o", "size=24m", "tmpfs", str(mount)],
        capture_output=True,
        text=True,
    )
    if done.returncode != 0:
        pytest.skip(f"cannot mount a small filesystem here ({done.stderr.strip()})")
    try:
        yield mount
    finally:
        subprocess.run(["umount", "-l", str(mount)], check=False)


def test_full_disk_during_a_load_is_a_clear_error_and_the_store_opens(
    seeded_template, small_disk, tmp_path
):
    store_dir = small_disk / "store"
    shutil.copytree(seeded_template, store_dir)
    before = digest(store_dir)
    big = tmp_path / "big.nt"
    with big.open("wb") as fh:
        for chunk in range(40):
            fh.write(ntriples(20_000, f"disk{chunk}"))
    # Fill most of what is left, so the load runs out of space part-way.
    free = shutil.disk_usage(small_disk).free
    (small_disk / "ballast").write_bytes(b"\0" * max(0, free - 6_000_000))
    result = iatp_kg("load", big, "--store", store_dir, "--no-validate")
    message = result.stderr.strip().splitlines()[-1] if result.stderr.strip() else ""
    (small_disk / "ballast").unlink()
    after = digest(store_dir)
    record(
        "faults",
        "full disk during a 800,000-triple load",
        outcome=f"exit {result.returncode}: {message[:120]}",
        unchanged=after == before,
    )
    assert result.returncode == 2, result.stderr[-1500:]
    assert "space" in result.stderr.lower() or "disk" in result.stderr.lower(), result.stderr
    assert "Traceback" not in result.stderr
    assert after == before
    assert len(Store.open(store_dir)) > 0
