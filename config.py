"""Configuration classes; every value comes from the environment."""

import json
import os
from datetime import timedelta
from pathlib import Path

BASE_DIR = Path(__file__).resolve().parent
INSTANCE_DIR = Path(os.environ.get("INSTANCE_DIR", BASE_DIR / "instance"))


def _env_int(name: str, default: int) -> int:
    return int(os.environ.get(name, default))


def _env_float(name: str, default: float) -> float:
    return float(os.environ.get(name, default))


def _env_bool(name: str, default: bool) -> bool:
    return os.environ.get(name, str(default)).lower() in ("1", "true", "yes", "on")


def _env_first(*names: str, default: str) -> str:
    """The first of several environment names that is set (aliases: the names the
    replaced systems used keep working), else the default."""
    for name in names:
        value = os.environ.get(name)
        if value:
            return value
    return default


def _env_json(name: str, default):
    raw = os.environ.get(name)
    return json.loads(raw) if raw else default


# The public development key: anyone can sign sessions with it; production refuses it.
DEV_SECRET_KEY = "dev-only-secret-change-me"
MIN_SECRET_KEY_LENGTH = 32


class ConfigError(RuntimeError):
    """A setting the app refuses to start with; the message names the setting."""


def _sandbox_url() -> str:
    host = os.environ.get("HOST", "127.0.0.1")
    port = os.environ.get("PORT", "5000")
    return os.environ.get("SANDBOX_URL", f"http://{host}:{port}/sandbox")


