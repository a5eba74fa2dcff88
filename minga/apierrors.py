"""The error an API endpoint raises to answer 4xx naming the field at fault. Kept apart from
minga.api, which imports every app's api module when it is imported: an app's api module that
imported minga.api for this class could, imported first, be mounted half-built."""

from ninja.errors import HttpError


class FieldError(HttpError):
    """A 4xx answer that names the field at fault."""

    def __init__(self, status_code: int, message: str, field: str = "") -> None:
        super().__init__(status_code, message)
        self.field = field
