"""The waterfall: ask a field's providers in the workspace's order and stop at
the first answer.

A provider's answer counts when it is one: a verdict other than "unknown", a
company, a found address. Not found, "unknown", or a failure that outlasted the
retries (unavailable, unreadable) sends the row to the next provider. A rate
limit, refused credentials or a cost cap stop the batch instead (the engine's
policy decides); the answers already paid for are cached, so the row resumes
without paying them again.

Every call goes through the metering like any other (price, cap, call log), and
every answer is cached per provider. Each answer records who gave it, when, what
it cost, the raw answer, and which providers were asked before.
"""

from collections.abc import Callable
from dataclasses import dataclass
from dataclasses import field
from decimal import Decimal

from prospecting import metering
from prospecting.models.base import utcnow
from prospecting.providers import adapters
from prospecting.providers.companies import CompanyData
from prospecting.providers.emails import EmailVerdict
from prospecting.providers.errors import ProviderAuthError
from prospecting.providers.errors import ProviderCostCapReached
from prospecting.providers.errors import ProviderError
from prospecting.providers.errors import ProviderNotConfigured
from prospecting.providers.errors import ProviderNotFound
from prospecting.providers.errors import ProviderQuotaExhausted
from prospecting.providers.errors import ProviderRateLimited
from prospecting.services import cache

# Errors that stop the batch rather than move on to the next provider.
# Errors that stop the row's job rather than move on to the next provider: the
# runner's Policy meets them (wait, fail, pause).
PASS_THROUGH = (
    ProviderRateLimited,
    ProviderAuthError,
    ProviderCostCapReached,
    ProviderNotConfigured,
    ProviderQuotaExhausted,
)
ZERO = metering.ZERO
# Without an order, a field asks its first provider alone (settings.provider_order).
DEFAULT = {f: (lambda f=f: adapters.names(f)[:1]) for f in adapters.FIELDS}


@dataclass
class Answer:
    """What a field's waterfall gave: the value (None when nobody knew), who gave
    it, what it cost, and what each provider asked answered."""

    value: object = None
    provider: str | None = None
    cost: Decimal = ZERO  # the answering call's cost (0 when cached)
    raw: dict | None = None
    tried: list[dict] = field(default_factory=list)
    at: str = ""
    error: str | None = None  # the last failure, when every provider failed

    @property
    def total_cost(self) -> Decimal:
        return sum((metering.decimal(t["cost"]) for t in self.tried), ZERO)

    def provenance(self) -> dict:
        return {
            "provider": self.provider,
            "at": self.at,
            "cost": str(self.cost),
            "raw": self.raw,
            "tried": self.tried,
        }


def _ask(
    adapter: adapters.Adapter,
    key: str,
    call: Callable[[], object],
    load: Callable[[dict], object],
    dump: Callable[[object], dict],
    fresh: bool = False,
):
    """(value or None, outcome, cost) from the cache or one call; None = a miss.
    `fresh` asks the provider even when the cache holds an answer."""
    hit = cache.MISSING if fresh else cache.get(adapter.provider, key)
    if hit is not cache.MISSING:
        metering.record_cache_hit(adapter.provider, adapter.endpoint)
        if hit is None:
            return None, "not_found (cached)", ZERO
        return load(hit), "cached", ZERO
    price = metering.price(adapter.provider, adapter.endpoint)
    try:
        value = call()
    except ProviderNotFound as exc:
        cache.put(adapter.provider, key, None)
        # A miss read from a 200 answer was charged; a 404 was not.
        return None, "not_found", price if exc.status in (None, 200) else ZERO
    cache.put(adapter.provider, key, dump(value))
    return value, "answered", price


class Order(list):
    """A field's order (provider names) with the adapters it asks resolved once:
    a batch asks the same waterfall for each of its rows."""

    chosen: tuple[adapters.Adapter, ...] = ()


def resolved(field_name: str, order: list[str] | None) -> Order:
    """The order with its adapters resolved now (the configured ones, in order;
    the default when no order is given), for asking many times."""
    resolved_order = Order(order or ())
    resolved_order.chosen = tuple(_chosen(field_name, order))
    return resolved_order


def _chosen(field_name: str, order) -> list[adapters.Adapter] | tuple:
    if isinstance(order, Order):
        return order.chosen
    return adapters.ordered(field_name, order or DEFAULT[field_name]())


