"""No 5xx under fuzzing: schemathesis generates requests from the OpenAPI schema of the
running server for every GET route of /api/v1 (bounded: 30 cases per operation), and every
error keeps the one JSON error shape."""

from __future__ import annotations

import schemathesis
from hypothesis import HealthCheck, given, settings

RESOURCES = ("initiatives", "actors", "territories", "sectors", "workshops", "projects")


def test_no_5xx_under_fuzzing(server):
    schema = schemathesis.openapi.from_url(f"{server}/openapi.json").include(
        path_regex="^/api/v1/", method="GET"
    )
    operations = [result.ok() for result in schema.get_all_operations()]
    paths = {operation.path for operation in operations}
    for resource in RESOURCES:
        # a list, a list as a file and a detail per resource
        assert {f"/api/v1/{resource}", f"/api/v1/{resource}.{{ext}}"} <= paths, resource
        assert f"/api/v1/{resource}/{{slug}}" in paths, resource
    ours = {p for p in paths if p.split("/")[3].split(".")[0] in RESOURCES and "matches" not in p}
    failures, calls = [], {}
    for operation in operations:

        @given(case=operation.as_strategy())
        @settings(
            max_examples=30,
            deadline=None,
            derandomize=True,
            database=None,
            suppress_health_check=list(HealthCheck),
        )
        def run(case):
            response = case.call(timeout=30)
            calls.setdefault(case.operation.path, []).append(response.status_code)
            if response.status_code >= 500:
                failures.append((case.path, case.path_parameters, case.query, response.text[:200]))
            elif response.status_code >= 400:
                assert set(response.json()["error"]) >= {"code", "message", "request_id"}

        run()
    assert not failures, failures
    # every route with parameters got many different requests (a route without any, one)
    assert all(len(statuses) >= 10 for path, statuses in calls.items() if path in ours), calls
    # the generated requests reach the routes, not only their parameter checks
    lists = [s for path in ours - {p for p in ours if "{" in p} for s in calls[path]]
    assert lists.count(200) >= 6, calls


def test_no_5xx_when_fuzzing_the_registration_schema(admin_server):
    """Bodies generated from the published registration and interest schemas: each is
    answered 202 or a 4xx in the one error shape, never a 5xx."""
    schema = schemathesis.openapi.from_url(f"{admin_server}/openapi.json").include(
        path_regex="^/api/v1/(registrations|interest)$", method="POST"
    )
    operations = [result.ok() for result in schema.get_all_operations()]
    assert len(operations) == 2
    failures, answers = [], []
    for operation in operations:

        @given(case=operation.as_strategy())
        @settings(
            max_examples=40,
            deadline=None,
            derandomize=True,
            database=None,
            suppress_health_check=list(HealthCheck),
        )
        def run(case):
            response = case.call(timeout=60)
            answers.append(response.status_code)
            if response.status_code >= 500:
                failures.append((case.path, case.body, response.text[:200]))
            elif response.status_code >= 400:
                assert set(response.json()["error"]) >= {"code", "message", "request_id"}

        run()
    assert not failures, failures
    assert any(s == 202 for s in answers), answers  # some generated bodies were valid
