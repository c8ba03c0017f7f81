"""Configuration read from the environment; production refuses to start without its secrets."""
import os


class ConfigError(RuntimeError):
    """Raised at start-up when the environment lacks a required setting."""


def _keys(raw: str | None) -> list[str]:
    return [key.strip() for key in (raw or "").split(",") if key.strip()]


class BaseConfig:
    """Settings shared by every environment; secrets are filled in by the subclasses."""

    ENV_NAME = "base"
    JSON_AS_ASCII = False
    MAX_CONTENT_LENGTH = 32 * 1024 * 1024

    API_TITLE = "信易+ 守信激励"
    API_VERSION = "v1"
    OPENAPI_VERSION = "3.0.3"
    # Every personal-data response is no-store, so ETags would only cost a hash per request.
    ETAG_DISABLED = True
    OPENAPI_URL_PREFIX = "/api/v1"
    OPENAPI_JSON_PATH = "openapi.json"

    # Reverse proxies in front of the app whose X-Forwarded-For/-Proto/-Host it may believe (0: none).
    TRUSTED_PROXIES = int(os.environ.get("TRUSTED_PROXIES", "0"))
    SESSION_COOKIE_HTTPONLY = True
    SESSION_COOKIE_SAMESITE = "Lax"
    SESSION_COOKIE_SECURE = True  # development and test serve plain HTTP on loopback and turn it off
    CONSOLE_LOGIN_RATE_LIMIT = os.environ.get("CONSOLE_LOGIN_RATE_LIMIT", "5 per minute")
    RATELIMIT_HEADERS_ENABLED = True

    # A citizen stays signed in on their own phone while they use it at least once a month, and proves who they are
    # again each quarter however often they use it (so a phone that changed hands is not signed in for ever);
    # "退出其他设备" and the console end a session at once before then.
    CITIZEN_TOKEN_IDLE_SECONDS = int(os.environ.get("CITIZEN_TOKEN_IDLE_SECONDS", 30 * 24 * 3600))
    CITIZEN_TOKEN_LIFETIME_SECONDS = int(os.environ.get("CITIZEN_TOKEN_LIFETIME_SECONDS", 90 * 24 * 3600))
    # Only a citizen's page session is a permanent cookie (app.web.auth), kept as long as its token may live; console
    # and scanner cookies end with the browser. Not re-sent on every response: a Set-Cookie would ride on cacheable
    # static files, and the server's idle limit already ends an unused session.
    PERMANENT_SESSION_LIFETIME = CITIZEN_TOKEN_LIFETIME_SECONDS
    SESSION_REFRESH_EACH_REQUEST = False
    STAFF_TOKEN_IDLE_SECONDS = int(os.environ.get("STAFF_TOKEN_IDLE_SECONDS", 2 * 3600))
    STAFF_TOKEN_LIFETIME_SECONDS = int(os.environ.get("STAFF_TOKEN_LIFETIME_SECONDS", 12 * 3600))
    ADMIN_TOKEN_IDLE_SECONDS = int(os.environ.get("ADMIN_TOKEN_IDLE_SECONDS", 30 * 60))
    ADMIN_TOKEN_LIFETIME_SECONDS = int(os.environ.get("ADMIN_TOKEN_LIFETIME_SECONDS", 8 * 3600))
    LOGIN_RATE_LIMIT = os.environ.get("LOGIN_RATE_LIMIT", "10 per minute")
    PASSWORD_HASH_METHOD = "scrypt"

    # How long after a successful verify a queued confirmation may still redeem the (by then expired) code.
    REDEEM_GRACE_SECONDS = int(os.environ.get("REDEEM_GRACE_SECONDS", 24 * 3600))

    # Times in answers carry this zone's offset (stored times are UTC); everyone using the system is in Beijing.
    DISPLAY_TIMEZONE = os.environ.get("DISPLAY_TIMEZONE", "Asia/Shanghai")

    OBJECTION_DECISION_WORKING_DAYS = int(os.environ.get("OBJECTION_DECISION_WORKING_DAYS", 5))
    COMPLAINT_REPLY_WORKING_DAYS = int(os.environ.get("COMPLAINT_REPLY_WORKING_DAYS", 10))

    LISTING_VALIDITY_YEARS = 2
    # How long scan attempts and redemptions are kept (`flask purge` removes older ones; statistics stay).
    RETENTION_YEARS = int(os.environ.get("RETENTION_YEARS", 2))
    DISHONESTY_EXCLUSION_YEARS = 3
    MEASURE_MIN_VALIDITY_YEARS = 2

    def __init__(self, instance_path: str) -> None:
        env = os.environ
        self.SQLALCHEMY_DATABASE_URI = env.get("DATABASE_URL") or self.default_database_url(instance_path)
        self.RATELIMIT_STORAGE_URI = env.get("RATELIMIT_STORAGE_URI", "memory://")
        # The pool of a PostgreSQL server (app.db.postgres.engine_options) is set once the database URL is final.
        self.DB_IDLE_CHECK_SECONDS = float(env.get("DB_IDLE_CHECK_SECONDS", "30"))
        self.SECRET_KEY = env.get("SECRET_KEY") or self.fallback("SECRET_KEY")
        self.ID_HASH_KEY = env.get("ID_HASH_KEY") or self.fallback("ID_HASH_KEY")
        self.QR_SIGNING_KEYS = _keys(env.get("QR_SIGNING_KEYS")) or _keys(self.fallback("QR_SIGNING_KEYS"))
        self.QR_TTL_SECONDS = int(env.get("QR_TTL_SECONDS", "60"))
        # Outside any web root; only the API hands files out, to their owner and to reviewers.
        self.EVIDENCE_DIR = env.get("EVIDENCE_DIR") or os.path.join(instance_path, "evidence")
        self.DEV_LOGIN = env.get("DEV_LOGIN", "0") == "1"
        # The platform's page that asks the person to consent and sends them back with a one-time code (H5 sign-in).
        self.GOV_IDP_AUTHORIZE_URL = env.get("GOV_IDP_AUTHORIZE_URL", "")
        self.GOV_IDP_TOKEN_URL = env.get("GOV_IDP_TOKEN_URL", "")
        self.GOV_IDP_CLIENT_ID = env.get("GOV_IDP_CLIENT_ID", "")
        self.GOV_IDP_CLIENT_SECRET = env.get("GOV_IDP_CLIENT_SECRET", "")
        self.GOV_IDP_TIMEOUT_SECONDS = float(env.get("GOV_IDP_TIMEOUT_SECONDS", "5"))

    @staticmethod
    def default_database_url(instance_path: str) -> str:
        return "sqlite:///" + os.path.join(instance_path, "xinyi.sqlite3")

    def fallback(self, name: str) -> str:
        raise ConfigError(f"{name} must be set in the environment")


