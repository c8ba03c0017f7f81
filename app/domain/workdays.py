"""Deadlines in working days (工作日): weekends, public holidays and make-up working days via chinese-calendar."""
import datetime as dt
import logging

import chinese_calendar

from app.domain.dates import LOCAL_TZ

logger = logging.getLogger(__name__)


def is_working_day(day: dt.date) -> bool:
    """chinese-calendar's verdict; for a year it has no data for yet, Monday to Friday (and a warning)."""
    try:
        return bool(chinese_calendar.is_workday(day))  # the library has no type information
    except NotImplementedError:
        logger.warning("no holiday data for %s; counting Monday to Friday (upgrade chinesecalendar)", day.year)
        return day.weekday() < 5


def due_at(submitted: dt.datetime, working_days: int) -> dt.datetime:
    """The end (24:00 Beijing time) of the n-th working day after the day of submission, in UTC."""
    day = submitted.astimezone(LOCAL_TZ).date()
    counted = 0
    while counted < working_days:
        day += dt.timedelta(days=1)
        counted += is_working_day(day)
    end = dt.datetime.combine(day + dt.timedelta(days=1), dt.time(), tzinfo=LOCAL_TZ)
    return end.astimezone(dt.UTC)


def last_day(due: dt.datetime) -> dt.date:
    """The Beijing day a deadline ends with (a deadline is 24:00, i.e. 00:00 of the day after)."""
    return (due.astimezone(LOCAL_TZ) - dt.timedelta(microseconds=1)).date()


def working_days_left(due: dt.datetime, now: dt.datetime) -> int:
    """Working days from today to the deadline's last day, both counted; 0 once the deadline has passed."""
    if now >= due:
        return 0
    day, end, left = now.astimezone(LOCAL_TZ).date(), last_day(due), 0
    while day <= end:
        left += is_working_day(day)
        day += dt.timedelta(days=1)
    return left
