"""Configuration classes, every value read from the environment with safe dev defaults."""

import json
import os
from pathlib import Path

BASE_DIR = Path(__file__).resolve().parent
INSTANCE_DIR = Path(os.environ.get("INSTANCE_DIR", BASE_DIR / "instance"))


def _env_int(name: str, default: int) -> int:
    return int(os.environ.get(name, default))


def _env_float(name: str, default: float) -> float:
    return float(os.environ.get(name, default))


def _env_bool(name: str, default: bool) -> bool:
    return os.environ.get(name, str(default)).lower() in ("1", "true", "yes", "on")


def _env_json(name: str, default):
    raw = os.environ.get(name)
    return json.loads(raw) if raw else default


def _sandbox_url() -> str:
    host = os.environ.get("HOST", "127.0.0.1")
    port = os.environ.get("PORT", "5000")
    return os.environ.get("SANDBOX_URL", f"http://{host}:{port}/sandbox")


class Config:
    SECRET_KEY = os.environ.get("SECRET_KEY", "dev-only-secret-change-me")
    SQLALCHEMY_DATABASE_URI = os.environ.get(
        "DATABASE_URL", f"sqlite:///{INSTANCE_DIR / 'prospecting.db'}"
    )
    SQLALCHEMY_ENGINE_OPTIONS = {"pool_pre_ping": True}
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
    WTF_CSRF_TIME_LIMIT = None  # pages poll for hours; the token must not expire
    LOGIN_RATE_LIMIT = os.environ.get("LOGIN_RATE_LIMIT", "10/minute")

    UPLOAD_DIR = os.environ.get("UPLOAD_DIR", str(INSTANCE_DIR / "uploads"))
    MAX_UPLOAD_MB = _env_int("MAX_UPLOAD_MB", 50)
    MAX_CONTENT_LENGTH = MAX_UPLOAD_MB * 1024 * 1024
    MAX_UPLOAD_ROWS = _env_int("MAX_UPLOAD_ROWS", 1_000_000)
    MAX_UPLOAD_COLUMNS = _env_int("MAX_UPLOAD_COLUMNS", 500)
    ENRICHMENT_BATCH_SIZE = _env_int("ENRICHMENT_BATCH_SIZE", 20)
    INGEST_CHUNK_ROWS = _env_int("INGEST_CHUNK_ROWS", 2000)
    DEFAULT_PHONE_REGION = os.environ.get("DEFAULT_PHONE_REGION", "US")
    RESULTS_PER_PAGE = _env_int("RESULTS_PER_PAGE", 50)

    BATCH_LEASE_SECONDS = _env_int("BATCH_LEASE_SECONDS", 300)
    BATCH_PENDING_TOO_LONG_SECONDS = _env_int("BATCH_PENDING_TOO_LONG_SECONDS", 120)
    BATCH_MAX_ATTEMPTS = _env_int("BATCH_MAX_ATTEMPTS", 5)
    PROGRESS_POLL_SECONDS = _env_int("PROGRESS_POLL_SECONDS", 1)

    SANDBOX_ENABLED = _env_bool("SANDBOX_ENABLED", True)
    SANDBOX_URL = _sandbox_url()
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
    COMPANY_ENRICHER_URL = os.environ.get(
        "COMPANY_ENRICHER_URL", f"{SANDBOX_URL}/apollo"
    )
    COMPANY_ENRICHER_KEY = os.environ.get("COMPANY_ENRICHER_KEY", "sandbox-key")
    # Requests per provider shared by every worker ("limits" notation).
    PROVIDER_RATE_LIMITS = _env_json(
        "PROVIDER_RATE_LIMITS", {"emails": "50/second", "companies": "50/second"}
    )
    PROVIDER_MAX_LIMITER_WAIT = _env_float("PROVIDER_MAX_LIMITER_WAIT", 5.0)
    PROVIDER_CONNECT_TIMEOUT = _env_float("PROVIDER_CONNECT_TIMEOUT", 3.05)
    PROVIDER_READ_TIMEOUT = _env_float("PROVIDER_READ_TIMEOUT", 20.0)
    PROVIDER_RETRIES = _env_int("PROVIDER_RETRIES", 3)
    PROVIDER_BACKOFF = _env_float("PROVIDER_BACKOFF", 0.5)
    PROVIDER_PROXIES = _env_json("PROVIDER_PROXIES", [])
    CACHE_HIT_TTL_DAYS = _env_int("CACHE_HIT_TTL_DAYS", 30)
    CACHE_MISS_TTL_DAYS = _env_int("CACHE_MISS_TTL_DAYS", 1)


class DevConfig(Config):
    pass


class TestConfig(Config):
    TESTING = True
    WTF_CSRF_ENABLED = False
    HUEY_IMMEDIATE = True
    HUEY_STORAGE = "memory"
    RATELIMIT_STORAGE_URL = "memory://"
    SANDBOX = {**Config.SANDBOX, "latency_ms": 0, "timeout_seconds": 2}
    PROVIDER_READ_TIMEOUT = 1.0
    PROVIDER_BACKOFF = 0.01
    LOGIN_RATE_LIMIT = "1000/minute"


class ProdConfig(Config):
    SANDBOX_ENABLED = _env_bool("SANDBOX_ENABLED", False)
    SESSION_COOKIE_SECURE = True
    REMEMBER_COOKIE_SECURE = True


CONFIGS = {"development": DevConfig, "test": TestConfig, "production": ProdConfig}


def config_from_env() -> type[Config]:
    """The config class named by PROSPECTING_ENV (development by default)."""
    return CONFIGS[os.environ.get("PROSPECTING_ENV", "development")]
