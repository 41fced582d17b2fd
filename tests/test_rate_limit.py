"""The optional per-client rate limit: 429 with Retry-After past the limit, /health exempt."""

from __future__ import annotations

import httpx
import pytest
from conftest import running_server


@pytest.fixture(scope="module")
def throttled_server(seeded_template, tmp_path_factory) -> str:
    import shutil

    path = tmp_path_factory.mktemp("throttled") / "store"
    shutil.copytree(seeded_template, path)
    with running_server(path, rate_limit_per_minute="5") as base:
        yield base


def test_past_the_limit_is_429_with_retry_after(throttled_server):
    # running_server polled /health, which is not counted: five requests pass.
    query = {"query": "ASK {}"}
    statuses = [httpx.get(f"{throttled_server}/sparql", params=query).status_code for _ in range(5)]
    assert statuses == [200] * 5
    r = httpx.get(
        f"{throttled_server}/sparql", params=query, headers={"origin": "https://example.org"}
    )
    assert r.status_code == 429
    assert 1 <= int(r.headers["retry-after"]) <= 60
    error = r.json()["error"]
    assert error["code"] == "too_many_requests" and "retry after" in error["message"]
    assert error["request_id"] == r.headers["x-request-id"]
    assert r.headers["access-control-allow-origin"] == "*"  # a browser client can read it
    assert httpx.get(f"{throttled_server}/health").status_code == 200


def test_no_limit_by_default(server):
    assert all(
        httpx.get(f"{server}/sparql", params={"query": "ASK {}"}).status_code == 200
        for _ in range(30)
    )
