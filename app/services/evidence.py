"""Evidence files for objections and complaints: JPEG, PNG or PDF by content, metadata stripped, stored privately;
images past a pixel cap refused from their header, decoded small, stored at most at a long edge (README, "Limits")."""
import hashlib
import io
import os
import re
import uuid
import warnings
from dataclasses import dataclass

from flask import current_app
from PIL import Image, ImageFile, ImageOps, UnidentifiedImageError

from app import metrics
from app.errors import DomainError, NotFound
from app.extensions import db
from app.models import Evidence

MAX_FILE_BYTES = 5 * 1024 * 1024
MAX_FILES = 5
PDF_TAIL_BYTES = 2048
_SIGNATURES = ((b"\xff\xd8\xff", "image/jpeg"), (b"\x89PNG\r\n\x1a\n", "image/png"), (b"%PDF-", "application/pdf"))
_EXTENSIONS = {"image/jpeg": ".jpg", "image/png": ".png", "application/pdf": ".pdf"}
# Modes Image.reduce averages (palette, 1-bit and 16-bit grey are resampled straight to size instead).
_REDUCIBLE = frozenset({"L", "LA", "I", "RGB", "RGBA", "CMYK"})
_BAND_ROWS = 32  # output rows per band when averaging down: a band is a few MB at most


@dataclass(frozen=True)
class CleanFile:
    """An upload that passed every check, re-encoded where it was an image."""

    original_name: str
    content_type: str
    data: bytes


def _refuse(code: str, message: str, name: str, status: int = 422) -> DomainError:
    return DomainError(code, message, status=status, fields={"evidence": f"{name}：{message}"})


def _safe_name(name: str) -> str:
    """The uploaded name reduced to something harmless to echo back (it is never used as a path)."""
    base = os.path.basename(name.replace("\\", "/")) or "evidence"
    return re.sub(r"[^\w.\-\u4e00-\u9fff]", "_", base)[:120]


def _sniff(data: bytes) -> str | None:
    return next((kind for signature, kind in _SIGNATURES if data.startswith(signature)), None)


def _too_many_pixels(name: str) -> DomainError:
    limit = current_app.config["EVIDENCE_MAX_PIXELS"]
    return _refuse("evidence_too_many_pixels",
                   f"图片像素过多（不能超过 {limit / 10_000:g} 万像素），请缩小图片或截图后再上传", name)


def _opened(data: bytes, fmt: str, name: str) -> ImageFile.ImageFile:
    """The image with only its header read; one past the pixel cap is refused before a pixel is decoded."""
    # Pillow's own decompression-bomb check is the cap itself, so it agrees with ours; within it, never a warning.
    Image.MAX_IMAGE_PIXELS = current_app.config["EVIDENCE_MAX_PIXELS"]
    with warnings.catch_warnings():
        warnings.simplefilter("error", Image.DecompressionBombWarning)
        try:
            return Image.open(io.BytesIO(data), formats=[fmt])
        except (Image.DecompressionBombError, Image.DecompressionBombWarning):
            raise _too_many_pixels(name) from None