def _run(
    field_name: str, order, key: str, args: tuple, load, dump, counts, fresh=False
) -> Answer:
    answer = Answer()
    for adapter in _chosen(field_name, order):
        try:
            value, outcome, cost = _ask(
                adapter, key, lambda a=adapter: a.call(*args), load, dump, fresh
            )
        except ProviderError as exc:
            if isinstance(exc, PASS_THROUGH):
                raise
            answer.tried.append(
                {"provider": adapter.name, "outcome": "failed", "cost": "0"}
            )
            answer.error = exc.message
            continue
        if value is not None and not counts(value):
            outcome = "unknown"
        answer.tried.append(
            {"provider": adapter.name, "outcome": outcome, "cost": str(cost)}
        )
        if outcome in ("answered", "cached"):
            answer.value, answer.provider, answer.cost = value, adapter.name, cost
            answer.raw = dump(value)
            answer.error = None
            break
        if value is not None:
            answer.value, answer.raw = value, dump(value)  # keep the best so far
    answer.at = utcnow().isoformat() + "Z"
    return answer


def verify(email: str, order: list[str] | None = None, *, fresh=False) -> Answer:
    """The first verdict other than "unknown" on a normalised address."""
    return _run(
        "email_verification",
        order,
        email.lower(),
        (email,),
        _load_verdict,
        _dump_answer,
        _verdict_counts,
        fresh,
    )


def company(domain: str, order: list[str] | None = None) -> Answer:
    """The first provider's company for a domain (value None when none knows)."""
    return _run(
        "company",
        order,
        domain.lower(),
        (domain,),
        _load_company,
        _dump_answer,
        _any_company_counts,
    )


def _load_verdict(hit: dict) -> EmailVerdict:
    return EmailVerdict(**hit)


def _load_company(hit: dict) -> CompanyData:
    return CompanyData(**hit)


def _dump_answer(answer) -> dict:
    return answer.to_dict()


def _verdict_counts(verdict: EmailVerdict) -> bool:
    return verdict.verdict != "unknown"


def _any_company_counts(company: CompanyData) -> bool:
    return True


def company_by_name(name: str, order: list[str] | None = None) -> Answer:
    """The first company matched to a name by a provider that matches names."""
    answer = Answer()
    for adapter in adapters.ordered("company", order or adapters.names("company")):
        if adapter.by_name is None:
            continue
        named = adapters.Adapter(
            adapter.name,
            "company",
            adapter.label,
            adapter.provider,
            adapter.endpoint,
            adapter.by_name,
        )
        single = _ask_one(named, f"name:{name.strip().lower()}", name)
        answer.tried.extend(single.tried)
        if single.value is not None:
            single.tried = answer.tried
            return single
    answer.at = utcnow().isoformat() + "Z"
    return answer


def _ask_one(adapter: adapters.Adapter, key: str, arg) -> Answer:
    answer = Answer(at=utcnow().isoformat() + "Z")
    try:
        value, outcome, cost = _ask(
            adapter,
            key,
            lambda: adapter.call(arg),
            lambda hit: CompanyData(**hit),
            lambda c: c.to_dict(),
        )
    except ProviderError as exc:
        if isinstance(exc, PASS_THROUGH):
            raise
        answer.tried.append(
            {"provider": adapter.name, "outcome": "failed", "cost": "0"}
        )
        answer.error = exc.message
        return answer
    answer.tried.append(
        {"provider": adapter.name, "outcome": outcome, "cost": str(cost)}
    )
    if value is not None:
        answer.value, answer.provider, answer.cost = value, adapter.name, cost
        answer.raw = value.to_dict()
    return answer


def providers(field_name: str, order: list[str] | None) -> list[str]:
    """The metering keys of the providers a field's waterfall may ask, in order
    (each once): whose cache entries a batch reads ahead."""
    chosen = _chosen(field_name, order)
    return list(dict.fromkeys(adapter.provider for adapter in chosen))


def expected_calls(field_name: str, order: list[str] | None, rows: int) -> list:
    """(adapter, expected calls) per provider when `rows` go down the waterfall:
    each next provider gets the share the previous ones are expected to miss
    (WATERFALL_MISS_RATES, per provider and field)."""
    from flask import current_app

    rates = current_app.config.get("WATERFALL_MISS_RATES", {})
    out, reaching = [], float(rows)
    for adapter in adapters.ordered(field_name, order):
        out.append((adapter, reaching))
        miss = rates.get(f"{field_name}:{adapter.name}", rates.get(field_name, 0.1))
        reaching *= float(miss)
    return out
