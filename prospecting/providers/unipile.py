"""Unipile v1 LinkedIn search (providers.md §2): cursor-paged people search and ids."""

import re
import time
from collections.abc import Callable
from dataclasses import dataclass
from dataclasses import field
from urllib.parse import quote

from prospecting.providers import http
from prospecting.providers import netguard
from prospecting.providers.errors import ProviderAuthError
from prospecting.providers.errors import ProviderBadResponse
from prospecting.providers.errors import ProviderNotFound
from prospecting.providers.errors import ProviderRateLimited
from prospecting.providers.errors import ProviderUnavailable

PROVIDER = "unipile"
LABEL = "Unipile"
APIS = ("classic", "sales_navigator", "recruiter")
# connection_params.im.premiumFeatures of a LinkedIn account (GET /accounts/{id}).
PREMIUM_FEATURES = ("recruiter", "sales_navigator", "premium")
SERVICES = {
    "classic": "CLASSIC",
    "sales_navigator": "SALES_NAVIGATOR",
    "recruiter": "RECRUITER",
}


@dataclass
class Credentials:
    base_url: str
    api_key: str
    account_id: str


@dataclass
class Person:
    provider_id: str
    name: str
    title: str | None = None
    company: str | None = None
    location: str | None = None
    connection_degree: int | None = None
    linkedin_url: str | None = None
    raw: dict = field(default_factory=dict)


@dataclass
class SearchPage:
    people: list[Person]
    cursor: str | None
    total_count: int | None
    start: int = 0
    answered_at: float | None = None  # when its answer came (search's clock)


@dataclass
class Parameter:
    id: str
    title: str


def base_url(dsn: str) -> str:
    """The API root of a DSN (`api8.unipile.com:13811` or a URL), without /api/v1."""
    value = dsn.strip().rstrip("/")
    if "://" not in value:
        value = f"https://{value}"
    return value.removesuffix("/api/v1")


def search(
    creds: Credentials,
    *,
    limit: int,
    params: dict | None = None,
    cursor: str | None = None,
    clock: Callable[[], float] = time.time,
) -> SearchPage:
    """One page of a people search: page one from `params`, later ones by `cursor`;
    `answered_at` is `clock()` when the answer's headers came (before the body is
    read, the call logged and the people parsed)."""
    body = {"cursor": cursor} if cursor else params
    answered = []
    response = _call(
        creds,
        "POST",
        "/api/v1/linkedin/search",
        endpoint="linkedin/search",
        params={"account_id": creds.account_id, "limit": limit},
        json=body,
        hooks={"response": lambda *_, **__: answered.append(clock())},
    )
    page = parse_page(http.json_body(response, LABEL))
    page.answered_at = answered[-1] if answered else clock()
    return page


def parameters(
    creds: Credentials,
    *,
    type: str = "LOCATION",
    keywords: str = "",
    api: str = "classic",
    limit: int = 10,
) -> list[Parameter]:
    """Ids and titles of search parameters (locations, industries…) for keywords."""
    query = {
        "account_id": creds.account_id,
        "type": type,
        "keywords": keywords,
        "limit": limit,
        "service": SERVICES.get(api, "CLASSIC"),
    }
    response = _call(
        creds,
        "GET",
        "/api/v1/linkedin/search/parameters",
        endpoint="linkedin/search/parameters",
        params=query,
    )
    body = http.json_body(response, LABEL)
    items = body.get("items") if isinstance(body, dict) else None
    if not isinstance(items, list):
        raise ProviderBadResponse(f"{LABEL} sent parameters without an items list.")
    return [
        Parameter(id=str(i["id"]), title=str(i.get("title") or i["id"]))
        for i in items
        if isinstance(i, dict) and i.get("id") is not None
    ]


def premium_features(creds: Credentials) -> list[str]:
    """The LinkedIn products the account has (`sales_navigator`, `recruiter`,
    `premium`), from `connection_params.im.premiumFeatures` of GET /accounts/{id}."""
    response = _call(
        creds,
        "GET",
        f"/api/v1/accounts/{quote(creds.account_id, safe='')}",
        endpoint="accounts",
    )
    body = http.json_body(response, LABEL)
    params = body.get("connection_params") if isinstance(body, dict) else None
    im = params.get("im") if isinstance(params, dict) else None
    if not isinstance(im, dict):
        raise ProviderBadResponse(
            f"{LABEL} sent an account without connection_params.im."
        )
    features = im.get("premiumFeatures") or []
    if not isinstance(features, list):
        raise ProviderBadResponse(f"{LABEL} sent premiumFeatures that is not a list.")
    return [f for f in PREMIUM_FEATURES if f in features]


