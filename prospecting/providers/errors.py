"""The small set of errors every provider client raises."""


class ProviderError(Exception):
    """Base of provider errors; the message is safe to show to the user."""

    def __init__(self, message: str, *, status: int | None = None):
        super().__init__(message)
        self.message = message
        self.status = status


class ProviderAuthError(ProviderError):
    """Credentials refused: fail the job with a clear message."""


class ProviderRateLimited(ProviderError):
    """Too many requests: retry after `retry_after` s, without blocking a worker."""

    def __init__(self, message: str, *, retry_after: float, status: int | None = 429):
        super().__init__(message, status=status)
        self.retry_after = retry_after


class ProviderQuotaExhausted(ProviderRateLimited):
    """A long quota window (an hour, a day) is used up: the job pauses with the
    reason and the time it can resume (`resume_at`, aware UTC) instead of retrying."""

    def __init__(self, message: str, *, resume_at, status: int | None = 429):
        from datetime import UTC
        from datetime import datetime

        wait = max(0.0, (resume_at - datetime.now(UTC)).total_seconds())
        super().__init__(message, retry_after=wait, status=status)
        self.resume_at = resume_at


class ProviderUnavailable(ProviderError):
    """Transient failure (5xx, timeout, connection) that outlasted the retries."""


class ProviderOutcomeUnknown(ProviderError):
    """A billable request may have reached the provider but no answer came back
    (a read timeout, a dropped connection, a 5xx): it may have been charged.

    Never retried automatically: the item is marked "outcome unknown" with this
    reason and the user decides whether to send it again (and maybe pay again).
    """


class ProviderNotConfigured(ProviderError):
    """The provider has no usable settings (e.g. production still points at the
    sandbox): jobs that need it fail at once with this message."""


class ProviderNotFound(ProviderError):
    """The provider has no data for this input."""


class ProviderBadResponse(ProviderError):
    """The provider answered with something we cannot read."""


class ProviderCostCapReached(ProviderError):
    """Sending would pass a cost cap (the job's or the workspace's daily): pause."""

    def __init__(self, message: str, *, scope: str, cap, spent):
        super().__init__(message, status=None)
        self.scope = scope  # "job" or "daily"
        self.cap = cap
        self.spent = spent
