"""Every service's OpenAPI document, fuzzed: whatever a caller sends, no answer is a
500 and every answer matches the document (status code, content type, body schema).

Requests are made as a center supervisor, whose scopes reach every center route, and
also as the callers whose routes a supervisor cannot use (a unit, a channel).
"""

from __future__ import annotations

import pytest
import schemathesis
from hypothesis import HealthCheck, given, settings
from schemathesis import Case
from schemathesis.checks import (
    content_type_conformance,
    not_a_server_error,
    response_schema_conformance,
    status_code_conformance,
)

from minsheng_common.devstack.stack import Stack

pytestmark = pytest.mark.fuzz

CHECKS = [
    not_a_server_error,
    status_code_conformance,
    content_type_conformance,
    response_schema_conformance,
]
FUZZ = settings(
    max_examples=40,
    deadline=None,
    suppress_health_check=[HealthCheck.too_slow, HealthCheck.filter_too_much],
)


def fuzz(stack: Stack, service: str, who: str) -> None:
    """Run the fuzzer over every operation of a service's document as `who`."""
    assert stack.credentials is not None
    headers = {"X-API-Key": stack.credentials.keys[who]}
    schema = schemathesis.openapi.from_url(f"{stack.url(service)}/openapi.json")
    operations = [result.ok() for result in schema.get_all_operations()]
    assert operations, f"{service} documents no operation"

    for operation in operations:

        @FUZZ
        @given(case=operation.as_strategy())
        def holds_its_contract(case: Case) -> None:
            case.call_and_validate(headers=headers, checks=CHECKS)

        holds_its_contract()


@pytest.mark.parametrize(
    ("service", "who"),
    [
        ("intake", "supervisor"),
        ("intake", "channel:hotline-12345"),
        ("dispatch", "supervisor"),
        ("dispatch", "unit:cgj"),
        ("sla", "supervisor"),
        ("sla", "unit:cgj"),
        ("notify", "supervisor"),
        ("analytics", "dashboard"),
        ("forum", "supervisor"),
    ],
)
def test_the_api_holds_its_contract_whatever_is_sent(
    fuzz_stack: Stack, service: str, who: str
) -> None:
    fuzz(fuzz_stack, service, who)
