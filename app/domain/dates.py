"""Calendar arithmetic shared by the rules, with "today" always passed in so rules are testable."""
import datetime as dt

# The credit office's time: Asia/Shanghai is UTC+8 all year (no daylight saving).
LOCAL_TZ = dt.timezone(dt.timedelta(hours=8), "Asia/Shanghai")


def utcnow() -> dt.datetime:
    """The instant, timezone-aware; stored as UTC."""
    return dt.datetime.now(dt.UTC)


def today() -> dt.date:
    """The local calendar date of the credit office."""
    return dt.datetime.now(LOCAL_TZ).date()


def local_date(moment: dt.datetime) -> dt.date:
    """The credit office's calendar date at an instant."""
    return moment.astimezone(LOCAL_TZ).date()


def local_day_bounds(moment: dt.datetime) -> tuple[dt.datetime, dt.datetime]:
    """The UTC instants at which the credit office's calendar day holding `moment` begins and ends (its 24:00)."""
    start = dt.datetime.combine(local_date(moment), dt.time(), tzinfo=LOCAL_TZ)
    return start.astimezone(dt.UTC), (start + dt.timedelta(days=1)).astimezone(dt.UTC)


def add_years(day: dt.date, years: int) -> dt.date:
    """The same calendar day `years` later; 29 February becomes 1 March in a common year."""
    try:
        return day.replace(year=day.year + years)
    except ValueError:
        return dt.date(day.year + years, 3, 1)


def chinese_date(day: dt.date) -> str:
    """2026年3月5日."""
    return f"{day.year}年{day.month}月{day.day}日"
