"""Dates and meeting times typed by people, in the forms Chinese cadres write them.

Framework-free. A day: `2026-12-05`, `2026/12/5`, `2026年12月5日`, `12月5日`, `12月5号`,
`12/5`, `12-05`, `今天`, `明天`, `后天`, `昨天`, `前天`, `周三`, `下周三`, `星期三`.
A time: `19:30`, `19：30`, `7点`, `7点半`, `7点30分`, `19时30分`, optionally after
`上午/早上/中午/下午/晚上`. A day without a year is its next occurrence for meetings and
its latest past occurrence for records of what already happened.
"""

from __future__ import annotations

import re
from collections.abc import Iterator
from contextlib import contextmanager
from datetime import date, datetime, time, timedelta
from enum import StrEnum
from zoneinfo import ZoneInfo


class ParseProblem(StrEnum):
    UNPARSEABLE = "unparseable"
    PAST = "past"
    FUTURE = "future"


class DateParseError(ValueError):
    def __init__(self, problem: ParseProblem) -> None:
        super().__init__(problem.value)
        self.problem = problem


_RELATIVE_DAYS = {"前天": -2, "昨天": -1, "今天": 0, "明天": 1, "后天": 2}
_WEEKDAYS = {"一": 0, "二": 1, "三": 2, "四": 3, "五": 4, "六": 5, "日": 6, "天": 6}
_CN_DIGITS = {"零": 0, "一": 1, "二": 2, "两": 2, "三": 3, "四": 4, "五": 5, "六": 6}
_CN_DIGITS |= {"七": 7, "八": 8, "九": 9, "十": 10}

_FULL_DATE = re.compile(r"^(\d{4})\s*[-/.年]\s*(\d{1,2})\s*[-/.月]\s*(\d{1,2})\s*[日号]?")
_MONTH_DAY = re.compile(r"^(\d{1,2})\s*(?:[-/.]|月)\s*(\d{1,2})\s*[日号]?")
_WEEKDAY = re.compile(r"^(下下|下|本|这)?\s*(?:周|星期|礼拜)([一二三四五六日天])")
_CLOCK = re.compile(r"^(\d{1,2})\s*[:：]\s*(\d{2})$")
_HOUR_WORDS = re.compile(
    r"^([0-9]{1,2}|[零一二两三四五六七八九十]{1,3})\s*[点时]"
    r"\s*(?:(半)|(一刻)|(三刻)|([0-9]{1,2}|[零一二三四五六七八九十]{1,3})\s*分?)?$"
)
_PERIODS = {
    "凌晨": 0,
    "早上": 0,
    "上午": 0,
    "早晨": 0,
    "中午": 12,
    "下午": 12,
    "傍晚": 12,
    "晚上": 12,
    "今晚": 12,
}


def _cn_number(text: str) -> int:
    """`7`, `十二`, `二十`, `三十五` → int (small numbers only, as in clock times)."""
    if text.isdigit():
        return int(text)
    if "十" in text:
        tens, _, units = text.partition("十")
        return (_CN_DIGITS.get(tens, 1) if tens else 1) * 10 + (_CN_DIGITS[units] if units else 0)
    return _CN_DIGITS[text]


def _split_day(text: str, today: date, prefer_future: bool) -> tuple[date, str]:
    """The day at the start of `text` and the rest of the text."""
    text = text.strip()
    for word, offset in _RELATIVE_DAYS.items():
        if text.startswith(word):
            return today + timedelta(days=offset), text[len(word) :]
    if text.startswith("今晚"):
        return today, text
    if match := _FULL_DATE.match(text):
        year, month, day = (int(group) for group in match.groups())
        return date(year, month, day), text[match.end() :]
    if match := _MONTH_DAY.match(text):
        month, day = int(match.group(1)), int(match.group(2))
        candidate = date(today.year, month, day)
        if prefer_future and candidate < today:
            candidate = candidate.replace(year=today.year + 1)
        elif not prefer_future and candidate > today:
            candidate = candidate.replace(year=today.year - 1)
        return candidate, text[match.end() :]
    if match := _WEEKDAY.match(text):
        weekday = _WEEKDAYS[match.group(2)]
        monday = today - timedelta(days=today.weekday())
        weeks = {"下": 1, "下下": 2}.get(match.group(1) or "", 0)
        candidate = monday + timedelta(weeks=weeks, days=weekday)
        if not match.group(1) and prefer_future and candidate < today:
            candidate += timedelta(weeks=1)
        return candidate, text[match.end() :]
    raise DateParseError(ParseProblem.UNPARSEABLE)


def _parse_time(text: str) -> time:
    text = text.strip().replace(" ", "")
    shift = None
    for word, hours in _PERIODS.items():
        if text.startswith(word):
            shift, text = hours, text[len(word) :]
            break
    if match := _CLOCK.match(text):
        hour, minute = int(match.group(1)), int(match.group(2))
    elif match := _HOUR_WORDS.match(text):
        hour = _cn_number(match.group(1))
        minute = 30 if match.group(2) else 15 if match.group(3) else 45 if match.group(4) else 0
        if match.group(5):
            minute = _cn_number(match.group(5))
    else:
        raise DateParseError(ParseProblem.UNPARSEABLE)
    if shift and hour < 12:
        hour += shift
    if not (0 <= hour <= 23 and 0 <= minute <= 59):
        raise DateParseError(ParseProblem.UNPARSEABLE)
    return time(hour, minute)


@contextmanager
def _impossible_dates_unparseable() -> Iterator[None]:
    """`2月30日` passes the patterns and fails in `date()`: the same answer as gibberish."""
    try:
        yield
    except DateParseError:
        raise
    except ValueError as exc:
        raise DateParseError(ParseProblem.UNPARSEABLE) from exc


def parse_meeting_time(text: str, now: datetime, tz: ZoneInfo) -> datetime:
    """A future meeting start as an aware datetime in `tz`; past or unknown → DateParseError."""
    local_now = now.astimezone(tz)
    with _impossible_dates_unparseable():
        day, rest = _split_day(text, local_now.date(), prefer_future=True)
        starts = datetime.combine(day, _parse_time(rest), tz)
    if starts <= local_now:
        raise DateParseError(ParseProblem.PAST)
    return starts


def parse_past_day(text: str, today: date) -> date:
    """A day on which something already happened (today at the latest)."""
    with _impossible_dates_unparseable():
        day, rest = _split_day(text, today, prefer_future=False)
    if rest.strip():
        raise DateParseError(ParseProblem.UNPARSEABLE)
    if day > today:
        raise DateParseError(ParseProblem.FUTURE)
    return day