class DevelopmentConfig(BaseConfig):
    """Local demo: fixed throwaway secrets so a fresh clone starts with one command."""

    ENV_NAME = "development"
    SESSION_COOKIE_SECURE = False
    _FALLBACKS = {
        "SECRET_KEY": "dev-secret-key-not-for-production",
        "ID_HASH_KEY": "dev-id-hash-key-not-for-production",
        "QR_SIGNING_KEYS": "dev-qr-key-not-for-production",
    }

    def fallback(self, name: str) -> str:
        return self._FALLBACKS[name]


class TestConfig(DevelopmentConfig):
    """The test suite: like development, with the database chosen by the tests."""

    ENV_NAME = "test"
    TESTING = True
    # Hundreds of accounts are created per run; the strength of the hash is not what the tests examine.
    PASSWORD_HASH_METHOD = "pbkdf2:sha256:1000"


class ProductionConfig(BaseConfig):
    """Deployment: every secret and the database must come from the environment."""

    ENV_NAME = "production"

    def __init__(self, instance_path: str) -> None:
        if not os.environ.get("DATABASE_URL"):
            raise ConfigError("DATABASE_URL must be set in the environment")
        super().__init__(instance_path)
        if self.DEV_LOGIN:
            raise ConfigError("DEV_LOGIN cannot be enabled in production")
        if self.GOV_IDP_TOKEN_URL and not self.GOV_IDP_CLIENT_SECRET:
            raise ConfigError("GOV_IDP_CLIENT_SECRET must be set when GOV_IDP_TOKEN_URL is")
        if self.RATELIMIT_STORAGE_URI.startswith("memory://"):
            raise ConfigError("RATELIMIT_STORAGE_URI must name a store every worker and host shares (redis://…)")


CONFIGS = {cls.ENV_NAME: cls for cls in (DevelopmentConfig, TestConfig, ProductionConfig)}


def load_config(instance_path: str, env_name: str | None = None) -> BaseConfig:
    """Build the configuration for APP_ENV (development unless told otherwise)."""
    name = env_name or os.environ.get("APP_ENV", "development")
    if name not in CONFIGS:
        raise ConfigError(f"APP_ENV must be one of {', '.join(CONFIGS)}, not {name!r}")
    return CONFIGS[name](instance_path)
