"""Calendar arithmetic shared by the list rules, with "today" always passed in so rules are testable."""
import datetime as dt


def add_years(day: dt.date, years: int) -> dt.date:
    """The same calendar day `years` later; 29 February becomes 1 March in a common year."""
    try:
        return day.replace(year=day.year + years)
    except ValueError:
        return dt.date(day.year + years, 3, 1)


def today() -> dt.date:
    """The local calendar date of the credit office (Asia/Shanghai, UTC+8, no daylight saving)."""
    return (dt.datetime.now(dt.timezone.utc) + dt.timedelta(hours=8)).date()
