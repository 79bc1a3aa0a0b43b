"""Email verification over the Reacher `check_email` contract, as a neutral verdict."""

from dataclasses import dataclass
from dataclasses import field

from flask import current_app

from prospecting.providers import answer_dict
from prospecting.providers import http
from prospecting.providers.errors import ProviderAuthError
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

    def to_dict(self) -> dict:
        return answer_dict(self)


# Reacher's cloud API takes the key in `Authorization`; a self-hosted backend with
# RCH_HEADER_SECRET set wants it in `x-reacher-secret` and answers a plain-text 400
# ('Missing request header "x-reacher-secret"') without it (backend/src/check.rs,
# https://github.com/reacherhq/check-if-email-exists).
SECRET_HEADER = "x-reacher-secret"


def request_for(email: str) -> dict:
    """The JSON body of one check (contracts/reacher/check_email.request.json)."""
    return {"to_email": email}


def auth_headers() -> dict:
    """The key in the header the configured Reacher expects."""
    cfg = current_app.config
    return {cfg["EMAIL_VERIFIER_AUTH_HEADER"]: cfg["EMAIL_VERIFIER_KEY"]}


def verify(email: str) -> EmailVerdict:
    """Ask the verifier about one (already normalised) address."""
    cfg = current_app.config
    response = http.request(
        PROVIDER,
        "POST",
        f"{cfg['EMAIL_VERIFIER_URL']}/v1/check_email",
        endpoint=ENDPOINT,
        label=LABEL,
        json=request_for(email),
        headers=auth_headers(),
        billable=True,  # priced per check; no idempotency key
    )
    if response.status_code >= 400:
        raise _refusal(response)
    return parse(email, http.json_body(response, LABEL))


def _refusal(response) -> Exception:
    """A 4xx answer as an error: a missing or wrong secret (a plain-text 400 that
    names the header) is refused credentials; the rest quote the body."""
    text = (response.text or "").strip()[:300]
    if response.status_code == 400 and SECRET_HEADER in text.lower():
        header = current_app.config["EMAIL_VERIFIER_AUTH_HEADER"]
        return ProviderAuthError(
            f"{LABEL} refused the credentials ({text}): check EMAIL_VERIFIER_KEY "
            f"and EMAIL_VERIFIER_AUTH_HEADER (now {header!r}; a self-hosted Reacher "
            f"wants {SECRET_HEADER!r}).",
            status=400,
        )
    detail = f": {text}" if text else ""
    return ProviderBadResponse(
        f"{LABEL} refused the request (HTTP {response.status_code}){detail}.",
        status=response.status_code,
    )


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
