"""Email verification over the Reacher `check_email` contract, as a neutral verdict."""

from dataclasses import dataclass
from dataclasses import field

from flask import current_app

from prospecting.providers import http
from prospecting.providers.errors import ProviderBadResponse

PROVIDER = "emails"
ENDPOINT = "check_email"
LABEL = "The email verifier"
VERDICTS = ("valid", "invalid", "risky", "unknown")


@dataclass
class EmailVerdict:
    email: str
    verdict: str  # valid | invalid | risky | unknown
    flags: list[str] = field(
        default_factory=list
    )  # role, disposable, free_provider, catch_all, full_inbox
    raw_status: str = ""
    provider: str = "reacher"

    @property
    def is_valid(self) -> bool:
        return self.verdict == "valid"


def verify(email: str) -> EmailVerdict:
    """Ask the verifier about one (already normalised) address."""
    cfg = current_app.config
    response = http.request(
        PROVIDER,
        "POST",
        f"{cfg['EMAIL_VERIFIER_URL']}/v1/check_email",
        endpoint=ENDPOINT,
        label=LABEL,
        json={"to_email": email},
        headers={"Authorization": cfg["EMAIL_VERIFIER_KEY"]},
    )
    if response.status_code >= 400:
        raise ProviderBadResponse(
            f"{LABEL} refused the request (HTTP {response.status_code}).",
            status=response.status_code,
        )
    return parse(email, http.json_body(response, LABEL))


def parse(email: str, body) -> EmailVerdict:
    """Map a Reacher response to the neutral verdict and flags (providers.md §5)."""
    if not isinstance(body, dict) or body.get("is_reachable") not in (
        "safe",
        "risky",
        "invalid",
        "unknown",
    ):
        raise ProviderBadResponse(f"{LABEL} sent an answer without a verdict.")
    misc = body.get("misc") or {}
    smtp = body.get("smtp") or {}
    flags = [
        name
        for name, on in (
            ("role", misc.get("is_role_account")),
            ("disposable", misc.get("is_disposable")),
            ("free_provider", misc.get("is_b2c")),
            ("catch_all", smtp.get("is_catch_all")),
            ("full_inbox", smtp.get("has_full_inbox")),
        )
        if on
    ]
    status = body["is_reachable"]
    verdict = {"safe": "valid"}.get(status, status)
    return EmailVerdict(email=email, verdict=verdict, flags=flags, raw_status=status)
