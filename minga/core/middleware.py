"""Every API answer is JSON, errors included: django-ninja answers a wrong HTTP method with a
plain-text 405, which this turns into {"message", "field"} like every other API error."""

from collections.abc import Callable

from django.http import HttpRequest, HttpResponse, JsonResponse


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
