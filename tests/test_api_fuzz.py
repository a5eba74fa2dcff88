"""Schemathesis fuzzes every operation of the OpenAPI schema, with and without an operator
token, on a database holding the demo data: no request may get a server error (5xx)."""

import io

import pytest
import schemathesis
from django.core.management import call_command
from django.core.signals import request_finished, request_started
from django.core.wsgi import get_wsgi_application
from django.db import close_old_connections
from django.utils import timezone
from hypothesis import HealthCheck, settings
from schemathesis.checks import not_a_server_error

from minga.accounts.services import role_assign, token_create, user_create
from minga.core.roles import Role


@pytest.fixture
def api_schema(db):
    # As Django's test client does: the WSGI handler must not close the test's connection at the
    # end of each request, or the test's transaction (and its data) would be lost.
    request_started.disconnect(close_old_connections)
    request_finished.disconnect(close_old_connections)
    yield schemathesis.openapi.from_wsgi("/api/v1/openapi.json", get_wsgi_application())
    request_started.connect(close_old_connections)
    request_finished.connect(close_old_connections)


@pytest.fixture
def operator_headers(db):
    call_command("demo", stdout=io.StringIO())
    now = timezone.now()
    user = user_create(actor=None, username="fuzz-operator", password="a long passphrase", now=now)
    role_assign(actor=None, user=user, role=Role.OPERATOR, active_from=now, now=now)
    token = token_create(actor=None, user=user, role=Role.OPERATOR, name="fuzz", now=now)
    return {"Authorization": f"Bearer {token.clear}"}


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
