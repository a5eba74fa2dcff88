"""Sign-in, the second factor, the profile and sign-out. Views parse the request, call a selector
or a service, and render; the rules live in services.py and selectors.py."""

from typing import Any
from urllib.parse import urlencode

import segno
from django.contrib import messages
from django.contrib.auth import authenticate, login, logout
from django.contrib.auth.decorators import login_required
from django.http import Http404, HttpRequest, HttpResponse, HttpResponseRedirect
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils import timezone
from django.utils.http import url_has_allowed_host_and_scheme
from django.utils.translation import gettext as _
from django.utils.translation import ngettext
from django.views.decorators.http import require_http_methods, require_POST

from .forms import CodeForm, LoginForm
from .middleware import SESSION_KEY
from .selectors import (
    login_throttle,
    roles_for_profile,
    token_of_user,
    tokens_of,
    totp_device_of,
    totp_provisioning_uri,
    user_requires_2fa,
)
from .services import (
    AccountError,
    TOTPCodeInvalid,
    TOTPCodeReplayed,
    login_attempt_record,
    token_revoke,
    totp_confirm,
    totp_enrol,
    totp_verify,
)


def _client_ip(request: HttpRequest) -> str | None:
    # REMOTE_ADDR only: X-Forwarded-For is set by the client unless a trusted proxy rewrites
    # it, so trusting it would let anyone dodge the per-address limit (see docs/deploy.md).
    return request.META.get("REMOTE_ADDR") or None


def _next_url(request: HttpRequest) -> str:
    candidate = request.POST.get("next") or request.GET.get("next") or ""
    if candidate and url_has_allowed_host_and_scheme(
        candidate, allowed_hosts={request.get_host()}, require_https=request.is_secure()
    ):
        return candidate
    return reverse("accounts:profile")


def _lockout_message(retry_after_s: int) -> str:
    minutes = max(1, (retry_after_s + 59) // 60)
    # Same words whether or not the account exists: the lock must not reveal that.
    return ngettext(
        "Demasiados intentos fallidos. Vuelve a intentarlo en %(minutes)d minuto.",
        "Demasiados intentos fallidos. Vuelve a intentarlo en %(minutes)d minutos.",
        minutes,
    ) % {"minutes": minutes}


def _with_next(url_name: str, next_url: str) -> HttpResponseRedirect:
    return HttpResponseRedirect(f"{reverse(url_name)}?{urlencode({'next': next_url})}")


@require_http_methods(["GET", "POST"])
def login_view(request: HttpRequest) -> HttpResponse:
    next_url = _next_url(request)
    form = LoginForm(request.POST if request.method == "POST" else None)
    status = 200
    if request.method == "POST":
        status = 400
        if form.is_valid():
            username = form.cleaned_data["username"]
            ip, now = _client_ip(request), timezone.now()
            throttle = login_throttle(username=username, ip=ip, now=now)
            if throttle.locked:
                # Refused before the password is even looked at.
                form.add_error(None, _lockout_message(throttle.retry_after_s))
                status = 429
            else:
                user = authenticate(
                    request, username=username, password=form.cleaned_data["password"]
                )
                if user is None:
                    login_attempt_record(username=username, ip=ip, succeeded=False, now=now)
                    form.add_error("password", _("El usuario o la contraseña no son correctos."))
                else:
                    login_attempt_record(
                        username=username, ip=ip, succeeded=True, user=user, now=now
                    )
                    login(request, user)
                    request.session.pop(SESSION_KEY, None)
                    if user_requires_2fa(user=user):
                        return _with_next("accounts:two_factor", next_url)
                    return HttpResponseRedirect(next_url)
    return render(request, "accounts/login.html", {"form": form, "next": next_url}, status=status)


def _qr_svg(uri: str) -> str:
    svg = segno.make(uri, error="m").svg_inline(
        scale=4, title=_("Código QR para la aplicación de autenticación"), svgclass="qr"
    )
    # The <title> names the image; role="img" makes assistive technology read it as one.
    return str(svg).replace("<svg ", '<svg role="img" ', 1)


def _grouped(secret: str) -> str:
    return " ".join(secret[i : i + 4] for i in range(0, len(secret), 4))


@login_required
@require_http_methods(["GET", "POST"])
def two_factor_view(request: HttpRequest) -> HttpResponse:
    user: Any = request.user
    next_url = _next_url(request)
    if request.session.get(SESSION_KEY):
        return HttpResponseRedirect(next_url)
    device = totp_device_of(user=user)
    if device is None:
        device = totp_enrol(user=user, now=timezone.now()).device
    enrolling = device.confirmed_at is None
    form = CodeForm(request.POST if request.method == "POST" else None)
    status = 200
    if request.method == "POST":
        status = 400
        if form.is_valid():
            ip, now = _client_ip(request), timezone.now()
            throttle = login_throttle(username=user.get_username(), ip=ip, now=now)
            if throttle.locked:
                form.add_error(None, _lockout_message(throttle.retry_after_s))
                status = 429
            else:
                check = totp_confirm if enrolling else totp_verify
                try:
                    check(user=user, code=form.cleaned_data["code"], now=now)
                except (TOTPCodeInvalid, TOTPCodeReplayed) as exc:
                    # Wrong codes count towards the same lock as wrong passwords.
                    login_attempt_record(
                        username=user.get_username(), ip=ip, succeeded=False, now=now
                    )
                    form.add_error("code", exc.message)
                except AccountError as exc:
                    form.add_error(None, exc.message)
                else:
                    request.session.cycle_key()
                    request.session[SESSION_KEY] = True
                    if enrolling:
                        messages.success(request, _("Verificación en dos pasos activada."))
                    return HttpResponseRedirect(next_url)
    context: dict[str, Any] = {"form": form, "next": next_url, "enrolling": enrolling}
    if enrolling:
        context["secret"] = _grouped(device.secret)
        context["qr_svg"] = _qr_svg(totp_provisioning_uri(user=user, secret=device.secret))
    return render(request, "accounts/two_factor.html", context, status=status)


def _second_factor_missing(request: HttpRequest) -> bool:
    # /accounts/ is exempt from the 2FA middleware (the 2FA page lives here), so the pages that
    # show or change account data check it themselves.
    user: Any = request.user
    return not request.session.get(SESSION_KEY) and user_requires_2fa(user=user)


@login_required
@require_http_methods(["GET"])
def profile_view(request: HttpRequest) -> HttpResponse:
    if _second_factor_missing(request):
        return _with_next("accounts:two_factor", request.get_full_path())
    user: Any = request.user
    device = totp_device_of(user=user)
    return render(
        request,
        "accounts/profile.html",
        {
            "roles": roles_for_profile(user=user),
            "tokens": tokens_of(user=user),
            "totp_on": device is not None and device.confirmed_at is not None,
            "requires_2fa": user_requires_2fa(user=user),
        },
    )


@login_required
@require_POST
def token_revoke_view(request: HttpRequest, token_id: int) -> HttpResponse:
    if _second_factor_missing(request):
        return _with_next("accounts:two_factor", reverse("accounts:profile"))
    token = token_of_user(user=request.user, token_id=token_id)  # type: ignore[arg-type] # login_required
    if token is None:
        raise Http404(_("No existe ese token."))
    try:
        token_revoke(actor=request.user, token=token, now=timezone.now())
    except AccountError as exc:
        messages.error(request, exc.message)
    else:
        messages.success(request, _("Token revocado: ya no sirve para la API."))
    return redirect("accounts:profile")


@require_POST
def logout_view(request: HttpRequest) -> HttpResponse:
    logout(request)  # flushes the session, the 2FA mark with it
    return redirect("core:home")
