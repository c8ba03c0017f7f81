"""Instants in answers: stored as UTC, given in the zone of the people using the system (Beijing, +08:00)."""
import datetime as dt
from functools import lru_cache
from zoneinfo import ZoneInfo

from flask import current_app


@lru_cache(maxsize=8)
def _zone(name: str) -> ZoneInfo:
    return ZoneInfo(name)


def local_iso(moment: dt.datetime) -> str:
    """ISO 8601 with the configured zone's offset: 2026-11-28T14:03:00+08:00."""
    return moment.astimezone(_zone(current_app.config["DISPLAY_TIMEZONE"])).isoformat()
