"""Configuration read from the environment; production refuses to start without its secrets."""
import base64
import binascii
import os
from urllib.parse import urlsplit

from app.domain.codes import KEY_BYTES, key_id, public_key
from app.logs import FORMATS as LOG_FORMATS

# The shortest key production accepts (SECRET_KEY, ID_HASH_KEY): 256 bits of HMAC key.
MIN_KEY_BYTES = 32
SECRET_NAMES = ("SECRET_KEY", "ID_HASH_KEY")
# The identity codes' keys (docs/offline-codes.md): each exactly 32 bytes, written in base64url.
CODE_KEY_NAMES = ("CODE_SIGNING_KEYS", "CODE_SEAL_SECRET")
_GENERATE = "`flask --app wsgi generate-secrets` prints fresh values (run it without APP_ENV=production)"
_GENERATE_KEYS = "`flask --app wsgi generate-keys` prints fresh values"
WECHAT_CODE2SESSION_URL = "https://api.weixin.qq.com/sns/jscode2session"


class ConfigError(RuntimeError):
    """Raised at start-up when the environment lacks a required setting."""


def _keys(raw: str | None) -> list[str]:
    return [key.strip() for key in (raw or "").split(",") if key.strip()]


def _which(name: str, number: int, count: int) -> str:
    """How a message names one of a setting's comma-separated values."""
    return f"{name} (key {number} of {count})" if count > 1 else name


def code_keys(name: str, raw: str) -> list[bytes]:
    """A code key setting's comma-separated base64url values as bytes; each must be 32 bytes and, for signing keys,
    name a key id of its own (docs/offline-codes.md)."""
    values = _keys(raw)
    decoded = []
    for number, text in enumerate(values, start=1):
        which = _which(name, number, len(values))
        try:
            value = base64.b64decode(text + "=" * (-len(text) % 4), altchars=b"-_", validate=True)
        except (binascii.Error, ValueError):
            value = b""
        if len(value) != KEY_BYTES:
            raise ConfigError(f"{which} is not {KEY_BYTES} bytes in base64url; {_GENERATE_KEYS}")
        decoded.append(value)
    if not decoded:
        raise ConfigError(f"{name} must be set in the environment; {_GENERATE_KEYS}")
    if name == "CODE_SEAL_SECRET" and len(decoded) > 1:
        raise ConfigError(f"CODE_SEAL_SECRET is one value, not a list; {_GENERATE_KEYS}")
    if name == "CODE_SIGNING_KEYS" and len({key_id(public_key(seed)) for seed in decoded}) < len(decoded):
        raise ConfigError(f"CODE_SIGNING_KEYS holds two keys with the same key id; {_GENERATE_KEYS} (run it again)")
    return decoded


