"""Schemathesis over the whole OpenAPI schema, as an administrator (so that every
write is reached past authorisation), against the scratch cluster: no 5xx, ever.

Bounded: a fixed budget of examples shared by the operations, no Hypothesis
database, and a time limit on the test.
"""

from __future__ import annotations

from collections.abc import Iterator

import httpx
import pytest
import schemathesis
from hypothesis import HealthCheck, Phase, given, settings
from hypothesis.errors import Unsatisfiable
from schemathesis import GenerationMode

from tests.auth.conftest import Scratch, served

pytestmark = [pytest.mark.slow, pytest.mark.timeout(300)]

#: Examples over all operations and both modes (valid, invalid inputs), so the run
#: stays bounded as routes are added; each operation gets at least MIN_EXAMPLES.
TOTAL_EXAMPLES = 160
MIN_EXAMPLES = 3


@pytest.fixture(scope="module")
def fuzz_server(scratch: Scratch) -> Iterator[tuple[str, dict[str, str]]]:
    """A server on the scratch cluster, and the headers of a dedicated administrator."""
    env = {"DATABASE_URL": scratch.url, "PISHRAFT_HOME": str(scratch.home), "PISHRAFT_DATA_DIR": str(scratch.data_dir)}
    with served(env) as base:
        demo = httpx.post(f"{base}/api/auth/token", data={"username": "demo-admin", "password": "demo-admin-1403"})
        admin = {"Authorization": f"Bearer {demo.json()['access_token']}"}
        # Its own admin, so that the fuzzer disabling demo-admin changes nothing here.
        httpx.post(f"{base}/api/users", headers=admin,
                   json={"username": "fuzz-admin-7f3c", "password": "fuzz password 7f3c", "role": "admin"})
        token = httpx.post(f"{base}/api/auth/token",
                           data={"username": "fuzz-admin-7f3c", "password": "fuzz password 7f3c"})
        yield base, {"Authorization": f"Bearer {token.json()['access_token']}"}


def test_no_operation_answers_5xx(fuzz_server: tuple[str, dict[str, str]]) -> None:
    """Every operation, with valid and invalid inputs, answers below 500."""
    base, admin = fuzz_server
    schema = schemathesis.openapi.from_url(f"{base}/openapi.json")
    operations = [result.ok() for result in schema.get_all_operations()]
    assert len(operations) >= 10
    server_errors: list[str] = []
    per_operation = max(MIN_EXAMPLES, TOTAL_EXAMPLES // (2 * len(operations)))

    for operation in operations:
        for mode in (GenerationMode.POSITIVE, GenerationMode.NEGATIVE):

            @given(case=operation.as_strategy(generation_mode=mode))
            @settings(max_examples=per_operation, deadline=None, database=None,
                      suppress_health_check=list(HealthCheck), phases=[Phase.generate])
            def call(case: schemathesis.Case) -> None:
                if str(case.path_parameters or {}).find("fuzz-admin") >= 0:
                    return  # keep the fuzzing administrator as it is
                response = case.call(base_url=base, headers=admin, timeout=30)
                if response.status_code >= 500:
                    server_errors.append(f"{case.method} {case.formatted_path} {case.query} -> "
                                         f"{response.status_code} {response.text[:200]}")

            try:
                call()
            except Unsatisfiable:  # an operation without inputs has no invalid ones
                assert mode is GenerationMode.NEGATIVE
    assert not server_errors, "\n".join(server_errors[:20])
