"""Load (the long part of the reliability suite: `scripts/reliability`, not `.ci/run`).

32 concurrent clients for 60 s (IATP_KG_LOAD_SECONDS) against the named queries, cheap
lookups and the REST facade, with zero 5xx; then the same cheap mix while a pathological query
runs all the while, whose p99 must stay within 3x of its value without it (a ratio measured in
one run, as the issue asks; no absolute time is asserted).
"""

from __future__ import annotations

import asyncio
import os
import random
import shutil
import statistics
import time

import httpx
import pytest
from conftest import running_server
from reliability import record

from iatp_kg.queries import load_named_queries

pytestmark = pytest.mark.slow

SECONDS = float(os.environ.get("IATP_KG_LOAD_SECONDS", "60"))
CLIENTS = int(os.environ.get("IATP_KG_LOAD_CLIENTS", "32"))
PATHOLOGICAL = "SELECT (COUNT(*) AS ?n) WHERE { ?a ?b ?c . ?d ?e ?f . ?g ?h ?i }"


@pytest.fixture(scope="module")
def loaded_server(seeded_template, tmp_path_factory):
    path = tmp_path_factory.mktemp("load") / "store"
    shutil.copytree(seeded_template, path)
    with running_server(path, query_timeout="10") as base:
        yield base


def cheap_requests(base: str, iris: list[str]) -> list:
    """(label, method, url, params, headers) for cheap lookups: a different IRI each time."""
    out = []
    for iri in iris:
        out.append(
            (
                "lookup by IRI",
                f"{base}/sparql",
                {"query": f"SELECT ?p ?o WHERE {{ <{iri}> ?p ?o }}"},
            )
        )
    return out


def mixed_requests(base: str, iris: list[str]) -> list:
    named = [("named query", f"{base}/sparql", {"query": q.text}) for q in load_named_queries()]
    rest = [
        ("REST", f"{base}{path}", {})
        for path in (
            "/api/v1/initiatives?limit=20",
            "/api/v1/initiatives?country=co",
            "/api/v1/initiatives?q=cluster&sort=-founded",
            "/api/v1/initiatives.geojson?limit=100",
            "/api/v1/initiatives/cluster-industrias-creativas-medellin",
            "/api/v1/territories?limit=50",
            "/api/v1/sectors?limit=50",
        )
    ]
    return named + cheap_requests(base, iris) + rest


async def hammer(requests: list, seconds: float, clients: int) -> dict:
    latencies: list[float] = []
    statuses: dict[int, int] = {}
    errors: list[str] = []
    deadline = time.monotonic() + seconds

    async def client(rng: random.Random) -> None:
        async with httpx.AsyncClient(timeout=60) as http:
            while time.monotonic() < deadline:
                _label, url, params = rng.choice(requests)
                started = time.perf_counter()
                try:
                    r = await http.get(url, params=params)
                    statuses[r.status_code] = statuses.get(r.status_code, 0) + 1
                except httpx.HTTPError as exc:
                    errors.append(type(exc).__name__)
                    continue
                latencies.append(time.perf_counter() - started)

    await asyncio.gather(*(client(random.Random(i)) for i in range(clients)))
    latencies.sort()
    return {
        "requests": len(latencies),
        "statuses": statuses,
        "errors": errors,
        "p50_ms": 1000 * statistics.median(latencies) if latencies else None,
        "p99_ms": 1000 * latencies[int(0.99 * (len(latencies) - 1))] if latencies else None,
        "rps": len(latencies) / seconds,
    }


def initiative_iris(base: str) -> list[str]:
    r = httpx.get(
        f"{base}/sparql",
        params={"query": "SELECT ?s WHERE { ?s iatp:initiativeKind ?k }"},
    )
    return [b["s"]["value"] for b in r.json()["results"]["bindings"]]


def test_32_clients_for_a_minute_without_a_5xx(loaded_server):
    iris = initiative_iris(loaded_server)
    requests = mixed_requests(loaded_server, iris)
    for _label, url, params in requests:  # every request of the set is a valid one
        assert httpx.get(url, params=params).status_code == 200, (url, params)
    result = asyncio.run(hammer(requests, SECONDS, CLIENTS))
    server_errors = sum(n for s, n in result["statuses"].items() if s >= 500)
    record(
        "load",
        f"{CLIENTS} clients, {SECONDS:g} s, mixed set ({len(requests)} requests)",
        outcome=f"{result['requests']:,} answered, {result['rps']:.0f} req/s, "
        f"p50 {result['p50_ms']:.1f} ms, p99 {result['p99_ms']:.1f} ms, 5xx {server_errors}, "
        f"connection errors {len(result['errors'])}",
        unchanged=server_errors == 0 and not result["errors"],
    )
    assert server_errors == 0, result["statuses"]
    assert not result["errors"], result["errors"][:10]


def test_a_pathological_query_does_not_starve_cheap_ones(loaded_server):
    iris = initiative_iris(loaded_server)
    cheap = cheap_requests(loaded_server, iris)
    seconds = max(10.0, SECONDS / 3)
    baseline = asyncio.run(hammer(cheap, seconds, CLIENTS))

    async def with_pathological() -> dict:
        stop = time.monotonic() + seconds
        slow_statuses: list[int] = []

        async def slow() -> None:
            async with httpx.AsyncClient(timeout=60) as http:
                while time.monotonic() < stop:
                    r = await http.get(f"{loaded_server}/sparql", params={"query": PATHOLOGICAL})
                    slow_statuses.append(r.status_code)

        slow_task = asyncio.create_task(slow())
        result = await hammer(cheap, seconds, CLIENTS)
        await slow_task
        result["slow_statuses"] = slow_statuses
        return result

    loaded = asyncio.run(with_pathological())
    ratio = loaded["p99_ms"] / baseline["p99_ms"]
    record(
        "load",
        f"cheap lookups, {CLIENTS} clients, with a pathological query running all the while",
        outcome=f"p99 {baseline['p99_ms']:.1f} ms without, {loaded['p99_ms']:.1f} ms with "
        f"({ratio:.2f}x); pathological query answered {sorted(set(loaded['slow_statuses']))}",
        unchanged=ratio <= 3,
    )
    assert all(s in (503, 504) for s in loaded["slow_statuses"]), loaded["slow_statuses"]
    assert not any(s >= 500 for s in loaded["statuses"]), loaded["statuses"]
    assert ratio <= 3, (baseline, loaded)
