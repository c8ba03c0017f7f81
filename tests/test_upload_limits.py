"""What one evidence upload may cost: the pixel cap read from the header before any decoding, images decoded small
(JPEG draft, averaging in bands) and stored at most at the long edge, a worker's memory within ~200 MB for the largest
image allowed; evidence leaves uncached, and a PDF only as a download."""
import io
import json
import os
import random
import struct
import subprocess
import sys
import time
import zlib

import pytest
import sqlalchemy as sa
from PIL import Image

from app.extensions import db
from app.models import Complaint, Evidence
from app.services import accounts
from tests.helpers import citizen_pages, console_login, identity, list_identity, login

PASSWORD = "upload-pass"
MEGABYTE = 1024 * 1024
PDF = b"%PDF-1.4\n1 0 obj<<>>endobj\ntrailer<<>>\n%%EOF\n"


@pytest.fixture
def citizen(client, catalogue, today):
    who = list_identity(identity(61, name="宋守诺"), today)
    return who, login(client, who)


def _file(client, headers, *files):
    """A complaint with evidence through the citizen API."""
    return client.post("/api/v1/complaints", headers=headers, content_type="multipart/form-data",
                       data={"kind": "complaint", "content": "柜台拒绝了我的优惠，附上照片。",
                             "evidence": [(io.BytesIO(content), name) for name, content in files]})


def _chunk(kind: bytes, body: bytes) -> bytes:
    return struct.pack(">I", len(body)) + kind + body + struct.pack(">I", zlib.crc32(kind + body))


