"""No 5xx under fuzzing: schemathesis generates requests from the OpenAPI schema of the
running server for every GET route of /api/v1 (bounded: 30 cases per operation), and every
error keeps the one JSON error shape."""

from __future__ import annotations

import schemathesis
from hypothesis import HealthCheck, given, settings


def test_no_5xx_under_fuzzing(server):
    schema = schemathesis.openapi.from_url(f"{server}/openapi.json").include(
        path_regex="^/api/v1/", method="GET"
    )
    operations = [result.ok() for result in schema.get_all_operations()]
    assert len(operations) >= 12  # a list and a detail route per resource
    failures = []
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
            if response.status_code >= 500:
                failures.append((case.path, case.path_parameters, case.query, response.text[:200]))
            elif response.status_code >= 400:
                assert set(response.json()["error"]) >= {"code", "message", "request_id"}

        run()
    assert not failures, failures


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