class Config:
    PRODUCTION = False
    SECRET_KEY = os.environ.get("SECRET_KEY", DEV_SECRET_KEY)
    # Earlier keys, newest first (a JSON list): sessions and stored secrets made
    # under them stay valid while SECRET_KEY is rotated (README: Key rotation).
    SECRET_KEY_FALLBACKS = _env_json("SECRET_KEY_FALLBACKS", [])
    SQLALCHEMY_DATABASE_URI = os.environ.get(
        "DATABASE_URL", f"sqlite:///{INSTANCE_DIR / 'prospecting.db'}"
    )
    # No pool_pre_ping: prospecting/connections.py checks a PostgreSQL connection
    # on checkout without a round trip (it pings only one the server has closed).
    SQLALCHEMY_ENGINE_OPTIONS: dict = {}
    REDIS_URL = os.environ.get("REDIS_URL")
    # The queue: Redis when REDIS_URL is set, else a SQLite file beside the database.
    HUEY_STORAGE = os.environ.get("HUEY_STORAGE", "redis" if REDIS_URL else "sqlite")
    HUEY_SQLITE_PATH = os.environ.get("HUEY_SQLITE_PATH", str(INSTANCE_DIR / "huey.db"))
    HUEY_IMMEDIATE = _env_bool("HUEY_IMMEDIATE", False)
    RATELIMIT_STORAGE_URL = os.environ.get(
        "RATELIMIT_STORAGE_URL", REDIS_URL or "memory://"
    )

    SESSION_COOKIE_HTTPONLY = True
    SESSION_COOKIE_SAMESITE = "Lax"
    REMEMBER_COOKIE_HTTPONLY = True
    REMEMBER_COOKIE_SAMESITE = "Lax"
    REMEMBER_COOKIE_DURATION = timedelta(days=_env_int("REMEMBER_COOKIE_DAYS", 30))
    WTF_CSRF_TIME_LIMIT = None  # pages poll for hours; the token must not expire
    LOGIN_RATE_LIMIT = os.environ.get("LOGIN_RATE_LIMIT", "10/minute")
    # Reverse proxies in front of the app whose X-Forwarded-For and -Proto are
    # trusted (werkzeug's ProxyFix); 0 = none, the client address is the peer's.
    TRUSTED_PROXIES = _env_int("TRUSTED_PROXIES", 0)
    # JSON request bodies nested deeper than this are refused with a 400.
    JSON_MAX_DEPTH = _env_int("JSON_MAX_DEPTH", 64)

    UPLOAD_DIR = os.environ.get("UPLOAD_DIR", str(INSTANCE_DIR / "uploads"))
    MAX_UPLOAD_MB = _env_int("MAX_UPLOAD_MB", 50)
    MAX_CONTENT_LENGTH = MAX_UPLOAD_MB * 1024 * 1024
    MAX_UPLOAD_ROWS = _env_int("MAX_UPLOAD_ROWS", 1_000_000)
    MAX_UPLOAD_COLUMNS = _env_int("MAX_UPLOAD_COLUMNS", 500)
    ENRICHMENT_BATCH_SIZE = _env_int("ENRICHMENT_BATCH_SIZE", 20)
    # A large file's batches grow up to this many rows, so that there are about
    # ENRICHMENT_BATCHES_TARGET of them: each batch costs a claim, a few reads
    # and a completion whatever its size (a cached re-run is that cost alone),
    # while a small file keeps enough batches for every worker thread.
    ENRICHMENT_BATCH_SIZE_MAX = _env_int("ENRICHMENT_BATCH_SIZE_MAX", 250)
    ENRICHMENT_BATCHES_TARGET = _env_int("ENRICHMENT_BATCHES_TARGET", 64)
    # Rows an import commits at a time (with their batches): a killed planner
    # resumes after the last commit; workers start on each commit's batches.
    INGEST_CHUNK_ROWS = _env_int("INGEST_CHUNK_ROWS", 50_000)
    DEFAULT_PHONE_REGION = os.environ.get("DEFAULT_PHONE_REGION", "US")
    RESULTS_PER_PAGE = _env_int("RESULTS_PER_PAGE", 50)

    BATCH_LEASE_SECONDS = _env_int("BATCH_LEASE_SECONDS", 300)
    BATCH_PENDING_TOO_LONG_SECONDS = _env_int("BATCH_PENDING_TOO_LONG_SECONDS", 120)
    BATCH_MAX_ATTEMPTS = _env_int("BATCH_MAX_ATTEMPTS", 5)
    # While a batch works its items: how often it asks whether its job was
    # cancelled or paused, and how often it writes the items it has worked (with
    # their call log and cache entries, in one transaction, extending its lease).
    BATCH_CHECK_SECONDS = _env_float("BATCH_CHECK_SECONDS", 1.0)
    BATCH_WRITE_SECONDS = _env_float("BATCH_WRITE_SECONDS", 1.0)
    # A batch that would run this much longer while no other batch of its job
    # waits gives part of its items to new batches, so that worker threads that
    # free up share a job's last batches instead of watching one thread finish
    # them (a batch splits into pieces of at least ENRICHMENT_SPLIT_MIN_ROWS rows;
    # 0 turns splitting off).
    BATCH_SPLIT_SECONDS = _env_float("BATCH_SPLIT_SECONDS", 0.5)
    ENRICHMENT_SPLIT_MIN_ROWS = _env_int("ENRICHMENT_SPLIT_MIN_ROWS", 5)
    # A batch whose worker has not heartbeaten for this long is taken over at once.
    BATCH_OWNER_GONE_SECONDS = _env_float("BATCH_OWNER_GONE_SECONDS", 15.0)
    PROGRESS_POLL_SECONDS = _env_int("PROGRESS_POLL_SECONDS", 1)

    SANDBOX_ENABLED = _env_bool("SANDBOX_ENABLED", True)
    SANDBOX_URL = _sandbox_url()
    # Base URLs that users supply (the Unipile DSN) may point at loopback and
    # private addresses, over plain http: only for the development sandbox and
    # local stand-ins. ProdConfig never allows it (providers/netguard.py).
    ALLOW_PRIVATE_PROVIDER_URLS = _env_bool(
        "ALLOW_PRIVATE_PROVIDER_URLS", SANDBOX_ENABLED
    )
    # Latency in ms, rate limit in requests per second per provider (0 = none), and
    # fault rates between 0 and 1; tests override them per request.
    SANDBOX = _env_json(
        "SANDBOX",
        {
            "latency_ms": 20,
            "rate_limit": 0,
            "retry_after": 1,
            "error_rate": 0.0,
            "rate_limit_rate": 0.0,
            "timeout_rate": 0.0,
            "malformed_rate": 0.0,
            "timeout_seconds": 15,
        },
    )

    EMAIL_VERIFIER_URL = os.environ.get("EMAIL_VERIFIER_URL", f"{SANDBOX_URL}/reacher")
    EMAIL_VERIFIER_KEY = os.environ.get("EMAIL_VERIFIER_KEY", "sandbox-key")
    # Reacher's cloud API: "Authorization"; a self-hosted backend: "x-reacher-secret"
    EMAIL_VERIFIER_AUTH_HEADER = os.environ.get(
        "EMAIL_VERIFIER_AUTH_HEADER", "Authorization"
    )
    COMPANY_ENRICHER_URL = os.environ.get(
        "COMPANY_ENRICHER_URL", f"{SANDBOX_URL}/apollo"
    )
    COMPANY_ENRICHER_KEY = os.environ.get("COMPANY_ENRICHER_KEY", "sandbox-key")
    # Apollo limits per minute, hour and day by plan (docs.apollo.io/reference/
    # rate-limits); the shared limiter paces at this many enrichments a minute.
    COMPANY_ENRICHER_PER_MINUTE = _env_int("COMPANY_ENRICHER_PER_MINUTE", 100)
    # Second providers per field (email finding/verification, company): Hunter
    # (https://hunter.io/api-documentation/v2) and People Data Labs
    # (https://docs.peopledatalabs.com/docs/company-enrichment-api).
    HUNTER_URL = os.environ.get("HUNTER_URL", f"{SANDBOX_URL}/hunter")
    HUNTER_KEY = os.environ.get("HUNTER_KEY", "sandbox-key")
    PDL_URL = os.environ.get("PDL_URL", f"{SANDBOX_URL}/pdl")
    PDL_KEY = os.environ.get("PDL_KEY", "sandbox-key")
    # Share of the rows each field's provider is expected not to answer (the
    # estimate sends that share on to the next provider): "field" or
    # "field:provider".
    WATERFALL_MISS_RATES = _env_json(
        "WATERFALL_MISS_RATES",
        {"email_verification": 0.05, "company": 0.15, "email_finding": 0.3},
    )
    # Verifications older than this many days are redone (a workspace's default).
    FRESHNESS_DAYS = _env_int("FRESHNESS_DAYS", 90)
    # Candidates the email finder verifies at most for one person.
    EMAIL_FINDER_MAX_CANDIDATES = _env_int("EMAIL_FINDER_MAX_CANDIDATES", 8)
    # Requests per provider shared by every worker ("limits" notation). Hunter's
    # verifier allows 10 requests/s (providers.md §5); PDL 1,000/min on paid plans
    # (https://docs.peopledatalabs.com/docs/rate-limits).
    PROVIDER_RATE_LIMITS = _env_json(
        "PROVIDER_RATE_LIMITS",
        {
            "emails": "50/second",
            "companies": f"{COMPANY_ENRICHER_PER_MINUTE}/minute",
            "hunter": "10/second",
            "pdl": "1000/minute",
        },
    )
    PROVIDER_MAX_LIMITER_WAIT = _env_float("PROVIDER_MAX_LIMITER_WAIT", 5.0)
    PROVIDER_CONNECT_TIMEOUT = _env_float("PROVIDER_CONNECT_TIMEOUT", 3.05)
    PROVIDER_READ_TIMEOUT = _env_float("PROVIDER_READ_TIMEOUT", 20.0)
    # Per provider (seconds): Reacher's SMTP check may take ~45 s, so 60 s there.
    PROVIDER_READ_TIMEOUTS = _env_json(
        "PROVIDER_READ_TIMEOUTS",
        {"emails": 60.0, "reachstream": 30.0, "attestr": 30.0},
    )
    PROVIDER_RETRIES = _env_int("PROVIDER_RETRIES", 3)
    PROVIDER_BACKOFF = _env_float("PROVIDER_BACKOFF", 0.5)
    PROVIDER_PROXIES = _env_json("PROVIDER_PROXIES", [])
    CACHE_HIT_TTL_DAYS = _env_int("CACHE_HIT_TTL_DAYS", 30)
    CACHE_MISS_TTL_DAYS = _env_int("CACHE_MISS_TTL_DAYS", 1)
    # ledger: price in credits of one provider call (provider -> endpoint -> price;
    # only answered calls, 2xx, are charged), the default per-job cap and the
    # per-workspace daily cap (0 = no cap), rows sampled for the preview's estimate
    PROVIDER_PRICES = _env_json(
        "PROVIDER_PRICES",
        {
            "emails": {"check_email": 0.002},
            "companies": {"organizations/enrich": 0.01},
            # Hunter: a finder search or a verification each use credits; PDL
            # charges a company match (a 404 is free; only 2xx are charged).
            "hunter": {"email-finder": 0.01, "email-verifier": 0.005},
            "pdl": {"company/enrich": 0.02},
            "reachstream": {
                "async/records/filter/data": 0.5,
                "records/batch-process": 0.0,
                "users/active/credits": 0.0,
            },
            "unipile": {"linkedin/search": 0.02, "linkedin/search/parameters": 0.0},
            "attestr": {"mca-cin-contact": 0.05},
            "airtable": {"records": 0.0, "records.write": 0.0},
            "sender": {"messages": 0.001},
        },
    )
    COST_UNIT = os.environ.get("COST_UNIT", "credits")
    COST_CAP_PER_JOB = _env_float("COST_CAP_PER_JOB", 0.0)
    COST_CAP_DAILY = _env_float("COST_CAP_DAILY", 0.0)
    COST_ESTIMATE_SAMPLE_ROWS = _env_int("COST_ESTIMATE_SAMPLE_ROWS", 2000)
    # teams: invitation emails over SMTP; without SMTP_HOST the link is shown to copy
    SMTP_HOST = os.environ.get("SMTP_HOST", "")
    SMTP_PORT = _env_int("SMTP_PORT", 587)
    SMTP_USER = os.environ.get("SMTP_USER", "")
    SMTP_PASSWORD = os.environ.get("SMTP_PASSWORD", "")
    SMTP_FROM = os.environ.get("SMTP_FROM", "")
    # Outgoing webhooks: the waits between a delivery's attempts (the last one
    # repeats) and how long after its event a delivery is tried at all.
    WEBHOOK_RETRY_SECONDS = _env_json(
        "WEBHOOK_RETRY_SECONDS", [10, 30, 120, 600, 1800, 3600, 7200, 14400]
    )
    WEBHOOK_RETRY_HOURS = _env_float("WEBHOOK_RETRY_HOURS", 24.0)
    # ops: worker heartbeats (interval; alive / stale age thresholds), how long gone
    # workers stay listed, the banner's cached reachability check, the ops page's poll
    OPS_HEARTBEAT_SECONDS = _env_float("OPS_HEARTBEAT_SECONDS", 2.0)
    OPS_WORKER_ALIVE_SECONDS = _env_int("OPS_WORKER_ALIVE_SECONDS", 30)
    OPS_WORKER_STALE_SECONDS = _env_int("OPS_WORKER_STALE_SECONDS", 120)
    OPS_WORKER_FORGET_HOURS = _env_int("OPS_WORKER_FORGET_HOURS", 24)
    OPS_STATUS_CACHE_SECONDS = _env_float("OPS_STATUS_CACHE_SECONDS", 5.0)
    OPS_POLL_SECONDS = _env_int("OPS_POLL_SECONDS", 5)
    # prospects: LinkedIn prospect search over the Unipile v1 contract (page sizes,
    # result caps per api, pause between pages, job time limit, 429 backoff)
    UNIPILE_DEFAULT_DSN = os.environ.get(
        "UNIPILE_DEFAULT_DSN", f"{SANDBOX_URL}/unipile"
    )
    UNIPILE_PAGE_SIZES = _env_json(
        "UNIPILE_PAGE_SIZES", {"classic": 50, "sales_navigator": 100, "recruiter": 100}
    )
    UNIPILE_RESULT_CAPS = _env_json(
        "UNIPILE_RESULT_CAPS",
        {"classic": 1000, "sales_navigator": 2500, "recruiter": 2500},
    )
    # The parameters-route `type` of location ids per api (asked with that api's
    # `service`); Unipile's newer docs name Sales Navigator's REGION.
    UNIPILE_LOCATION_TYPES = _env_json(
        "UNIPILE_LOCATION_TYPES",
        {"classic": "LOCATION", "sales_navigator": "LOCATION", "recruiter": "LOCATION"},
    )
    PROSPECT_PAGE_DELAY_SECONDS = _env_float("PROSPECT_PAGE_DELAY_SECONDS", 2.0)
    # A page is sent this much before its delay ends and waits out the rest in the
    # worker: Huey's scheduler wakes once a second and an idle worker polls up to
    # once a second, so a page sent on time would start ~0.7 s late on average.
    PROSPECT_PAGE_LEAD_SECONDS = _env_float("PROSPECT_PAGE_LEAD_SECONDS", 1.5)
    PROSPECT_JOB_TIME_LIMIT_SECONDS = _env_int("PROSPECT_JOB_TIME_LIMIT_SECONDS", 900)
    PROSPECT_BACKOFF_SECONDS = _env_float("PROSPECT_BACKOFF_SECONDS", 5.0)
    PROSPECT_MAX_BACKOFF_SECONDS = _env_float("PROSPECT_MAX_BACKOFF_SECONDS", 120.0)
    PROSPECT_PAGE_ATTEMPTS = _env_int("PROSPECT_PAGE_ATTEMPTS", 5)
    PROSPECT_EXPECTED_PAGE_SECONDS = _env_float("PROSPECT_EXPECTED_PAGE_SECONDS", 1.5)
    # contacts: Attestr contact fetch by CIN and the Airtable sync
    ATTESTR_URL = _env_first(
        "ATTESTR_URL", "ATTESTR_API_URL", default=f"{SANDBOX_URL}/attestr"
    )
    ATTESTR_KEY = _env_first("ATTESTR_KEY", "ATTESTR_API_KEY", default="sandbox-key")
    ATTESTR_MAX_CONTACTS = _env_int("ATTESTR_MAX_CONTACTS", 100)
    # The time zone whose midnight resets Attestr's daily quota (error 4293). Not
    # published by Attestr (unconfirmed): UTC unless you know better (Asia/Kolkata?).
    ATTESTR_QUOTA_RESET_TZ = os.environ.get("ATTESTR_QUOTA_RESET_TZ", "UTC")
    ATTESTR_PHONE_REGION = os.environ.get("ATTESTR_PHONE_REGION", "IN")
    AIRTABLE_URL = os.environ.get("AIRTABLE_URL", f"{SANDBOX_URL}/airtable")
    # The contacts table the Airtable settings form starts with (id or name).
    AIRTABLE_CONTACTS_TABLE = _env_first(
        "AIRTABLE_CONTACTS_TABLE", "CONTACTS_TABLE_ID", default="Contacts"
    )
    AIRTABLE_RATE_LIMIT = os.environ.get("AIRTABLE_RATE_LIMIT", "5/second")  # per base
    AIRTABLE_LOCKOUT_SECONDS = _env_float("AIRTABLE_LOCKOUT_SECONDS", 30.0)
    # How long a worker thread waits for a slot of a base's window before it hands
    # its chunk back to the queue. A sync's threads outnumber the base's 5 slots,
    # and the one that keeps losing the race for a freed slot would otherwise give
    # up after PROVIDER_MAX_LIMITER_WAIT and read its chunk again when it comes
    # back (one request in 25 in the benchmark). The lockout after a 429 still
    # stops the wait at once.
    AIRTABLE_MAX_LIMITER_WAIT = _env_float("AIRTABLE_MAX_LIMITER_WAIT", 15.0)
    AIRTABLE_PHASE_WAIT_SECONDS = _env_float("AIRTABLE_PHASE_WAIT_SECONDS", 2.0)
    SANDBOX_AIRTABLE_RATE = _env_int("SANDBOX_AIRTABLE_RATE", 5)
    SANDBOX_AIRTABLE_LOCKOUT_SECONDS = _env_float(
        "SANDBOX_AIRTABLE_LOCKOUT_SECONDS", 30.0
    )
    # searches: ReachStream people search, its polling schedule, and the proxy pool
    REACHSTREAM_URL = _env_first(
        "REACHSTREAM_URL", "REACHSTREAM_BASE_URL", default=f"{SANDBOX_URL}/reachstream"
    )
    REACHSTREAM_KEY = _env_first(
        "REACHSTREAM_KEY", "REACHSTREAM_API_KEY", default="sandbox-key"
    )
    REACHSTREAM_VARIANT = os.environ.get("REACHSTREAM_VARIANT", "A")  # sandbox: A | B
    REACHSTREAM_SANDBOX_READY_AFTER = _env_float("REACHSTREAM_SANDBOX_READY_AFTER", 5.0)
    REACHSTREAM_MAX_FETCH = _env_int("REACHSTREAM_MAX_FETCH", 1000)
    REACHSTREAM_POLL_INITIAL = _env_float("REACHSTREAM_POLL_INITIAL", 2.0)
    REACHSTREAM_POLL_MAX = _env_float("REACHSTREAM_POLL_MAX", 30.0)
    REACHSTREAM_MAX_WAIT = _env_int("REACHSTREAM_MAX_WAIT", 900)
    REACHSTREAM_MAX_ERRORS = _env_int("REACHSTREAM_MAX_ERRORS", 5)
    REACHSTREAM_STRANDED_AFTER = _env_int("REACHSTREAM_STRANDED_AFTER", 30)
    SEARCH_API_PAGE_SIZE = _env_int("SEARCH_API_PAGE_SIZE", 50)
    PROXY_PROVIDERS = _env_json("PROXY_PROVIDERS", ["reachstream"])
    PROXY_COOLDOWN_SECONDS = _env_float("PROXY_COOLDOWN_SECONDS", 60.0)
    # outreach: message sender webhook, caps, quiet hours ("22:00-08:00"), ingest limit
    OUTREACH_SENDER_URL = os.environ.get("OUTREACH_SENDER_URL", f"{SANDBOX_URL}/chat")
    OUTREACH_SENDER_KEY = os.environ.get("OUTREACH_SENDER_KEY", "sandbox-key")
    OUTREACH_SENDER_NAME = os.environ.get("OUTREACH_SENDER_NAME", "webhook")
    OUTREACH_SENDER_HOURLY_CAP = _env_int("OUTREACH_SENDER_HOURLY_CAP", 200)
    OUTREACH_SENDER_DAILY_CAP = _env_int("OUTREACH_SENDER_DAILY_CAP", 1000)
    OUTREACH_CREATOR_DAILY_CAP = _env_int("OUTREACH_CREATOR_DAILY_CAP", 3)
    OUTREACH_QUIET_HOURS = os.environ.get("OUTREACH_QUIET_HOURS", "")
    OUTREACH_TIMEZONE = os.environ.get("OUTREACH_TIMEZONE", "UTC")
    OUTREACH_MAX_ATTEMPTS = _env_int("OUTREACH_MAX_ATTEMPTS", 5)
    OUTREACH_RETRY_SECONDS = _env_int("OUTREACH_RETRY_SECONDS", 60)
    OUTREACH_BATCH_SIZE = _env_int("OUTREACH_BATCH_SIZE", 50)
    OUTREACH_PUBLISH_LIMIT = _env_int("OUTREACH_PUBLISH_LIMIT", 500)
    OUTREACH_INGEST_MAX_BYTES = _env_int("OUTREACH_INGEST_MAX_BYTES", 5 * 1024 * 1024)
    OUTREACH_INGEST_MAX_ROWS = _env_int("OUTREACH_INGEST_MAX_ROWS", 5000)
    OUTREACH_DEFAULT_PLATFORM = os.environ.get("OUTREACH_DEFAULT_PLATFORM", "tiktok")

    @staticmethod
    def check(settings) -> None:
        """Refuse settings this environment cannot run with (ConfigError)."""