def _decoded_small(image: ImageFile.ImageFile, edge: int) -> Image.Image:
    """Decode at little more than `edge` on the long side: a JPEG is scaled while it is decoded (draft); anything else
    is averaged down band by band, so no second full-size copy is ever made; then resampled to fit `edge`."""
    if max(image.size) > edge and image.format == "JPEG":
        scale = edge / max(image.size)
        image.draft(None, (max(1, int(image.width * scale)), max(1, int(image.height * scale))))
    image.load()
    factor = max(image.size) // edge
    small: Image.Image = image
    if factor >= 2 and image.mode in _REDUCIBLE:
        small = Image.new(image.mode, (-(-image.width // factor), -(-image.height // factor)))
        for top in range(0, image.height, factor * _BAND_ROWS):
            band = image.crop((0, top, image.width, min(image.height, top + factor * _BAND_ROWS)))
            small.paste(band.reduce(factor), (0, top // factor))
        small.info = image.info
        image.close()  # the full-size pixels go now, before resampling allocates more
    small.thumbnail((edge, edge), reducing_gap=None)
    return small


def _reencoded(data: bytes, content_type: str, name: str) -> bytes:
    """Decode the image within bounds (a truncated one fails here) and save it again, upright and at most at the
    stored size: Pillow writes no EXIF/GPS/text unasked."""
    fmt = "JPEG" if content_type == "image/jpeg" else "PNG"
    try:
        with _opened(data, fmt, name) as image:
            upright = _decoded_small(image, current_app.config["EVIDENCE_MAX_LONG_EDGE"])
            ImageOps.exif_transpose(upright, in_place=True)  # no second copy of the decoded pixels
            buffer = io.BytesIO()
            upright.save(buffer, fmt, quality=90)
    except (UnidentifiedImageError, OSError, ValueError, SyntaxError):
        raise _refuse("evidence_corrupt", "图片已损坏或不完整", name) from None
    return buffer.getvalue()


def inspect(name: str, data: bytes) -> CleanFile:
    """Check one upload by its content, not its name; refuse with a code per problem."""
    name = _safe_name(name)
    if not data:
        raise _refuse("evidence_empty", "文件为空", name)
    if len(data) > MAX_FILE_BYTES:
        raise _refuse("evidence_too_large", f"单个文件不能超过 {MAX_FILE_BYTES // 1024 // 1024} MB", name, status=413)
    content_type = _sniff(data)
    if content_type is None:
        raise _refuse("evidence_type_not_allowed", "只接受 JPEG、PNG 图片或 PDF 文件", name, status=415)
    if content_type == "application/pdf":
        if b"%%EOF" not in data[-PDF_TAIL_BYTES:]:
            raise _refuse("evidence_corrupt", "PDF 文件不完整", name)
        return CleanFile(name, content_type, data)
    return CleanFile(name, content_type, _reencoded(data, content_type, name))


def inspect_all(uploads: list[tuple[str, bytes]]) -> list[CleanFile]:
    """Every upload checked before anything is stored, so a bad one leaves nothing behind."""
    if len(uploads) > MAX_FILES:
        raise DomainError("evidence_too_many", f"最多上传 {MAX_FILES} 个文件",
                          fields={"evidence": f"最多 {MAX_FILES} 个"})
    return [inspect(name, data) for name, data in uploads]


def _directory() -> str:
    path = str(current_app.config["EVIDENCE_DIR"])
    os.makedirs(path, mode=0o700, exist_ok=True)
    return path


def attach(case_type: str, case_id: int, files: list[CleanFile]) -> list[str]:
    """Write the files and add their rows to the caller's transaction; returns the paths written (for cleanup)."""
    written = []
    for clean in files:
        stored_name = uuid.uuid4().hex + _EXTENSIONS[clean.content_type]
        path = os.path.join(_directory(), stored_name)
        with open(path, "wb") as handle:
            handle.write(clean.data)
        written.append(path)
        metrics.evidence_written(len(clean.data))
        db.session.add(Evidence(case_type=case_type, case_id=case_id, stored_name=stored_name,
                                original_name=clean.original_name, content_type=clean.content_type,
                                size=len(clean.data), sha256=hashlib.sha256(clean.data).hexdigest()))
    return written


def remove(paths: list[str]) -> None:
    """Undo `attach` on disk when the transaction that recorded the files did not commit."""
    for path in paths:
        if os.path.exists(path):
            os.remove(path)


def for_case(case_type: str, case_id: int) -> list[Evidence]:
    return list(db.session.scalars(db.select(Evidence).where(Evidence.case_type == case_type,
                                                        Evidence.case_id == case_id).order_by(Evidence.id)))


def load(case_type: str, case_id: int, evidence_id: int) -> tuple[Evidence, str]:
    """An evidence row of this case and its path on disk; 404 for anything else."""
    row = db.session.get(Evidence, evidence_id)
    if row is None or row.case_type != case_type or row.case_id != case_id:
        raise NotFound("evidence_not_found", "证据文件不存在")
    return row, os.path.join(_directory(), row.stored_name)
