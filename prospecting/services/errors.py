"""Domain errors raised by services and turned into 404 / 422 / flash by views."""


class ServiceError(Exception):
    """Base of every domain error; its message is safe to show to the user."""

    status_code = 422

    def __init__(self, message: str, *, code: str = "invalid", details=None):
        super().__init__(message)
        self.message = message
        self.code = code
        self.details = details


class NotFound(ServiceError):
    status_code = 404


class Conflict(ServiceError):
    status_code = 409


class InvalidInput(ServiceError):
    status_code = 422


class TooLarge(InvalidInput):
    """Input over a size limit (bytes, rows): 413."""

    status_code = 413