class BaseConfig:
    """Settings shared by every environment; secrets are filled in by the subclasses."""

    ENV_NAME = "base"
    DEFAULT_PUBLIC_BASE_URL = ""
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
    # Where those proxies connect from (addresses or networks, comma-separated); gunicorn reads the same variable.
    PROXY_ADDRESSES = os.environ.get("PROXY_ADDRESSES", "127.0.0.1").split(",")
    # Who may read GET /metrics (addresses or networks, comma-separated), by the connection's own peer address.
    METRICS_ALLOW = os.environ.get("METRICS_ALLOW", "127.0.0.1,::1").split(",")
    SESSION_COOKIE_HTTPONLY = True
    SESSION_COOKIE_SAMESITE = "Lax"
    SESSION_COOKIE_SECURE = True  # development and test serve plain HTTP on loopback and turn it off
    CONSOLE_LOGIN_RATE_LIMIT = os.environ.get("CONSOLE_LOGIN_RATE_LIMIT", "5 per minute")
    RATELIMIT_HEADERS_ENABLED = True
    # A store that is down or does not answer within RATELIMIT_STORE_TIMEOUT_SECONDS fails no request: each process
    # counts in its own memory meanwhile and goes back to the store when it answers again (app.http.limits).
    RATELIMIT_IN_MEMORY_FALLBACK_ENABLED = True
    RATELIMIT_STORE_TIMEOUT_SECONDS = float(os.environ.get("RATELIMIT_STORE_TIMEOUT_SECONDS", "0.2"))
    RATELIMIT_STORAGE_OPTIONS = {"socket_connect_timeout": RATELIMIT_STORE_TIMEOUT_SECONDS,
                                 "socket_timeout": RATELIMIT_STORE_TIMEOUT_SECONDS}

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
    # The per-address limits above do not stop guesses spread over many addresses: this many wrong passwords in a
    # row, from anywhere, lock an account's password logins for this long (an administrator may lift it sooner).
    ACCOUNT_LOCK_FAILURES = int(os.environ.get("ACCOUNT_LOCK_FAILURES", 10))
    ACCOUNT_LOCK_MINUTES = int(os.environ.get("ACCOUNT_LOCK_MINUTES", 15))
    PASSWORD_HASH_METHOD = "scrypt"

    # How long after a successful verify a queued confirmation may still redeem the (by then expired) code.
    REDEEM_GRACE_SECONDS = int(os.environ.get("REDEEM_GRACE_SECONDS", 24 * 3600))
    # How old a counter bundle may be and still decide offline; offline decisions are accepted for upload up to this
    # plus a day after they were made (docs/offline-codes.md).
    OFFLINE_BUNDLE_MAX_AGE = int(os.environ.get("OFFLINE_BUNDLE_MAX_AGE", 24 * 3600))

    # Times in answers carry this zone's offset (stored times are UTC); everyone using the system is in Beijing.
    DISPLAY_TIMEZONE = os.environ.get("DISPLAY_TIMEZONE", "Asia/Shanghai")

    OBJECTION_DECISION_WORKING_DAYS = int(os.environ.get("OBJECTION_DECISION_WORKING_DAYS", 5))
    COMPLAINT_REPLY_WORKING_DAYS = int(os.environ.get("COMPLAINT_REPLY_WORKING_DAYS", 10))

    # What one citizen or one file may cost the service (README, "Limits"): an image past the pixel cap is refused
    # from its header; images are decoded and stored at most at the long edge; quotas count per Beijing day.
    EVIDENCE_MAX_PIXELS = int(os.environ.get("EVIDENCE_MAX_PIXELS", 40_000_000))
    EVIDENCE_MAX_LONG_EDGE = int(os.environ.get("EVIDENCE_MAX_LONG_EDGE", 2048))
    OBJECTIONS_PER_DAY = int(os.environ.get("OBJECTIONS_PER_DAY", 10))
    COMPLAINTS_PER_DAY = int(os.environ.get("COMPLAINTS_PER_DAY", 10))
    EVIDENCE_BYTES_PER_DAY = int(os.environ.get("EVIDENCE_BYTES_PER_DAY", 50 * 1024 * 1024))
    CODE_BATCHES_PER_DAY = int(os.environ.get("CODE_BATCHES_PER_DAY", 60))
    IMPORT_MAX_ROWS = int(os.environ.get("IMPORT_MAX_ROWS", 200_000))

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
        # How long a SQLite writer waits for another's lock before its request answers 503 (app.db.unavailable).
        self.DB_BUSY_TIMEOUT_SECONDS = float(env.get("DB_BUSY_TIMEOUT_SECONDS", "10"))
        self.SECRET_KEY = env.get("SECRET_KEY") or self.fallback("SECRET_KEY")
        self.ID_HASH_KEY = env.get("ID_HASH_KEY") or self.fallback("ID_HASH_KEY")
        # Ed25519 seeds, newest last (it signs; all verify), and the secret each Beijing day's seal key comes from.
        self.CODE_SIGNING_KEYS = code_keys("CODE_SIGNING_KEYS",
                                           env.get("CODE_SIGNING_KEYS") or self.fallback("CODE_SIGNING_KEYS"))
        self.CODE_SEAL_SECRET = code_keys("CODE_SEAL_SECRET",
                                          env.get("CODE_SEAL_SECRET") or self.fallback("CODE_SEAL_SECRET"))[0]
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
        # The mini-program's one-tap sign-in (the `wechat` provider, app.services.wechat_client): on with an appid.
        self.WECHAT_APPID = env.get("WECHAT_APPID", "")
        self.WECHAT_SECRET = env.get("WECHAT_SECRET", "")
        self.WECHAT_CODE2SESSION_URL = env.get("WECHAT_CODE2SESSION_URL", WECHAT_CODE2SESSION_URL)
        self.WECHAT_TIMEOUT_SECONDS = float(env.get("WECHAT_TIMEOUT_SECONDS", "5"))
        # Where citizens reach the service (scheme and host): absolute URLs such as the platform sign-in's
        # redirect_uri are built from it, never from a request's Host header.
        self.PUBLIC_BASE_URL = (env.get("PUBLIC_BASE_URL") or self.DEFAULT_PUBLIC_BASE_URL).rstrip("/")
        # Log lines as JSON (for the log collector) or as plain text (for a developer's terminal); app/logs.py.
        self.LOG_FORMAT = env.get("LOG_FORMAT", "json")
        if self.LOG_FORMAT not in LOG_FORMATS:
            raise ConfigError(f"LOG_FORMAT must be one of {', '.join(LOG_FORMATS)}, not {self.LOG_FORMAT!r}")

    @staticmethod
    def default_database_url(instance_path: str) -> str:
        return "sqlite:///" + os.path.join(instance_path, "xinyi.sqlite3")

    def fallback(self, name: str) -> str:
        raise ConfigError(f"{name} must be set in the environment")


