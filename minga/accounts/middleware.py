"""Two-factor authentication is mandatory for the roles in MINGA_2FA_REQUIRED_ROLES (officials
and administrators): until such a user has passed a TOTP check in this session, every page
but the sign-in, 2FA and static ones sends them to the 2FA step."""

from collections.abc import Callable

from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect

from .selectors import user_requires_2fa

SESSION_KEY = "minga_2fa_verified"
EXEMPT_PREFIXES = ("/accounts/", "/static/", "/i18n/", "/api/")


class TwoFactorRequiredMiddleware:
    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        user = getattr(request, "user", None)
        if (
            user is not None
            and user.is_authenticated
            and not request.session.get(SESSION_KEY)
            and not request.path.startswith(EXEMPT_PREFIXES)
            and user_requires_2fa(user=user)
        ):
            return redirect("accounts:two_factor")
        return self.get_response(request)
