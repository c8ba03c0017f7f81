"""Calendar arithmetic shared by the list rules, with "today" always passed in so rules are testable."""
import datetime as dt


def add_years(day: dt.date, years: int) -> dt.date:
    """The same calendar day `years` later; 29 February becomes 1 March in a common year."""
    try:
        return day.replace(year=day.year + years)
    except ValueError:
        return dt.date(day.year + years, 3, 1)


# The credit office's time: Asia/Shanghai is UTC+8 all year (no daylight saving).
LOCAL_TZ = dt.timezone(dt.timedelta(hours=8), "Asia/Shanghai")


def today() -> dt.date:
    """The local calendar date of the credit office."""
    return dt.datetime.now(LOCAL_TZ).date()


def local_date(moment: dt.datetime) -> dt.date:
    """The credit office's calendar date at an instant."""
    return moment.astimezone(LOCAL_TZ).date()