def _bilevel_png(width: int, height: int) -> bytes:
    """A valid 1-bit PNG written by hand: a few kilobytes of zlib for any size (Pillow would allocate it first)."""
    row = b"\x00" + bytes((width + 7) // 8)
    compressor = zlib.compressobj(9)
    pixels = b"".join(compressor.compress(row * 1000) for _ in range(height // 1000))
    pixels += compressor.compress(row * (height % 1000)) + compressor.flush()
    return (b"\x89PNG\r\n\x1a\n" + _chunk(b"IHDR", struct.pack(">IIBBBBB", width, height, 1, 0, 0, 0, 0))
            + _chunk(b"IDAT", pixels) + _chunk(b"IEND", b""))


def _encoded(image: Image.Image, fmt: str, **options) -> bytes:
    buffer = io.BytesIO()
    image.save(buffer, fmt, **options)
    return buffer.getvalue()


def _stored(app, evidence_id: int) -> Image.Image:
    db.session.expire_all()
    row = db.session.get(Evidence, evidence_id)
    return Image.open(os.path.join(app.config["EVIDENCE_DIR"], row.stored_name))


def _count(model) -> int:
    db.session.expire_all()
    return db.session.scalar(sa.select(sa.func.count()).select_from(model))


# ---- the pixel cap and decoding -------------------------------------------------------------------------------

def test_a_13000_square_png_is_refused_from_its_header_in_under_a_second(app, client, citizen):
    bomb = _bilevel_png(13000, 13000)
    assert len(bomb) < 100_000
    started = time.perf_counter()
    answer = _file(client, citizen[1], ("bomb.png", bomb))
    elapsed = time.perf_counter() - started
    error = answer.get_json()["error"]
    assert (answer.status_code, error["code"]) == (422, "evidence_too_many_pixels")
    assert "4000 万像素" in error["message"] and "bomb.png" in error["fields"]["evidence"]
    assert elapsed < 1.0, f"{elapsed:.2f} s"
    assert _count(Complaint) == 0 and _count(Evidence) == 0


def test_the_pixel_cap_is_configured_and_said_in_words(app, client, citizen):
    app.config["EVIDENCE_MAX_PIXELS"] = 1_000_000
    at_cap = _file(client, citizen[1], ("at.png", _encoded(Image.new("RGB", (1000, 1000), "white"), "PNG")))
    assert at_cap.status_code == 201, at_cap.get_json()
    past = _file(client, citizen[1], ("past.jpg", _encoded(Image.new("RGB", (1001, 1000), "white"), "JPEG")))
    assert past.status_code == 422 and "100 万像素" in past.get_json()["error"]["message"]


def test_a_large_photo_is_stored_upright_at_the_long_edge_without_its_metadata(app, client, citizen):
    exif = Image.Exif()
    exif[0x0112] = 6  # Orientation: the camera was turned, the picture must be rotated 90° to stand upright
    exif[0x010F] = "SecretCam"
    photo = _encoded(Image.new("RGB", (6000, 4000), (30, 160, 30)), "JPEG", exif=exif, quality=85)
    answer = _file(client, citizen[1], ("photo.jpg", photo))
    assert answer.status_code == 201, answer.get_json()
    stored = _stored(app, answer.get_json()["evidence"][0]["id"])
    assert stored.size == (1365, 2048) and not stored.getexif()
    app.config["EVIDENCE_MAX_LONG_EDGE"] = 1600
    scan = _file(client, citizen[1], ("scan.png", _encoded(Image.new("RGBA", (5000, 3000), (0, 0, 0, 0)), "PNG")))
    assert _stored(app, scan.get_json()["evidence"][0]["id"]).size == (1600, 960)


def test_a_small_image_keeps_its_size_and_a_palette_or_grey_one_its_mode(app, client, citizen):
    for mode, size in (("RGB", (640, 480)), ("P", (3000, 500)), ("I;16", (2500, 2500))):
        answer = _file(client, citizen[1], (f"{mode}.png", _encoded(Image.new(mode, size), "PNG")))
        assert answer.status_code == 201, (mode, answer.get_json())
        stored = _stored(app, answer.get_json()["evidence"][0]["id"])
        assert stored.mode == mode and max(stored.size) == min(max(size), 2048), (mode, stored.size)


# ---- memory: the largest image allowed, measured in a process of its own --------------------------------------

UPLOAD_IN_A_FRESH_PROCESS = r"""
import io, json, sys
from PIL import Image
from tests.helpers import Identity, login
from wsgi import create_app


def status(field):
    with open("/proc/self/status") as lines:
        return next(int(line.split()[1]) for line in lines if line.startswith(field)) * 1024


url, evidence_dir, path, who = sys.argv[1], sys.argv[2], sys.argv[3], Identity(*json.loads(sys.argv[4]))
app = create_app("test", SQLALCHEMY_DATABASE_URI=url, DEV_LOGIN=True, EVIDENCE_DIR=evidence_dir)
with app.app_context():
    client = app.test_client()
    headers = login(client, who)

    def upload(name, content):
        return client.post("/api/v1/complaints", headers=headers, content_type="multipart/form-data",
                           data={"kind": "complaint", "content": "柜台的照片很大",
                                 "evidence": [(io.BytesIO(content), name)]})

    small = io.BytesIO()
    Image.new("RGB", (64, 64)).save(small, "PNG")
    upload("warm.png", small.getvalue())  # every module loaded and connection opened before the baseline
    with open(path, "rb") as handle:
        data = handle.read()
    with open("/proc/self/clear_refs", "w") as refs:
        refs.write("5")  # the peak (VmHWM) starts again from the resident size now
    before = status("VmRSS")
    answer = upload(path.rsplit("/", 1)[-1], data)
    print(json.dumps({"status": answer.status_code, "grew": status("VmHWM") - before, "body": answer.get_json()}))
"""


def _noise_jpeg() -> bytes:
    """40 MP of smooth random colour (plain noise would not fit 5 MB at any quality)."""
    rng = random.Random(22)
    coarse = Image.frombytes("RGB", (457, 343), rng.randbytes(457 * 343 * 3))
    return _encoded(coarse.resize((7300, 5475), Image.Resampling.BILINEAR), "JPEG", quality=75)


def _blocky_png() -> bytes:
    """40 MP RGB in large flat blocks: a small file that still decodes to 160 MB."""
    rng = random.Random(22)
    coarse = Image.frombytes("RGB", (115, 86), rng.randbytes(115 * 86 * 3))
    return _encoded(coarse.resize((7300, 5475), Image.Resampling.NEAREST), "PNG")


@pytest.mark.parametrize("make, name", [(_noise_jpeg, "noise.jpg"), (_blocky_png, "blocks.png")])
def test_the_largest_image_allowed_raises_a_process_by_less_than_200_mb(app, database_url, citizen, tmp_path,
                                                                       make, name):
    data = make()
    assert len(data) <= 5 * MEGABYTE
    with Image.open(io.BytesIO(data)) as image:
        assert image.width * image.height == 39_967_500 <= app.config["EVIDENCE_MAX_PIXELS"]
    path = tmp_path / name
    path.write_bytes(data)
    who = citizen[0]
    db.session.remove()  # the child writes to the same database
    child = subprocess.run(
        [sys.executable, "-c", UPLOAD_IN_A_FRESH_PROCESS, database_url, app.config["EVIDENCE_DIR"], str(path),
         json.dumps([who.kind, who.name, who.number])],
        capture_output=True, text=True, timeout=120, cwd=os.path.dirname(os.path.dirname(__file__)))
    assert child.returncode == 0, child.stderr[-3000:]
    measured = json.loads(child.stdout.strip().splitlines()[-1])
    assert measured["status"] == 201, measured["body"]
    assert measured["grew"] < 200 * MEGABYTE, f"{measured['grew'] / MEGABYTE:.0f} MB"
    assert max(_stored(app, measured["body"]["evidence"][0]["id"]).size) == 2048


# ---- how evidence leaves --------------------------------------------------------------------------------------

@pytest.fixture
def reviewer(client, catalogue):
    accounts.create_account("upload_reviewer", PASSWORD, "reviewer", "test")
    token = client.post("/api/v1/admin/login", json={"username": "upload_reviewer", "password": PASSWORD})
    return {"Authorization": f"Bearer {token.get_json()['access_token']}"}


@pytest.fixture
def filed(client, citizen, reviewer):
    """A complaint with a photo and a PDF; the ids of the case, the photo and the PDF."""
    answer = _file(client, citizen[1], ("photo.png", _encoded(Image.new("RGB", (40, 30)), "PNG")),
                   ("letter.pdf", PDF))
    assert answer.status_code == 201, answer.get_json()
    body = answer.get_json()
    return body["id"], body["evidence"][0]["id"], body["evidence"][1]["id"]


def test_every_evidence_answer_is_no_store_and_a_pdf_always_a_download(app, client, citizen, reviewer, filed):
    case_id, photo_id, pdf_id = filed
    pages, console = citizen_pages(app, citizen[0]), app.test_client()
    console_login(console, "upload_reviewer", PASSWORD)
    answers = {}
    for evidence_id in (photo_id, pdf_id):
        answers["citizen api", evidence_id] = client.get(
            f"/api/v1/complaints/{case_id}/evidence/{evidence_id}", headers=citizen[1])
        answers["admin api", evidence_id] = client.get(
            f"/api/v1/admin/complaints/{case_id}/evidence/{evidence_id}", headers=reviewer)
        answers["citizen page", evidence_id] = pages.get(f"/m/complaint/{case_id}/evidence/{evidence_id}")
        for query in ("", "?download=1"):
            answers[f"console{query}", evidence_id] = console.get(
                f"/admin/complaint/{case_id}/evidence/{evidence_id}{query}")
    for (where, evidence_id), answer in answers.items():
        assert answer.status_code == 200, (where, evidence_id)
        assert answer.headers["Cache-Control"] == "no-store", (where, evidence_id)
        assert answer.headers["X-Content-Type-Options"] == "nosniff"
        inline = where == "console" and evidence_id == photo_id
        disposition = answer.headers["Content-Disposition"]
        assert disposition.startswith("inline" if inline else "attachment"), (where, evidence_id, disposition)
    assert answers["console", pdf_id].data == PDF and answers["console", pdf_id].mimetype == "application/pdf"


def test_the_console_case_page_offers_a_pdf_as_a_download_only(app, filed):
    case_id, photo_id, pdf_id = filed
    console = app.test_client()
    console_login(console, "upload_reviewer", PASSWORD)
    page = console.get(f"/admin/complaints/{case_id}")
    html = page.get_data(as_text=True)
    assert page.headers["Cache-Control"] == "no-store"
    pdf_url = f"/admin/complaint/{case_id}/evidence/{pdf_id}"
    assert f'<a href="{pdf_url}" download>下载 letter.pdf</a>' in html
    assert not any(tag in html for tag in ("<iframe", "<object", "<embed"))
    assert f'<img src="/admin/complaint/{case_id}/evidence/{photo_id}"' in html
