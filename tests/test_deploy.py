"""The deployment files: the systemd units pass `systemd-analyze verify`, the example environment names every
variable the service reads, and deploy/nginx/xinyi.conf, run by a real nginx in front of gunicorn, serves the
citizen, counter and console over HTTPS and HTTP/2 with the client's address and scheme the app believes."""
import datetime as dt
import os
import re
import shutil
import signal
import socket
import ssl
import subprocess
import tempfile
import time
from pathlib import Path

import pytest
import requests
from cryptography import x509
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ec
from cryptography.x509.oid import NameOID
from requests.adapters import HTTPAdapter

from app.services import accounts
from tests.conftest import POSTGRES_URL
from tests.helpers import identity, list_identity
from tests.live_server import ROOT, STAFF_PASSWORD, LiveServer, own_group_ended_with_parent
from wsgi import create_app

DEPLOY = ROOT / "deploy"
UNITS = sorted((DEPLOY / "systemd").glob("xinyi*"))
SETTING_READERS = ("app/config.py", "app/db/postgres.py", "gunicorn.conf.py")
READ = re.compile(r"""(?:environ|env)\.get\(\s*["']([A-Z][A-Z0-9_]*)["']|getenv\(\s*["']([A-Z][A-Z0-9_]*)["']""")
HARDENED = {"User": "xinyi", "NoNewPrivileges": "yes", "ProtectSystem": "strict", "ProtectHome": "yes",
            "PrivateTmp": "yes", "EnvironmentFile": "/etc/xinyi/xinyi.env"}


def settings(path: Path) -> dict[str, list[str]]:
    """A unit file's settings, each key with its values in order."""
    found: dict[str, list[str]] = {}
    for line in path.read_text().splitlines():
        if "=" in line and not line.startswith(("#", ";", "[")):
            key, value = line.split("=", 1)
            found.setdefault(key.strip(), []).append(value.strip())
    return found


def example_environment() -> dict[str, str]:
    lines = (DEPLOY / "xinyi.env.example").read_text().splitlines()
    return dict(match.groups() for line in lines if (match := re.match(r"#? ?([A-Z][A-Z0-9_]*)=(.*)$", line)))


@pytest.mark.nodb
def test_systemd_analyze_verifies_the_units(tmp_path):
    """In a root of their own: the distribution's units, these, and a stand-in for each program they start."""
    analyze = shutil.which("systemd-analyze")
    if analyze is None:
        pytest.skip("systemd-analyze is not installed (scripts/bootstrap.sh test installs Debian's systemd)")
    root = tmp_path / "root"
    shutil.copytree("/usr/lib/systemd/system", root / "usr/lib/systemd/system", symlinks=True)
    (root / "etc/systemd/system").mkdir(parents=True)
    for unit in UNITS:
        shutil.copy(unit, root / "etc/systemd/system" / unit.name)
        for commands in (values for key, values in settings(unit).items() if key.startswith("Exec")):
            for command in commands:
                program = root / command.lstrip("-@:+!").split()[0].lstrip("/")
                program.parent.mkdir(parents=True, exist_ok=True)
                program.write_text("#!/bin/sh\n")
                program.chmod(0o755)
    checked = subprocess.run([analyze, "verify", f"--root={root}", "--man=no", "--generators=no",
                              *(unit.name for unit in UNITS)], capture_output=True, text=True, timeout=120)
    # A setting systemd cannot parse is only a warning ("…, ignoring"): any word from it is a failure.
    assert (checked.returncode, checked.stdout + checked.stderr) == (0, "")


@pytest.mark.nodb
def test_the_units_are_hardened_and_the_jobs_run_daily():
    units = {unit.name: settings(unit) for unit in UNITS}
    service = units["xinyi.service"]
    assert "gunicorn" in service["ExecStart"][0] and service["Restart"] == ["on-failure"]
    writable = " ".join(service["ReadWritePaths"]).split()
    assert example_environment()["EVIDENCE_DIR"] in writable and "/opt/xinyi/instance" in writable
    jobs = {"rollup": "flask --app wsgi rollup", "purge": "flask --app wsgi purge --yes",
            "backup": "flask --app wsgi backup /var/backups/xinyi/"}
    for name, command in jobs.items():
        assert command in " ".join(units[f"xinyi-{name}.service"]["ExecStart"][0].replace('"', " ").split())
        assert units[f"xinyi-{name}.timer"]["OnCalendar"][0].startswith("*-*-* ")
    for name, unit in units.items():
        if name.endswith(".service"):
            assert {key: unit[key][0] for key in HARDENED} == HARDENED, name


