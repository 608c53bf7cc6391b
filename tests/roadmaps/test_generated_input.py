"""Generated requests (Schemathesis, from the OpenAPI document) to every roadmaps-area
route never get a server error: odd input is a 4xx with a message."""

from __future__ import annotations

import re

import pytest
import schemathesis
from fastapi.testclient import TestClient
from hypothesis import HealthCheck, given, settings

AREA = re.compile(r"^/api/(roadmaps|actions|measurements|progress|cores|past-plans|organisations|people|handovers)")


@pytest.mark.slow
def test_generated_requests_never_get_a_server_error(client: TestClient) -> None:
    schema = schemathesis.openapi.from_asgi("/openapi.json", client.app)
    failures: list[tuple[str, str, str]] = []
    for result in schema.get_all_operations():
        operation = result.ok()
        if not AREA.match(operation.path):
            continue

        @given(case=operation.as_strategy())
        @settings(max_examples=10, deadline=None, database=None, suppress_health_check=list(HealthCheck))
        def call(case) -> None:  # type: ignore[no-untyped-def]
            response = case.call()
            if response.status_code >= 500:
                # call() runs at once, inside this turn of the loop: `operation` is the current one.
                failures.append((operation.method, operation.path, response.text[:200]))  # noqa: B023

        call()
    assert failures == []