def _call(creds: Credentials, method: str, path: str, *, endpoint: str, **kwargs):
    # The DSN is the user's: every call checks where it points now and connects
    # to that checked address only, never following a redirect with the key.
    url = f"{base_url(creds.base_url)}{path}"
    target = netguard.check_url(url, label="The Unipile DSN")
    retries = http.session().get_adapter(url).max_retries
    headers = {"X-API-KEY": creds.api_key, "accept": "application/json"}
    try:
        with netguard.session_for(target, max_retries=retries) as pinned:
            response = http.request(
                PROVIDER,
                method,
                url,
                endpoint=endpoint,
                label=LABEL,
                headers=headers,
                via=pinned,
                **kwargs,
            )
    except ProviderAuthError as exc:
        raise ProviderAuthError(_auth_message(exc.status), status=exc.status) from exc
    except ProviderRateLimited as exc:
        raise ProviderRateLimited(
            "Unipile API error: 429 (the provider cannot accept more requests now).",
            retry_after=exc.retry_after,
        ) from exc
    except ProviderUnavailable as exc:
        status = f"{exc.status}" if exc.status else "unreachable"
        raise ProviderUnavailable(
            f"Unipile API error: {status} ({exc.message})", status=exc.status
        ) from exc
    netguard.refuse_redirect(response, "The Unipile DSN")
    if response.status_code >= 400:
        raise _client_error(response)
    return response


def _auth_message(status: int | None) -> str:
    if status == 401:
        return (
            "Unipile API error: 401: the LinkedIn account is disconnected or its "
            "credentials were refused; reconnect it in the LinkedIn account settings."
        )
    return (
        f"Unipile API error: {status}: the LinkedIn account may not use this search "
        "(restricted account or missing subscription)."
    )


def _client_error(response):
    try:
        body = response.json()
    except ValueError:
        body = {}
    body = body if isinstance(body, dict) else {}
    kind = body.get("type") or ""
    detail = body.get("detail") or body.get("title") or ""
    status = response.status_code
    text = f"Unipile API error: {status}" + (f" ({kind})" if kind else "")
    text += f": {detail}" if detail else ""
    if status == 404:
        return ProviderNotFound(text, status=status)
    return ProviderBadResponse(text, status=status)


def parse_page(body) -> SearchPage:
    """A search response (items, paging, top-level cursor) as people and a cursor."""
    if not isinstance(body, dict) or not isinstance(body.get("items"), list):
        raise ProviderBadResponse(f"{LABEL} sent a search answer without items.")
    paging = body.get("paging") if isinstance(body.get("paging"), dict) else {}
    total = paging.get("total_count")
    cursor = body.get("cursor")
    return SearchPage(
        people=[p for p in (parse_person(i) for i in body["items"]) if p],
        cursor=cursor if isinstance(cursor, str) and cursor else None,
        total_count=total if isinstance(total, int) else None,
        start=paging.get("start") if isinstance(paging.get("start"), int) else 0,
    )


def parse_person(item) -> Person | None:
    """One people item; title and company from the current position or headline."""
    if not isinstance(item, dict) or not item.get("id"):
        return None
    name = item.get("name") or " ".join(
        p for p in (item.get("first_name"), item.get("last_name")) if p
    )
    title, company = _position(item)
    url = item.get("public_profile_url") or item.get("profile_url")
    if not url and item.get("public_identifier"):
        url = f"https://www.linkedin.com/in/{item['public_identifier']}"
    return Person(
        provider_id=str(item["id"])[:120],
        name=(name or "")[:255],
        title=title and title[:255],
        company=company and company[:255],
        location=(item.get("location") or None) and str(item["location"])[:255],
        connection_degree=connection_degree(item.get("network_distance")),
        linkedin_url=url and str(url)[:500],
        raw=item,
    )


def _position(item: dict) -> tuple[str | None, str | None]:
    positions = item.get("current_positions")
    if isinstance(positions, list) and positions and isinstance(positions[0], dict):
        return positions[0].get("role"), positions[0].get("company")
    headline = item.get("headline") or ""
    if " at " in headline:
        role, company = headline.split(" at ", 1)
        return role.strip() or None, company.strip() or None
    return (headline.strip() or None), None


def connection_degree(distance) -> int | None:
    """1, 2 or 3 from `DISTANCE_2` (or `SECOND_DEGREE`); None when out of network."""
    if not isinstance(distance, str):
        return None
    match = re.search(r"(\d)", distance)
    if match:
        return int(match.group(1))
    words = {"FIRST": 1, "SECOND": 2, "THIRD": 3}
    return next((n for w, n in words.items() if distance.upper().startswith(w)), None)