@pytest.mark.nodb
def test_the_example_environment_names_every_variable_read():
    read = {name for path in SETTING_READERS for match in READ.finditer((ROOT / path).read_text())
            for name in match.groups() if name}
    assert len(read) > 30
    assert read - example_environment().keys() == set()


@pytest.mark.nodb
def test_nginx_takes_the_apps_body_limit():
    limit = re.search(r"client_max_body_size (\d+)m;", (DEPLOY / "nginx/xinyi.conf").read_text())
    assert int(limit.group(1)) * 1024 * 1024 == create_app("test", SQLALCHEMY_DATABASE_URI="sqlite://").config[
        "MAX_CONTENT_LENGTH"]


def _free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


def _certificate(directory: Path) -> tuple[Path, Path]:
    """A self-signed certificate for localhost, valid for a day."""
    key = ec.generate_private_key(ec.SECP256R1())
    name = x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, "localhost")])
    now = dt.datetime.now(dt.UTC)
    certificate = (x509.CertificateBuilder().subject_name(name).issuer_name(name).public_key(key.public_key())
                   .serial_number(x509.random_serial_number()).not_valid_before(now - dt.timedelta(minutes=5))
                   .not_valid_after(now + dt.timedelta(days=1))
                   .add_extension(x509.SubjectAlternativeName([x509.DNSName("localhost")]), critical=False)
                   .add_extension(x509.BasicConstraints(ca=True, path_length=None), critical=True)
                   .add_extension(x509.SubjectKeyIdentifier.from_public_key(key.public_key()), critical=False)
                   .add_extension(x509.AuthorityKeyIdentifier.from_issuer_public_key(key.public_key()),
                                  critical=False)
                   .sign(key, hashes.SHA256()))
    cert_path, key_path = directory / "cert.pem", directory / "key.pem"
    cert_path.write_bytes(certificate.public_bytes(serialization.Encoding.PEM))
    key_path.write_bytes(key.private_bytes(serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8,
                                           serialization.NoEncryption()))
    return cert_path, key_path


