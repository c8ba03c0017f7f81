"""The dashboard's chart drawn on the server: stacked bars of redemptions by scenario, a day or a week per bar, so
no series can hide another and the bar's height is the day's total."""
import datetime as dt
from dataclasses import dataclass

from app.domain.measures import SCENARIOS

# One colour per scenario (14), distinguishable side by side and each at least 3:1 against white.
PALETTE = ("#1f618d", "#b22222", "#1e8449", "#b9770e", "#6c3483", "#117a65", "#5d6d7e", "#a04000", "#2e4053",
           "#7d3c98", "#196f3d", "#922b21", "#21618c", "#7e5109")
COLORS = dict(zip(SCENARIOS, PALETTE, strict=True))
WEEKLY_AFTER_DAYS = 62
TICKS = 4


@dataclass(frozen=True)
class Segment:
    scenario: str
    count: int
    y: float
    height: float


@dataclass(frozen=True)
class Bar:
    first: dt.date
    last: dt.date
    total: int
    x: float
    segments: list[Segment]


def _nice_peak(peak: int) -> int:
    """The top of the axis: the least of 1, 2, 5 × 10ⁿ per step whose TICKS steps reach the busiest bar."""
    magnitude = 1
    while True:
        for step in (magnitude, magnitude * 2, magnitude * 5):
            if step * TICKS >= peak:
                return step * TICKS
        magnitude *= 10


def stacked(series: dict[str, dict[dt.date, int]], width: int = 640, height: int = 220) -> dict:
    """Bars (a day each, or a week each when the range is longer than two months) stacked by scenario."""
    days = sorted(next(iter(series.values())).keys()) if series else []
    span = 7 if len(days) > WEEKLY_AFTER_DAYS else 1
    buckets = [days[index:index + span] for index in range(0, len(days), span)]
    totals = [sum(series[scenario][day] for scenario in series for day in bucket) for bucket in buckets]
    peak = _nice_peak(max(totals + [1]))
    slot = width / max(len(buckets), 1)
    bars = []
    for index, bucket in enumerate(buckets):
        top, segments = float(height), []
        for scenario in series:
            count = sum(series[scenario][day] for day in bucket)
            if count:
                size = count / peak * height
                top -= size
                segments.append(Segment(scenario, count, round(top, 1), round(size, 1)))
        bars.append(Bar(bucket[0], bucket[-1], totals[index], round(index * slot + slot * 0.1, 1), segments))
    labels = [bars[index] for index in sorted({0, len(bars) // 2, len(bars) - 1})] if bars else []
    return {"bars": bars, "bar_width": round(max(slot * 0.8, 1), 1), "width": width, "height": height,
            "ticks": [(peak * step // TICKS, round(height - height * step / TICKS, 1)) for step in range(TICKS + 1)],
            "labels": labels, "weekly": span > 1, "colors": COLORS,
            "legend": [(scenario, sum(counts.values())) for scenario, counts in series.items()]}
