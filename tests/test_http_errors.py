"""The one JSON error body, and internal errors: a 500 that names its request id, never a
traceback, with the traceback in the server's log under that id."""

from __future__ import annotations

import asyncio
import logging

import httpx
import orjson
import pytest

from iatp_kg.app import create_app
from iatp_kg.settings import Settings


class Records(logging.Handler):
    def __init__(self) -> None:
        super().__init__()
        self.records: list[logging.LogRecord] = []

    def emit(self, record: logging.LogRecord) -> None:
        self.records.append(record)


@pytest.fixture
def app_with_a_failing_route(tmp_path):
    # The app is built as `iatp-kg serve` builds it; one route is added that fails the way a
    # bug would. Its lifespan is not started: the route needs no store.
    app = create_app(Settings(store_dir=tmp_path / "store"))

    @app.get("/boom")
    async def boom():
        raise RuntimeError("secret internal detail /etc/passwd")

    return app


def test_internal_error_is_a_500_with_request_id_and_no_traceback(app_with_a_failing_route):
    records = Records()
    logger = logging.getLogger("iatp_kg")
    logger.addHandler(records)
    try:
        transport = httpx.ASGITransport(app=app_with_a_failing_route, raise_app_exceptions=False)

        async def call():
            async with httpx.AsyncClient(transport=transport, base_url="http://test") as client:
                return await client.get("/boom", headers={"x-request-id": "req-123"})

        r = asyncio.run(call())
    finally:
        logger.removeHandler(records)
    assert r.status_code == 500
    body = orjson.loads(r.content)
    assert body == {
        "error": {
            "code": "internal_error",
            "message": "an internal error occurred (request id req-123)",
            "request_id": "req-123",
        }
    }
    assert b"Traceback" not in r.content and b"secret" not in r.content
    assert r.headers["x-request-id"] == "req-123"
    logged = [rec for rec in records.records if rec.exc_info]
    assert logged, "the failure was not logged with its traceback"
    assert "req-123" in logged[0].getMessage()


def test_health_reports_readiness_and_triples(server):

    r = httpx.get(f"{server}/health")
    assert r.status_code == 200
    body = r.json()
    assert body["status"] == "ok" and body["query_workers"] >= 1
    count = httpx.get(
        f"{server}/sparql",
        params={"query": "SELECT (COUNT(*) AS ?n) WHERE { GRAPH ?g { ?s ?p ?o } }"},
    ).json()["results"]["bindings"][0]["n"]["value"]
    assert body["triples"] >= int(count) > 0


def test_unknown_route_has_the_one_error_shape(server):
    r = httpx.get(f"{server}/no-such-route")
    assert r.status_code == 404
    assert set(r.json()["error"]) == {"code", "message", "request_id"}
