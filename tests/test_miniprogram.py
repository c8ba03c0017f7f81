"""The mini-program's own tests, run from the suite: jest renders every page with wx faked, and the integration test
drives its API module against gunicorn on loopback with the WeChat stand-in (miniprogram/test/integration.test.js)."""
import io
import os
import shutil
import subprocess
from pathlib import Path

import pytest
from PIL import Image

from app.domain.dates import today
from app.services import accounts
from tests.helpers import identity, list_identity
from tests.live_server import STAFF_PASSWORD, LiveServer

MINIPROGRAM = Path(__file__).resolve().parents[1] / "miniprogram"


def jest(*args: str, env: dict[str, str] | None = None) -> subprocess.CompletedProcess:
    """`npx jest ARGS` in miniprogram/ (its node_modules installed by scripts/bootstrap.sh test), output kept."""
    if shutil.which("npx") is None or not (MINIPROGRAM / "node_modules" / ".bin" / "jest").exists():
        pytest.fail("Node or miniprogram/node_modules missing: run scripts/bootstrap.sh test")
    return subprocess.run(["npx", "--no-install", "jest", "--ci", *args], cwd=MINIPROGRAM, capture_output=True,
                          text=True, timeout=300, env=os.environ | {"CI": "true"} | (env or {}))


@pytest.mark.nodb
def test_pages_and_components_render_with_wx_faked():
    result = jest("--testPathIgnorePatterns", "integration")
    assert result.returncode == 0, result.stdout[-4000:] + result.stderr[-6000:]
    assert " failed" not in result.stderr and "Tests:" in result.stderr


@pytest.fixture
def stand_in():
    wechat_standin = pytest.importorskip("tests.wechat_standin")
    stand_in = wechat_standin.WechatStandIn()
    yield stand_in
    stand_in.stop()


def test_api_module_against_the_real_backend(app, database_url, catalogue, measure_id, stand_in, tmp_path):
    who = list_identity(identity(2701, name="林守信"), today())
    accounts.create_account("gate_mp", STAFF_PASSWORD, "staff", "test", venue_id=catalogue["BUS"].id)
    photo = tmp_path / "proof.jpg"
    image = io.BytesIO()
    Image.new("RGB", (640, 480), (200, 180, 120)).save(image, "JPEG")
    photo.write_bytes(image.getvalue())
    server = LiveServer(database_url, tmp_path / "server.log")
    server.env.update(stand_in.settings, EVIDENCE_DIR=app.config["EVIDENCE_DIR"])
    server.start()
    try:
        result = jest("integration", env={
            "XINYI_SERVER": server.url, "WECHAT_USER": "mp-citizen", "CITIZEN_NAME": who.name,
            "CITIZEN_ID_NUMBER": who.number, "STAFF_USERNAME": "gate_mp", "STAFF_PASSWORD": STAFF_PASSWORD,
            "MEASURE_ID": str(measure_id), "PHOTO": str(photo)})
    finally:
        server.kill()
    assert result.returncode == 0, result.stdout[-4000:] + result.stderr[-6000:]
    assert "7 passed" in result.stderr  # none skipped: the server's address reached the test
