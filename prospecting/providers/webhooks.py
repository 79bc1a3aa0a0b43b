"""POST an event to a receiver's URL (a workspace's webhook endpoint).

The URL is the user's, so the call goes through netguard: the host is resolved and
checked, the socket opens to the checked address, and a redirect is an answer, not
a hop to follow. No retries here: the delivery job decides when to try again.
"""

import time
from dataclasses import dataclass

import requests

from prospecting.providers import netguard
from prospecting.providers.errors import ProviderError

TIMEOUT = (3.05, 10)  # connect, read: a receiver should answer at once


@dataclass(frozen=True)
class Answer:
    status_code: int | None  # None: no HTTP answer at all
    error: str | None  # why it is not a success, for the deliveries page
    duration_ms: int

    @property
    def ok(self) -> bool:
        return self.status_code is not None and 200 <= self.status_code < 300


def check_url(url: str) -> None:
    """Refuse (netguard.AddressRefused) a URL we would not call."""
    netguard.check_url(url, label="The webhook URL")


def post(url: str, body: str, headers: dict[str, str]) -> Answer:
    started = time.monotonic()

    def answer(status: int | None, error: str | None) -> Answer:
        ms = int((time.monotonic() - started) * 1000)
        return Answer(status, error[:500] if error else None, ms)

    try:
        target = netguard.check_url(url, label="The webhook URL")
        with netguard.session_for(target) as pinned:
            response = pinned.post(
                url,
                data=body.encode(),
                headers={"Content-Type": "application/json", **headers},
                timeout=TIMEOUT,
            )
    except ProviderError as exc:
        return answer(None, exc.message)
    except requests.Timeout:
        return answer(None, "The receiver did not answer in time.")
    except requests.RequestException as exc:
        return answer(None, f"Could not connect: {type(exc).__name__}.")
    if 200 <= response.status_code < 300:
        return answer(response.status_code, None)
    if 300 <= response.status_code < 400:
        return answer(response.status_code, "A redirect is not followed.")
    return answer(response.status_code, f"HTTP {response.status_code}")
