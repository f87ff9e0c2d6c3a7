"""The study policy of the plan and the month arithmetic it needs (framework-free)."""

from __future__ import annotations

import calendar
import re
from dataclasses import dataclass
from datetime import UTC, date, datetime, time, timedelta
from zoneinfo import ZoneInfo

from bot.config import Settings

_MONTH_RE = re.compile(r"^\s*(\d{4})\s*[-/.年]\s*(\d{1,2})\s*月?\s*$")


@dataclass(frozen=True, order=True)
class Month:
    """A local calendar month."""

    year: int
    month: int

    def __post_init__(self) -> None:
        if not 1 <= self.month <= 12 or not 2000 <= self.year <= 2100:
            raise ValueError(f"invalid month {self.year}-{self.month}")

    @classmethod
    def of(cls, day: date) -> Month:
        return cls(day.year, day.month)

    @classmethod
    def parse(cls, text: str) -> Month:
        """`2026-11`, `2026/11`, `2026年11月`; raises ValueError otherwise."""
        match = _MONTH_RE.match(text)
        if not match:
            raise ValueError(f"not a month: {text!r}")
        return cls(int(match.group(1)), int(match.group(2)))

    @property
    def key(self) -> str:
        return f"{self.year:04d}-{self.month:02d}"

    @property
    def first_day(self) -> date:
        return date(self.year, self.month, 1)

    @property
    def last_day(self) -> date:
        return date(self.year, self.month, self.days)

    @property
    def days(self) -> int:
        return calendar.monthrange(self.year, self.month)[1]

    def next(self) -> Month:
        return Month(self.year + self.month // 12, self.month % 12 + 1)

    def prev(self) -> Month:
        return Month(self.year - (self.month == 1), (self.month - 2) % 12 + 1)

    def shift(self, months: int) -> Month:
        index = self.year * 12 + self.month - 1 + months
        return Month(index // 12, index % 12 + 1)

    def utc_bounds(self, tz: ZoneInfo) -> tuple[datetime, datetime]:
        """[start, end) of the month in UTC, for timestamp columns."""
        start = datetime.combine(self.first_day, time(), tz).astimezone(UTC)
        end = datetime.combine(self.next().first_day, time(), tz).astimezone(UTC)
        return start, end

    def __contains__(self, day: date) -> bool:
        return (day.year, day.month) == (self.year, self.month)

    def __str__(self) -> str:
        return self.key


# The first month a user may open: its views reach back (◀️ a month, trends six months),
# and Month stops at 2000-01.
FIRST_BROWSABLE = Month(2001, 1)


@dataclass(frozen=True)
class StudyPolicy:
    """Targets and windows, all from configuration so every feature agrees."""

    target_minutes: int = 30 * 60
    group_half_days: int = 2
    half_day_minutes: int = 180
    edit_lock_day: int = 5
    group_study_counts_personal: bool = False
    max_minutes_per_day: int = 24 * 60

    @classmethod
    def from_settings(cls, settings: Settings) -> StudyPolicy:
        return cls(
            target_minutes=settings.study_target_minutes,
            group_half_days=settings.group_study_half_days,
            half_day_minutes=settings.half_day_minutes,
            edit_lock_day=settings.edit_lock_day,
            group_study_counts_personal=settings.group_study_counts_personal,
        )

    def editable_since(self, today: date) -> date:
        """Earliest day whose records may still be changed.

        The previous month stays open until `edit_lock_day` of this month, so a cadre
        can still add the last evening's study on the 1st.
        """
        this_month = Month.of(today)
        if today.day <= self.edit_lock_day:
            return this_month.prev().first_day
        return this_month.first_day

    def is_editable(self, day: date, today: date) -> bool:
        return self.editable_since(today) <= day <= today


@dataclass(frozen=True)
class Progress:
    """A member's month against the target, as shown after a check-in and in /me."""

    month: Month
    done_minutes: int
    target_minutes: int
    today: date

    @property
    def left_minutes(self) -> int:
        return max(self.target_minutes - self.done_minutes, 0)

    @property
    def reached(self) -> bool:
        return self.done_minutes >= self.target_minutes

    @property
    def ratio(self) -> float:
        return self.done_minutes / self.target_minutes if self.target_minutes else 1.0

    @property
    def days_left(self) -> int:
        """Days still available including today (0 for a past month)."""
        if self.today > self.month.last_day:
            return 0
        if self.today < self.month.first_day:
            return self.month.days
        return (self.month.last_day - self.today).days + 1

    @property
    def minutes_per_day_needed(self) -> int:
        if not self.left_minutes or not self.days_left:
            return 0
        return -(-self.left_minutes // self.days_left)

    @property
    def expected_minutes_by_today(self) -> int:
        """The linear pace toward the target, used to decide who is behind."""
        if self.today >= self.month.last_day:
            return self.target_minutes
        if self.today < self.month.first_day:
            return 0
        elapsed = (self.today - self.month.first_day).days + 1
        return self.target_minutes * elapsed // self.month.days


def progress_bar(ratio: float, width: int = 10) -> str:
    filled = min(width, max(0, round(ratio * width)))
    return "▓" * filled + "░" * (width - filled)


def format_hours(minutes: int) -> str:
    """Minutes as hours with at most one decimal: 90 → '1.5', 120 → '2', 50 → '0.8'."""
    hours = round(minutes / 60, 1)
    return f"{hours:g}"


def local_day_bounds_utc(day: date, tz: ZoneInfo) -> tuple[datetime, datetime]:
    start = datetime.combine(day, time(), tz).astimezone(UTC)
    return start, start + timedelta(days=1)
