"""The client's small settings file, kept beside the outbox: the device name the server records with each attempt."""
import contextlib
import json
import os
import platform
import uuid
from typing import Any

CONFIG_NAME = "xinyi-scanner.json"
DEVICE_MAX = 80  # the server's limit


def config_path(outbox: str) -> str:
    """xinyi-scanner.json in the outbox's folder (for the default outbox: the home folder)."""
    return os.path.join(os.path.dirname(os.path.abspath(outbox)), CONFIG_NAME)


def load(path: str) -> dict[str, Any]:
    try:
        with open(path, encoding="utf-8") as file:
            data = json.load(file)
    except (OSError, ValueError):
        return {}
    return data if isinstance(data, dict) else {}


def save(path: str, data: dict[str, Any]) -> None:
    """Written whole to a temporary file first, so a crash never leaves half a file."""
    temporary = f"{path}.{os.getpid()}.tmp"
    with open(temporary, "w", encoding="utf-8") as file:
        json.dump(data, file, ensure_ascii=False, indent=2)
    os.replace(temporary, path)


def device_name(outbox: str, override: str | None = None) -> str:
    """The stable name of this scanner: --device if given (and kept from then on), else the saved one, else the
    computer's name (saved at the first run, so renaming the computer later does not split its history)."""
    path = config_path(outbox)
    data = load(path)
    name = (override or "").strip()[:DEVICE_MAX] or str(data.get("device") or "").strip()[:DEVICE_MAX]
    if not name:
        name = (platform.node() or os.environ.get("COMPUTERNAME") or f"scanner-{uuid.uuid4().hex[:8]}")[:DEVICE_MAX]
    if data.get("device") != name:
        with contextlib.suppress(OSError):  # a read-only folder: the name still holds for this run
            save(path, data | {"device": name})
    return name