class Nginx:
    """deploy/nginx/xinyi.conf on loopback ports, in a directory of its own, as an unprivileged user (`nobody` when
    the tests run as root), the http block standing in for Debian's /etc/nginx/nginx.conf."""

    def __init__(self, app_port: int) -> None:
        self.binary = shutil.which("nginx") or shutil.which("nginx", path="/usr/sbin")
        if self.binary is None:
            pytest.skip("nginx is not installed (scripts/bootstrap.sh test installs Debian's nginx)")
        self.dir = Path(tempfile.mkdtemp(prefix="xinyi-nginx-"))
        self.tls_port, self.http_port = _free_port(), _free_port()
        self.cert, key = _certificate(self.dir)
        site = (DEPLOY / "nginx/xinyi.conf").read_text()
        for old, new in (("listen 443 ", f"listen 127.0.0.1:{self.tls_port} "),
                         ("listen 80;", f"listen 127.0.0.1:{self.http_port};"),
                         ("server_name xinyi.example.gov.cn;", "server_name localhost;"),
                         ("/etc/ssl/xinyi/fullchain.pem", str(self.cert)), ("/etc/ssl/xinyi/privkey.pem", str(key)),
                         ("server 127.0.0.1:8000 ", f"server 127.0.0.1:{app_port} "),
                         ("/var/cache/nginx/xinyi", str(self.dir / "cache")), ("/var/log/nginx/", f"{self.dir}/")):
            assert old in site, old
            site = site.replace(old, new)
        (self.dir / "xinyi.conf").write_text(site)
        temp = " ".join(f"{kind}_temp_path {self.dir}/{kind};" for kind in ("client_body", "proxy", "fastcgi",
                                                                             "uwsgi", "scgi"))
        (self.dir / "nginx.conf").write_text(
            f"daemon off;\nworker_processes 1;\npid {self.dir}/nginx.pid;\nerror_log {self.dir}/error.log;\n"
            f"events {{ worker_connections 64; }}\n"
            f"http {{ {temp} access_log {self.dir}/access.log; include {self.dir}/xinyi.conf; }}\n")
        self.user = {"user": "nobody", "group": "nogroup"} if os.getuid() == 0 else {}
        if self.user:
            for path in (self.dir, *self.dir.iterdir()):
                shutil.chown(path, "nobody", "nogroup")
        self.command = [self.binary, "-p", f"{self.dir}/", "-c", str(self.dir / "nginx.conf"),
                        "-e", str(self.dir / "error.log")]
        self.process: subprocess.Popen | None = None

    def start(self) -> "Nginx":
        checked = subprocess.run([*self.command, "-t"], capture_output=True, text=True, timeout=30, **self.user)
        assert checked.returncode == 0, checked.stderr
        self.process = subprocess.Popen(self.command, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL,
                                        preexec_fn=own_group_ended_with_parent, **self.user)
        deadline = time.monotonic() + 10
        while time.monotonic() < deadline and self.process.poll() is None:
            try:
                socket.create_connection(("127.0.0.1", self.tls_port), timeout=1).close()
                return self
            except OSError:
                time.sleep(0.05)
        raise RuntimeError("nginx did not start: " + self.log())

    def log(self) -> str:
        path = self.dir / "error.log"
        return path.read_text(errors="replace")[-2000:] if path.exists() else ""

    def stop(self) -> None:
        """Stop nginx and its workers (SIGTERM to the group, SIGKILL if they linger) and remove its files."""
        if self.process and self.process.poll() is None:
            os.killpg(self.process.pid, signal.SIGTERM)
            try:
                self.process.wait(timeout=10)
            except subprocess.TimeoutExpired:
                os.killpg(self.process.pid, signal.SIGKILL)
                self.process.wait(timeout=10)
        shutil.rmtree(self.dir, ignore_errors=True)


class FromAddress(HTTPAdapter):
    """Connections from a loopback address of one's own: a client nginx tells apart from itself and others."""

    def __init__(self, address: str) -> None:
        self.address = address
        super().__init__()

    def init_poolmanager(self, *args, **kwargs):
        super().init_poolmanager(*args, source_address=(self.address, 0), **kwargs)


def client_at(address: str, cert: Path) -> requests.Session:
    session = requests.Session()
    session.mount("https://", FromAddress(address))
    session.verify = str(cert)
    session.trust_env = False  # else REQUESTS_CA_BUNDLE would replace the certificate to verify against
    return session


@pytest.fixture
def proxied(app, database_url, catalogue, tmp_path):
    """gunicorn believing one proxy at 127.0.0.1 (one worker: per-address limits counted in one place), and nginx
    with the site in front of it; both stopped after the test."""
    accounts.create_account("gate_bus", STAFF_PASSWORD, "staff", "test", venue_id=catalogue["BUS"].id)
    accounts.create_account("proxy_admin", STAFF_PASSWORD, "admin", "test")
    server = LiveServer(database_url, tmp_path / "server.log")
    server.env.update(TRUSTED_PROXIES="1", PROXY_ADDRESSES="127.0.0.1", WEB_CONCURRENCY="1",
                      ACCESS_LOG=str(tmp_path / "access.log"))
    server.start()
    nginx = Nginx(server.port)
    try:
        yield nginx.start(), tmp_path / "access.log"
    finally:
        nginx.stop()
        server.kill()


def _form_token(page: requests.Response) -> str:
    return re.search(r'name="csrf_token" value="([^"]+)"', page.text).group(1)


