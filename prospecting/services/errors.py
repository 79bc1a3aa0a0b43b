"""Domain errors raised by services and turned into 404 / 422 / flash by views."""


class ServiceError(Exception):
    """Base of every domain error; its message is safe to show to the user."""

    status_code = 422
    # The error code the JSON API answers when the raiser names none.
    default_code = "invalid"

    def __init__(self, message: str, *, code: str | None = None, details=None):
        super().__init__(message)
        self.message = message
        self.code = code or self.default_code
        self.details = details


class NotFound(ServiceError):
    status_code = 404
    default_code = "not_found"


class Conflict(ServiceError):
    status_code = 409
    default_code = "conflict"


class InvalidInput(ServiceError):
    status_code = 422


class TooLarge(InvalidInput):
    """Input over a size limit (bytes, rows): 413."""

    status_code = 413
    default_code = "too_large"
