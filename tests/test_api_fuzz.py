"""Schemathesis fuzzes every operation of the OpenAPI schema, without a token and with an
operator's token, on a database holding the demo data: no request may get a server error (5xx).

Schemathesis's pytest plugin does not run under pytest 9, so each operation's hypothesis
strategy is driven here directly."""

import io

import pytest
import schemathesis
from django.core.management import call_command
from django.core.signals import request_finished, request_started
from django.core.wsgi import get_wsgi_application
from django.db import close_old_connections, transaction
from django.utils import timezone
from hypothesis import HealthCheck, given, settings

from minga.accounts.services import role_assign, token_create, user_create
from minga.api import api
from minga.core.roles import Role


def operations() -> list[tuple[str, str]]:
    spec = api.get_openapi_schema()
    return sorted(
        (method.upper(), path)
        for path, item in spec["paths"].items()
        for method in item
        if method in {"get", "post", "put", "patch", "delete"}
    )


@pytest.fixture
def api_schema(db):
    # As Django's test client does: the WSGI handler must not close the test's connection at the
    # end of each request, or the test's transaction (and its data) would be lost.
    request_started.disconnect(close_old_connections)
    request_finished.disconnect(close_old_connections)
    yield schemathesis.openapi.from_wsgi("/api/v1/openapi.json", get_wsgi_application())
    request_started.connect(close_old_connections)
    request_finished.connect(close_old_connections)


@pytest.fixture(scope="module")
def operator_headers(django_db_setup, django_db_blocker):
    # The demo is loaded once per worker, inside a transaction that is rolled back when the
    # module's tests are done; each test runs in a savepoint within it (pytest-django's `db`), so
    # what one test's requests write is undone before the next test. The block is marked as
    # Django's TestCase marks its class-wide block, so that services' durable blocks may nest in it.
    outer = transaction.atomic()
    outer._from_testcase = True  # type: ignore[attr-defined]
    with django_db_blocker.unblock(), outer:
        call_command("demo", stdout=io.StringIO())
        now = timezone.now()
        user = user_create(
            actor=None, username="fuzz-operator", password="a long passphrase", now=now
        )
        role_assign(actor=None, user=user, role=Role.OPERATOR, active_from=now, now=now)
        token = token_create(actor=None, user=user, role=Role.OPERATOR, name="fuzz", now=now)
        yield {"Authorization": f"Bearer {token.clear}"}
        transaction.set_rollback(True)


@pytest.mark.parametrize(("method", "path"), operations(), ids=lambda v: v)
def test_no_request_to_the_api_gets_a_server_error(method, path, api_schema, operator_headers):
    operation = next(
        result.ok()
        for result in api_schema.get_all_operations()
        if result.ok().method.upper() == method and result.ok().path == path
    )

    @given(case=operation.as_strategy())
    @settings(
        max_examples=10,
        deadline=None,
        database=None,
        suppress_health_check=list(HealthCheck),
    )
    def no_server_error(case):
        for headers in (None, operator_headers):
            response = case.call(headers=headers)
            assert response.status_code < 500, (
                f"{case.method} {case.formatted_path} answered {response.status_code}:\n"
                f"{case.as_curl_command()}\n{response.text[:2000]}"
            )

    no_server_error()
