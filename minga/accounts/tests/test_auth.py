from datetime import timedelta

import pytest
from django.test import RequestFactory
from django.utils import timezone

from minga.accounts.auth import TokenAuth, token_digest
from minga.accounts.models import APIToken
from minga.accounts.services import role_revoke, token_create, token_revoke
from minga.accounts.tests.helpers import NOW, give_role, make_user

pytestmark = pytest.mark.django_db


def operator_token():
    user = make_user("bot")
    assignment = give_role(user, "operator")
    issued = token_create(actor="test", user=user, role="operator", now=NOW)
    return user, assignment, issued


def authenticate(auth, clear):
    request = RequestFactory().get("/api/v1/x", HTTP_AUTHORIZATION=f"Bearer {clear}")
    return request, auth(request)


def test_a_valid_token_for_an_accepted_role_authenticates_its_owner():
    user, _assignment, issued = operator_token()

    request, result = authenticate(TokenAuth(["operator"]), issued.clear)

    assert result == issued.token
    assert request.user == user
    assert request.api_token == issued.token
    assert APIToken.objects.get().last_used_at is not None


def test_a_token_of_another_role_is_refused():
    _user, _assignment, issued = operator_token()

    _request, result = authenticate(TokenAuth(["administrator"]), issued.clear)

    assert result is None
    assert APIToken.objects.get().last_used_at is None


def test_a_revoked_token_is_refused():
    _user, _assignment, issued = operator_token()
    token_revoke(actor="test", token=issued.token, now=NOW)

    _request, result = authenticate(TokenAuth(["operator"]), issued.clear)

    assert result is None


def test_a_token_stops_working_when_its_owners_role_ends():
    _user, assignment, issued = operator_token()
    role_revoke(actor="test", assignment=assignment, now=timezone.now() - timedelta(seconds=1))

    _request, result = authenticate(TokenAuth(["operator"]), issued.clear)

    assert result is None


def test_a_token_of_a_deactivated_user_is_refused():
    user, _assignment, issued = operator_token()
    user.is_active = False
    user.save(update_fields=["is_active"])

    _request, result = authenticate(TokenAuth(["operator"]), issued.clear)

    assert result is None


def test_an_unknown_token_and_the_stored_hash_itself_are_refused():
    _user, _assignment, issued = operator_token()

    _r1, unknown = authenticate(TokenAuth(["operator"]), "mgt_" + "x" * 43)
    _r2, by_hash = authenticate(TokenAuth(["operator"]), token_digest(issued.clear))

    assert unknown is None
    assert by_hash is None


def test_a_request_without_a_bearer_header_is_refused():
    request = RequestFactory().get("/api/v1/x")

    assert TokenAuth(["operator"])(request) is None


def test_token_auth_refuses_to_be_built_with_an_unknown_role():
    with pytest.raises(AssertionError, match="unknown roles"):
        TokenAuth(["superhero"])