class DevConfig(Config):
    pass


class TestConfig(Config):
    TESTING = True
    WTF_CSRF_ENABLED = False
    # Each item checked and written on its own, so tests see every step.
    BATCH_CHECK_SECONDS = 0.0
    BATCH_WRITE_SECONDS = 0.0
    HUEY_IMMEDIATE = True
    HUEY_STORAGE = "memory"
    RATELIMIT_STORAGE_URL = "memory://"
    SANDBOX = {**Config.SANDBOX, "latency_ms": 0, "timeout_seconds": 2}
    # A slow answer on a loaded machine (two test processes on two cores) must
    # not become a failed row: 1 s failed a cost-cap test in CI once. Tests of
    # timeouts set their own, shorter one.
    PROVIDER_READ_TIMEOUT = 10.0
    PROVIDER_READ_TIMEOUTS: dict = {}
    # Apollo's per-minute default would slow every test's company lookups.
    PROVIDER_RATE_LIMITS = {
        **Config.PROVIDER_RATE_LIMITS,
        "emails": "50/second",
        "companies": "50/second",
    }
    PROVIDER_BACKOFF = 0.01
    LOGIN_RATE_LIMIT = "1000/minute"
    # contacts: a short Airtable lockout so tests need not wait 30 s
    AIRTABLE_LOCKOUT_SECONDS = 1.0
    AIRTABLE_PHASE_WAIT_SECONDS = 0.2
    SANDBOX_AIRTABLE_LOCKOUT_SECONDS = 1.0
    REACHSTREAM_SANDBOX_READY_AFTER = 0.0  # searches: sandbox batches ready at once
    PROSPECT_PAGE_LEAD_SECONDS = 0.0  # prospects: tests run pages when they choose
    SMTP_HOST = ""  # teams: tests that email start their own SMTP server