class DevelopmentConfig(BaseConfig):
    """Local demo: fixed throwaway secrets so a fresh clone starts with one command."""

    ENV_NAME = "development"
    DEFAULT_PUBLIC_BASE_URL = "http://127.0.0.1:8000"
    SESSION_COOKIE_SECURE = False
    _FALLBACKS = {
        "SECRET_KEY": "dev-secret-key-not-for-production",
        "ID_HASH_KEY": "dev-id-hash-key-not-for-production",
        "CODE_SIGNING_KEYS": "9UII9-qTISqWKaZ_fxOAKJqoTFYx9brJtL-m_1fjHDk",
        "CODE_SEAL_SECRET": "F2urjuaSWPdg3iENiz7dSzqiWQ6yv9NWLqYD2hZOANM",
    }

    def fallback(self, name: str) -> str:
        return self._FALLBACKS[name]


class TestConfig(DevelopmentConfig):
    """The test suite: like development, with the database chosen by the tests."""

    ENV_NAME = "test"
    DEFAULT_PUBLIC_BASE_URL = "http://localhost"
    TESTING = True
    # Hundreds of accounts are created per run; the strength of the hash is not what the tests examine.
    PASSWORD_HASH_METHOD = "pbkdf2:sha256:1000"


class ProductionConfig(BaseConfig):
    """Deployment: every secret and the database must come from the environment, secrets long and not the published
    development values; each refusal stops the start with a message naming the variable."""

    ENV_NAME = "production"

    def __init__(self, instance_path: str) -> None:
        if not os.environ.get("DATABASE_URL"):
            raise ConfigError("DATABASE_URL must be set in the environment")
        super().__init__(instance_path)
        if self.DEV_LOGIN:
            raise ConfigError("DEV_LOGIN cannot be enabled in production")
        for name in SECRET_NAMES:
            secret = getattr(self, name)
            _refuse_published(name, [secret], [DevelopmentConfig._FALLBACKS[name]], _GENERATE)
            if len(secret.encode()) < MIN_KEY_BYTES:
                raise ConfigError(f"{name} is shorter than {MIN_KEY_BYTES} bytes; {_GENERATE}")
        for name, keys in zip(CODE_KEY_NAMES, (self.CODE_SIGNING_KEYS, [self.CODE_SEAL_SECRET]), strict=True):
            _refuse_published(name, keys, code_keys(name, DevelopmentConfig._FALLBACKS[name]), _GENERATE_KEYS)
        _check_public_base_url(self.PUBLIC_BASE_URL, bool(self.GOV_IDP_AUTHORIZE_URL))
        if self.GOV_IDP_TOKEN_URL and not self.GOV_IDP_CLIENT_SECRET:
            raise ConfigError("GOV_IDP_CLIENT_SECRET must be set when GOV_IDP_TOKEN_URL is")
        _check_wechat(self.WECHAT_APPID, self.WECHAT_SECRET, self.WECHAT_CODE2SESSION_URL)
        if self.RATELIMIT_STORAGE_URI.startswith("memory://"):
            raise ConfigError("RATELIMIT_STORAGE_URI must name a store every worker and host shares (redis://…)")


def _refuse_published(name: str, keys: list, published: list, generate: str) -> None:
    """A secret a deployment must not run with: one of the development values anyone can read here."""
    for number, key in enumerate(keys, start=1):
        if key in published:
            raise ConfigError(f"{_which(name, number, len(keys))} is the development value published in "
                              f"app/config.py; {generate}")


def _check_public_base_url(url: str, required: bool) -> None:
    if not url:
        if required:
            raise ConfigError("PUBLIC_BASE_URL must be set when GOV_IDP_AUTHORIZE_URL is (the platform sends citizens "
                              "back to it), e.g. https://xinyi.example.gov.cn")
        return
    parts = urlsplit(url)
    if parts.scheme != "https" or not parts.netloc or parts.path or parts.query or parts.fragment:
        raise ConfigError(f"PUBLIC_BASE_URL must be https://host[:port] with no path, not {url!r}")


def _check_wechat(appid: str, secret: str, url: str) -> None:
    """The `wechat` provider is on with an appid: it needs the secret, and sends both to WeChat over https only."""
    if bool(appid) != bool(secret):
        raise ConfigError("WECHAT_APPID and WECHAT_SECRET must be set together (the mini-program's one-tap sign-in)")
    if appid and not url.startswith("https://"):
        raise ConfigError(f"WECHAT_CODE2SESSION_URL must be an https:// address, not {url!r}")


CONFIGS = {cls.ENV_NAME: cls for cls in (DevelopmentConfig, TestConfig, ProductionConfig)}


def load_config(instance_path: str, env_name: str | None = None) -> BaseConfig:
    """Build the configuration for APP_ENV (development unless told otherwise)."""
    name = env_name or os.environ.get("APP_ENV", "development")
    if name not in CONFIGS:
        raise ConfigError(f"APP_ENV must be one of {', '.join(CONFIGS)}, not {name!r}")
    return CONFIGS[name](instance_path)
