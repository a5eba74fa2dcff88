"""The JSON API under /api/v1. Each app that has an `api` module with a `router` is mounted at
/api/v1/<app label>/. Errors are JSON: {"message": ..., "field": ...}."""

from importlib import import_module
from importlib.util import find_spec

from django.apps import apps
from django.http import HttpRequest, HttpResponse
from ninja import NinjaAPI
from ninja.errors import AuthenticationError, HttpError, ValidationError

from minga.apierrors import FieldError

__all__ = ["FieldError", "api"]

api = NinjaAPI(
    title="Minga API",
    version="1",
    description=(
        "Open API of Minga. Reads of public data need no token; writes need an API token "
        "(`minga token create`) sent as `Authorization: Bearer <token>`."
    ),
    urls_namespace="api-v1",
)


# Where django-ninja found a parameter: the first part of a validation error's `loc`.
_LOCATIONS = frozenset({"body", "query", "path", "header", "cookie", "form", "file"})


def _field_of(error: dict[str, object]) -> str:
    """The field at fault, without the parameter's location (`body`, `file`, ...) and the
    name `payload` that the endpoints give their request bodies."""
    loc = [str(p) for p in error.get("loc", ())]  # type: ignore[attr-defined] # loc is a tuple
    if loc and loc[0] in _LOCATIONS:
        loc = loc[1:]
    if loc and loc[0] == "payload":
        loc = loc[1:]
    return ".".join(loc)


@api.exception_handler(ValidationError)
def validation_error(request: HttpRequest, exc: ValidationError) -> HttpResponse:
    first = exc.errors[0] if exc.errors else {}
    return api.create_response(
        request,
        {
            "message": str(first.get("msg", "invalid input")),
            "field": _field_of(first),
            "errors": [{"field": _field_of(e), "message": str(e.get("msg"))} for e in exc.errors],
        },
        status=422,
    )


@api.exception_handler(AuthenticationError)
def authentication_error(request: HttpRequest, exc: AuthenticationError) -> HttpResponse:
    return api.create_response(
        request, {"message": "a valid API token is required", "field": "Authorization"}, status=401
    )


@api.exception_handler(HttpError)
def http_error(request: HttpRequest, exc: HttpError) -> HttpResponse:
    return api.create_response(
        request,
        {"message": exc.message, "field": getattr(exc, "field", "")},
        status=exc.status_code,
    )


def mount_app_routers() -> None:
    for config in apps.get_app_configs():
        if not config.name.startswith("minga.") or find_spec(f"{config.name}.api") is None:
            continue
        module = import_module(f"{config.name}.api")
        router = getattr(module, "router", None)
        if router is not None:
            api.add_router(f"/{config.label}/", router)


mount_app_routers()
