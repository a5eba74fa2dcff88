"""Every API answer is JSON, errors included: django-ninja answers a wrong HTTP method with a
plain-text 405, which this turns into {"message", "field"} like every other API error."""

from collections.abc import Callable

from django.http import HttpRequest, HttpResponse, HttpResponseBadRequest, JsonResponse
from django.utils.translation import gettext as _


class ApiMethodNotAllowedAsJson:
    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        response = self.get_response(request)
        if (
            response.status_code == 405
            and request.path.startswith("/api/")
            and not response.get("Content-Type", "").startswith("application/json")
        ):
            allowed = response.get("Allow", "")
            json = JsonResponse(
                {
                    "message": f"method {request.method} not allowed here; allowed: {allowed}",
                    "field": "method",
                },
                status=405,
            )
            json["Allow"] = allowed
            return json
        return response


class RefuseNullCharacters:
    """PostgreSQL cannot store or compare text holding a NUL character (U+0000), so a query
    parameter, form field or JSON string holding one would end in a server error there (and
    in nothing useful on SQLite). Refused before any view: 400, naming the field; as JSON under
    /api/."""

    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        field = _null_field(request)
        if field is None:
            return self.get_response(request)
        message = _("%(field)s: no se admiten caracteres nulos (U+0000).") % {"field": field}
        if request.path.startswith("/api/"):
            return JsonResponse({"message": message, "field": field}, status=400)
        return HttpResponseBadRequest(message, content_type="text/plain; charset=utf-8")


def _null_field(request: HttpRequest) -> str | None:
    """The first place holding a NUL character: the path, a query or form parameter (its
    name), or `body` for a JSON body; None if there is none."""
    if "\x00" in request.path:
        return "path"
    for params in (request.GET, request.POST):
        for key, values in params.lists():
            if "\x00" in key or any("\x00" in v for v in values):
                return key.replace("\x00", "")
    if request.content_type == "application/json" and b"\\u0000" in request.body.lower():
        return "body"
    return None
