"""Production refuses to start with secrets anyone could know (issue 22, point 8): each refusal names its variable;
`generate-secrets` prints values a production app starts with; the SQLite files are the service user's alone and
evidence stays 0700; the platform sign-in's return address comes from PUBLIC_BASE_URL whatever Host says."""
import base64
import io
import os
import stat
import subprocess
import sys
from pathlib import Path
from urllib.parse import parse_qs, urlsplit

import pytest
from flask_migrate import upgrade
from PIL import Image

from app.config import ConfigError, DevelopmentConfig, load_config
from app.domain import codes
from app.domain.dates import today
from app.extensions import db
from tests.helpers import identity, list_identity, login
from tests.live_server import ROOT
from wsgi import create_app

GOOD = {"DATABASE_URL": "sqlite://", "SECRET_KEY": "s" * 32, "ID_HASH_KEY": "i" * 32, "CODE_SIGNING_KEYS": "k" * 43,
        "CODE_SEAL_SECRET": "z" * 43, "RATELIMIT_STORAGE_URI": "redis://127.0.0.1:6379/0"}
DEV = DevelopmentConfig._FALLBACKS


def _b64(seed: bytes) -> str:
    return base64.urlsafe_b64encode(seed).decode().rstrip("=")


def _same_key_id() -> str:
    """Two signing keys whose public keys share the first byte of their SHA-256 (1 pair in 256 does)."""
    seen = {}
    for number in range(256):
        seed = bytes([number]) * 32
        other = seen.setdefault(codes.key_id(codes.public_key(seed)), seed)
        if other != seed:
            return f"{_b64(other)},{_b64(seed)}"
    raise AssertionError("no two of 256 keys share a key id")


@pytest.fixture
def production_env(monkeypatch):
    """An environment production accepts, every other setting of this process's environment left out."""
    for name in ("APP_ENV", "DEV_LOGIN", "PUBLIC_BASE_URL", "GOV_IDP_AUTHORIZE_URL", "GOV_IDP_TOKEN_URL",
                 "GOV_IDP_CLIENT_SECRET", *GOOD):
        monkeypatch.delenv(name, raising=False)
    for name, value in GOOD.items():
        monkeypatch.setenv(name, value)
    return monkeypatch


@pytest.mark.nodb
def test_an_environment_with_strong_secrets_is_accepted(production_env, tmp_path):
    config = vars(load_config(str(tmp_path), "production"))
    assert config["SECRET_KEY"] == GOOD["SECRET_KEY"]
    assert (config["CODE_SIGNING_KEYS"], config["CODE_SEAL_SECRET"]) == (
        [base64.urlsafe_b64decode("k" * 43 + "=")], base64.urlsafe_b64decode("z" * 43 + "="))


@pytest.mark.nodb
@pytest.mark.parametrize("settings, named", [
    ({"SECRET_KEY": DEV["SECRET_KEY"]}, "SECRET_KEY is the development value"),
    ({"SECRET_KEY": "x"}, "SECRET_KEY is shorter than 32 bytes"),
    ({"SECRET_KEY": "s" * 31}, "SECRET_KEY is shorter than 32 bytes"),
    ({"ID_HASH_KEY": DEV["ID_HASH_KEY"]}, "ID_HASH_KEY is the development value"),
    ({"ID_HASH_KEY": "短密钥"}, "ID_HASH_KEY is shorter than 32 bytes"),
    ({"CODE_SIGNING_KEYS": DEV["CODE_SIGNING_KEYS"]}, "CODE_SIGNING_KEYS is the development value"),
    ({"CODE_SIGNING_KEYS": "k" * 43 + "," + DEV["CODE_SIGNING_KEYS"]},
     "CODE_SIGNING_KEYS (key 2 of 2) is the development"),
    ({"CODE_SIGNING_KEYS": "old-short," + "k" * 43}, "CODE_SIGNING_KEYS (key 1 of 2) is not 32 bytes in base64url"),
    ({"CODE_SIGNING_KEYS": "k" * 44}, "CODE_SIGNING_KEYS is not 32 bytes"),
    ({"CODE_SIGNING_KEYS": "k" * 42 + "*"}, "CODE_SIGNING_KEYS is not 32 bytes"),
    ({"CODE_SIGNING_KEYS": ""}, "CODE_SIGNING_KEYS must be set"),
    ({"CODE_SEAL_SECRET": DEV["CODE_SEAL_SECRET"]}, "CODE_SEAL_SECRET is the development value"),
    ({"CODE_SEAL_SECRET": "z" * 42}, "CODE_SEAL_SECRET is not 32 bytes"),
    ({"CODE_SEAL_SECRET": "z" * 43 + "," + "y" * 43}, "CODE_SEAL_SECRET is one value"),
    ({"CODE_SEAL_SECRET": ""}, "CODE_SEAL_SECRET must be set"),
    ({"CODE_SIGNING_KEYS": None}, "CODE_SIGNING_KEYS holds two keys with the same key id"),
    ({"DEV_LOGIN": "1"}, "DEV_LOGIN"),
    ({"SECRET_KEY": ""}, "SECRET_KEY must be set"),
    ({"DATABASE_URL": ""}, "DATABASE_URL must be set"),
    ({"RATELIMIT_STORAGE_URI": "memory://"}, "RATELIMIT_STORAGE_URI"),
    ({"GOV_IDP_AUTHORIZE_URL": "https://platform.example/authorize"}, "PUBLIC_BASE_URL must be set"),
    ({"PUBLIC_BASE_URL": "http://xinyi.example.gov.cn"}, "PUBLIC_BASE_URL must be https://"),
    ({"PUBLIC_BASE_URL": "https://xinyi.example.gov.cn/m/"}, "PUBLIC_BASE_URL must be https://"),
])
def test_each_refused_setting_names_its_variable(production_env, tmp_path, settings, named):
    for name, value in settings.items():
        production_env.setenv(name, _same_key_id() if value is None else value)
    with pytest.raises(ConfigError) as refused:
        load_config(str(tmp_path), "production")
    assert named in str(refused.value)


