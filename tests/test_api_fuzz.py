"""Schemathesis fuzzes every operation of the OpenAPI schema, with and without an operator
token, on a database holding the demo data: no request may get a server error (5xx)."""

import pytest
import schemathesis
from django.core.management import call_command
from django.core.wsgi import get_wsgi_application
from django.utils import timezone
from hypothesis import HealthCheck, settings
from schemathesis.checks import not_a_server_error

from minga.accounts.services import token_create, user_create
from minga.core.roles import Role


@pytest.fixture
def api_schema(db):
    return schemathesis.openapi.from_wsgi("/api/v1/openapi.json", get_wsgi_application())


@pytest.fixture
def operator_headers(db):
    call_command("demo", stdout=open("/dev/null", "w"))  # noqa: SIM115 - closed at exit
    now = timezone.now()
    user = user_create(username="fuzz-operator", password="a long fuzz passphrase", actor=None, now=now)
    token = token_create(user=user, role=Role.OPERATOR, name="fuzz", actor=None, now=now)
    return {"Authorization": f"Bearer {token}"}


schema = schemathesis.pytest.from_fixture("api_schema")


@schema.parametrize()
@settings(
    max_examples=30,
    deadline=None,
    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
)
def test_no_request_to_the_api_gets_a_server_error(case, operator_headers):
    case.call_and_validate(checks=[not_a_server_error])
    case.call_and_validate(headers=operator_headers, checks=[not_a_server_error])
