"""Month arithmetic, progress toward the target, and the edit window."""

from __future__ import annotations

from datetime import UTC, date, datetime
from zoneinfo import ZoneInfo

import pytest

from bot.rules import Month, Progress, StudyPolicy, format_hours, progress_bar

NOV = Month(2026, 11)


def test_month_parse_accepts_the_usual_spellings() -> None:
    assert Month.parse("2026-11") == Month.parse("2026/11") == Month.parse("2026年11月") == NOV


@pytest.mark.parametrize("text", ["2026-13", "2026-00", "11-2026", "soon", "", "1999-12"])
def test_month_parse_rejects_what_is_not_a_month(text: str) -> None:
    with pytest.raises(ValueError):
        Month.parse(text)


def test_month_next_and_prev_cross_the_year() -> None:
    assert Month(2026, 12).next() == Month(2027, 1)
    assert Month(2027, 1).prev() == Month(2026, 12)


def test_month_shift_by_many_months() -> None:
    assert NOV.shift(14) == Month(2028, 1)
    assert NOV.shift(-11) == Month(2025, 12)


def test_month_days_know_leap_years() -> None:
    assert Month(2028, 2).days == 29
    assert Month(2026, 2).last_day == date(2026, 2, 28)


def test_month_contains_only_its_days() -> None:
    assert date(2026, 11, 30) in NOV
    assert date(2026, 12, 1) not in NOV


def test_month_utc_bounds_follow_the_local_zone() -> None:
    start, end = NOV.utc_bounds(ZoneInfo("Asia/Shanghai"))
    assert start == datetime(2026, 10, 31, 16, tzinfo=UTC)
    assert end == datetime(2026, 11, 30, 16, tzinfo=UTC)


def test_progress_mid_month_needs_a_daily_pace() -> None:
    p = Progress(NOV, done_minutes=600, target_minutes=1800, today=date(2026, 11, 20))
    assert (p.left_minutes, p.days_left, p.minutes_per_day_needed) == (1200, 11, 110)
    assert not p.reached


def test_progress_reached_needs_nothing_more() -> None:
    p = Progress(NOV, done_minutes=1900, target_minutes=1800, today=date(2026, 11, 20))
    assert p.reached and p.left_minutes == 0 and p.minutes_per_day_needed == 0


def test_progress_of_a_past_month_has_no_days_left() -> None:
    p = Progress(NOV, done_minutes=0, target_minutes=1800, today=date(2026, 12, 2))
    assert (p.days_left, p.minutes_per_day_needed) == (0, 0)


def test_progress_on_the_last_day_expects_the_whole_target() -> None:
    p = Progress(NOV, done_minutes=0, target_minutes=1800, today=date(2026, 11, 30))
    assert p.days_left == 1 and p.expected_minutes_by_today == 1800


def test_progress_expected_minutes_grow_linearly() -> None:
    p = Progress(NOV, done_minutes=0, target_minutes=1800, today=date(2026, 11, 15))
    assert p.expected_minutes_by_today == 900


def test_progress_bar_is_capped_at_full() -> None:
    assert progress_bar(0.42) == "▓▓▓▓░░░░░░"
    assert progress_bar(1.7) == "▓" * 10


@pytest.mark.parametrize(("minutes", "text"), [(90, "1.5"), (120, "2"), (50, "0.8"), (0, "0")])
def test_format_hours(minutes: int, text: str) -> None:
    assert format_hours(minutes) == text


POLICY = StudyPolicy(edit_lock_day=5)


def test_previous_month_is_editable_until_the_lock_day() -> None:
    assert POLICY.is_editable(date(2026, 11, 30), today=date(2026, 12, 5))


def test_previous_month_is_locked_after_the_lock_day() -> None:
    assert not POLICY.is_editable(date(2026, 11, 30), today=date(2026, 12, 6))


def test_this_month_is_editable_but_the_future_is_not() -> None:
    assert POLICY.is_editable(date(2026, 12, 1), today=date(2026, 12, 6))
    assert not POLICY.is_editable(date(2026, 12, 7), today=date(2026, 12, 6))


def test_editable_since_crosses_the_year_in_january() -> None:
    assert POLICY.editable_since(date(2027, 1, 3)) == date(2026, 12, 1)