class ProdConfig(Config):
    PRODUCTION = True
    SECRET_KEY = os.environ.get("SECRET_KEY")
    SANDBOX_ENABLED = _env_bool("SANDBOX_ENABLED", False)
    # The second providers are asked only once given a key of their own.
    HUNTER_KEY = os.environ.get("HUNTER_KEY", "")
    PDL_KEY = os.environ.get("PDL_KEY", "")
    # Whatever SANDBOX_ENABLED or the environment says: https to public addresses.
    ALLOW_PRIVATE_PROVIDER_URLS = False
    SESSION_COOKIE_SECURE = True
    REMEMBER_COOKIE_SECURE = True

    @staticmethod
    def check(settings) -> None:
        """Refuse a missing, public or short SECRET_KEY (and a public fallback)."""
        problem = secret_key_problem(settings.get("SECRET_KEY"))
        if problem:
            raise ConfigError(
                f"SECRET_KEY {problem}. Production refuses to start without a "
                f"secret key of at least {MIN_SECRET_KEY_LENGTH} random characters "
                "(python -c 'import secrets; print(secrets.token_urlsafe(48))')."
            )
        for i, key in enumerate(settings.get("SECRET_KEY_FALLBACKS") or []):
            if not key or key == DEV_SECRET_KEY:
                raise ConfigError(
                    f"SECRET_KEY_FALLBACKS[{i}] is empty or the public development "
                    "key; sessions signed with it would be accepted. Remove it."
                )


def secret_key_problem(key) -> str | None:
    """Why a production SECRET_KEY is unusable, or None when it is fine."""
    if not key:
        return "is not set"
    if key == DEV_SECRET_KEY:
        return "is the public development key"
    if len(key) < MIN_SECRET_KEY_LENGTH:
        return f"is only {len(key)} characters long"
    return None


CONFIGS = {"development": DevConfig, "test": TestConfig, "production": ProdConfig}


def config_from_env() -> type[Config]:
    """The config class named by PROSPECTING_ENV (development by default)."""
    return CONFIGS[os.environ.get("PROSPECTING_ENV", "development")]