@pytest.mark.nodb
def test_a_real_start_stops_with_the_message(tmp_path):
    env = os.environ | GOOD | {"APP_ENV": "production", "SECRET_KEY": "too-short", "BIND": "127.0.0.1:0",
                               "WEB_CONCURRENCY": "1"}
    started = subprocess.run([sys.executable, "-m", "gunicorn", "-c", "gunicorn.conf.py", "wsgi:create_app()"],
                             cwd=ROOT, env=env, capture_output=True, text=True, timeout=60)
    assert started.returncode != 0 and "SECRET_KEY is shorter than 32 bytes" in started.stderr


def _generated(command: str = "generate-secrets") -> dict[str, str]:
    env = {name: value for name, value in os.environ.items() if name != "APP_ENV"}
    printed = subprocess.run([sys.executable, "-m", "flask", "--app", "wsgi", command], cwd=ROOT, env=env,
                             capture_output=True, text=True, timeout=60, check=True)
    return dict(line.split("=", 1) for line in printed.stdout.splitlines())


def test_generated_secrets_start_a_production_app(production_env, database_url, tmp_path):
    first, second, keys = _generated(), _generated(), _generated("generate-keys")
    assert set(first) == {"SECRET_KEY", "ID_HASH_KEY", "CODE_SIGNING_KEYS", "CODE_SEAL_SECRET"}
    assert set(keys) == {"CODE_SIGNING_KEYS", "CODE_SEAL_SECRET"}
    assert all(len(value.encode()) >= 32 and first[name] != second[name] for name, value in first.items())
    assert all(keys[name] not in (first[name], second[name]) for name in keys)
    for name, value in {**first, **keys, "DATABASE_URL": database_url}.items():
        production_env.setenv(name, value)
    app = create_app("production", EVIDENCE_DIR=str(tmp_path / "evidence"))
    assert app.config["SECRET_KEY"] == first["SECRET_KEY"]
    assert app.config["CODE_SIGNING_KEYS"] == [base64.urlsafe_b64decode(keys["CODE_SIGNING_KEYS"] + "=")]
    assert app.config["CODE_SEAL_SECRET"] == base64.urlsafe_b64decode(keys["CODE_SEAL_SECRET"] + "=")
    assert app.test_client().get("/api/v1/measures").status_code == 200
    with app.app_context():
        db.engine.dispose()


def _mode(path: Path) -> int:
    return stat.S_IMODE(path.stat().st_mode)


@pytest.mark.nodb
def test_a_new_sqlite_database_and_its_wal_are_the_service_users_alone(tmp_path):
    path = tmp_path / "fresh" / "xinyi.sqlite3"
    path.parent.mkdir()
    app = create_app("test", SQLALCHEMY_DATABASE_URI=f"sqlite:///{path}")
    with app.app_context():
        upgrade()  # writes: the WAL and its shared-memory index are created
        files = [path, Path(f"{path}-wal"), Path(f"{path}-shm")]
        assert all(file.exists() for file in files)
        assert [_mode(file) for file in files] == [0o600] * 3
        db.engine.dispose()


@pytest.mark.nodb
def test_an_existing_readable_database_is_made_private(tmp_path):
    path = tmp_path / "old.sqlite3"
    for name in (path, Path(f"{path}-wal")):
        name.touch(mode=0o644)
        name.chmod(0o644)
    app = create_app("test", SQLALCHEMY_DATABASE_URI=f"sqlite:///{path}")
    assert [_mode(path), _mode(Path(f"{path}-wal"))] == [0o600, 0o600]
    with app.app_context():
        db.engine.dispose()


def test_evidence_stays_in_a_directory_of_its_own(app, client, catalogue):
    who = list_identity(identity(231, name="秦守信"), today())
    image = io.BytesIO()
    Image.new("RGB", (20, 20), (0, 120, 0)).save(image, "PNG")
    filed = client.post("/api/v1/objections", headers=login(client, who), content_type="multipart/form-data",
                        data={"type": "wrongly_suspended", "statement": "我的名单被错误暂停，请核实。",
                              "entry_id": str(who.subject().entries[0].id),
                              "evidence": [(io.BytesIO(image.getvalue()), "a.png")]})
    assert filed.status_code == 201, filed.get_data(as_text=True)
    assert _mode(Path(app.config["EVIDENCE_DIR"])) == 0o700


def test_the_platforms_return_address_comes_from_public_base_url_whatever_host_says(app, client, catalogue):
    app.config.update(DEV_LOGIN=False, PUBLIC_BASE_URL="https://xinyi.example.gov.cn",
                      GOV_IDP_AUTHORIZE_URL="https://platform.example/oauth/authorize",
                      GOV_IDP_TOKEN_URL="https://platform.example/oauth/token", GOV_IDP_CLIENT_ID="xinyi",
                      GOV_IDP_CLIENT_SECRET="s3cret")
    for headers in ({}, {"Host": "evil.example"}, {"X-Forwarded-Host": "evil.example", "Host": "evil.example:8443"}):
        sent = client.get("/m/login/gov", headers=headers)
        assert sent.status_code == 302 and sent.headers["Location"].startswith("https://platform.example/")
        query = parse_qs(urlsplit(sent.headers["Location"]).query)
        assert query["redirect_uri"] == ["https://xinyi.example.gov.cn/m/login/gov/return"], headers