@pytest.mark.skipif(bool(POSTGRES_URL), reason="the proxy does not depend on the database: run in the SQLite pass")
def test_nginx_serves_citizens_counters_and_the_console_over_https(proxied, today):
    nginx, access_log = proxied
    site = f"https://localhost:{nginx.tls_port}"
    citizen, counter = client_at("127.0.0.2", nginx.cert), client_at("127.0.0.3", nginx.cert)

    tls = ssl.create_default_context(cafile=str(nginx.cert))
    tls.set_alpn_protocols(["h2", "http/1.1"])
    with socket.create_connection(("127.0.0.1", nginx.tls_port)) as raw, \
            tls.wrap_socket(raw, server_hostname="localhost") as connection:
        assert connection.selected_alpn_protocol() == "h2"
    with socket.create_connection(("127.0.0.1", nginx.tls_port)) as raw, pytest.raises(ssl.SSLError):
        tls.wrap_socket(raw, server_hostname="not-this-site.example")  # no certificate for other names
    plain = requests.get(f"http://localhost:{nginx.http_port}/m/?a=1", allow_redirects=False, timeout=10)
    assert (plain.status_code, plain.headers["Location"]) == (301, "https://localhost/m/?a=1")

    # A citizen signs in (dev provider) on the pages — a form whose CSRF check compares the Referer with the host
    # the app sees — and through the API, and shows a code.
    who = list_identity(identity(2601, name="郑代理"), today)
    form = citizen.get(site + "/m/login", timeout=10)
    signed_in = citizen.post(site + "/m/login", allow_redirects=False, timeout=10, headers={"Referer": form.url},
                             data={"csrf_token": _form_token(form), "kind": who.kind, "name": who.name,
                                   "id_number": who.number})
    assert signed_in.status_code == 302, signed_in.text[:300]
    login = citizen.post(site + "/api/v1/auth/login", json=who.login_body(), timeout=10)
    assert login.status_code == 200 and login.headers["Strict-Transport-Security"].startswith("max-age=")
    code = citizen.get(site + "/api/v1/me/qrcode", timeout=10,
                       headers={"Authorization": f"Bearer {login.json()['access_token']}"}).json()["token"]

    # The counter signs in and verifies it. Its sign-ins are counted against the address nginx saw (127.0.0.3),
    # whatever X-Forwarded-For it sends itself; the citizen's address (127.0.0.2) has a count of its own.
    remaining = []
    for spoofed in ("203.0.113.7", "198.51.100.9"):
        staff = counter.post(site + "/api/v1/staff/login", json={"username": "gate_bus", "password": STAFF_PASSWORD},
                             headers={"X-Forwarded-For": spoofed}, timeout=10)
        remaining.append(int(staff.headers["X-RateLimit-Remaining"]))
    elsewhere = citizen.post(site + "/api/v1/staff/login", json={"username": "gate_bus", "password": "wrong-pass"},
                             timeout=10)
    assert remaining[1] == remaining[0] - 1 and int(elsewhere.headers["X-RateLimit-Remaining"]) == remaining[0]
    verified = counter.post(site + "/api/v1/scan/verify", json={"token": code}, timeout=10,
                            headers={"Authorization": f"Bearer {staff.json()['access_token']}"})
    assert verified.json()["valid"] is True and "Strict-Transport-Security" in verified.headers

    # The console's sign-in page and sign-in; its hashed static files cached by nginx for a year.
    page = counter.get(site + "/admin/login", timeout=10)
    assert page.status_code == 200 and "Strict-Transport-Security" in page.headers
    console = counter.post(site + "/admin/login", allow_redirects=False, timeout=10, headers={"Referer": page.url},
                           data={"csrf_token": _form_token(page), "username": "proxy_admin",
                                 "password": STAFF_PASSWORD})
    assert console.status_code == 302, console.text[:300]
    asset = re.search(r'"(/[\w/.-]*static/[\w.-]+\.[0-9a-f]{8}\.css)"', page.text).group(1)
    first, again = (counter.get(site + asset, timeout=10) for _ in range(2))
    assert (first.headers["X-Cache-Status"], again.headers["X-Cache-Status"]) == ("MISS", "HIT")
    assert again.headers["Cache-Control"] == "public, max-age=31536000, immutable" and again.content == first.content

    # Metrics never pass the proxy, however the path is written; gunicorn never sees them asked for.
    for path in ("/metrics", "/metrics/", "/%6Detrics", "//metrics?x=1"):
        assert counter.get(site + path, timeout=10).status_code == 404, path
    served = access_log.read_text()
    assert "/api/v1/scan/verify" in served and "metrics" not in served and served.count(asset) == 1
