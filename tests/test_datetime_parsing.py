"""Meeting times and past days typed in the common Chinese and numeric forms."""

from __future__ import annotations

from datetime import date, datetime

import pytest

from bot.datetime_parsing import DateParseError, ParseProblem, parse_meeting_time, parse_past_day
from tests.conftest import SHANGHAI

NOW = datetime(2026, 11, 20, 20, 30, tzinfo=SHANGHAI)  # a Friday


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("2026-12-05 19:30", datetime(2026, 12, 5, 19, 30)),
        ("2026/12/5 19:30", datetime(2026, 12, 5, 19, 30)),
        ("2026年12月5日 19:30", datetime(2026, 12, 5, 19, 30)),
        ("12月5日 19:30", datetime(2026, 12, 5, 19, 30)),
        ("12月5号 19：30", datetime(2026, 12, 5, 19, 30)),
        ("12/5 19:30", datetime(2026, 12, 5, 19, 30)),
        ("12月5日晚上7点半", datetime(2026, 12, 5, 19, 30)),
        ("12月5日下午三点", datetime(2026, 12, 5, 15, 0)),
        ("12月5日上午9点15分", datetime(2026, 12, 5, 9, 15)),
        ("明天 19:30", datetime(2026, 11, 21, 19, 30)),
        ("后天上午10点", datetime(2026, 11, 22, 10, 0)),
        ("下周三 19:30", datetime(2026, 11, 25, 19, 30)),
        ("周三 19:30", datetime(2026, 11, 25, 19, 30)),
        ("今晚9点", datetime(2026, 11, 20, 21, 0)),
        ("1月8日 19:30", datetime(2027, 1, 8, 19, 30)),  # next occurrence: next year
    ],
)
def test_meeting_time_forms(text: str, expected: datetime) -> None:
    assert parse_meeting_time(text, NOW, SHANGHAI) == expected.replace(tzinfo=SHANGHAI)


def test_meeting_time_is_in_the_given_zone() -> None:
    assert parse_meeting_time("12/5 19:30", NOW, SHANGHAI).utcoffset().total_seconds() == 8 * 3600


@pytest.mark.parametrize("text", ["2026-11-01 10:00", "今天 8:00", "昨天 19:30"])
def test_past_meeting_time_is_refused(text: str) -> None:
    with pytest.raises(DateParseError) as raised:
        parse_meeting_time(text, NOW, SHANGHAI)
    assert raised.value.problem == ParseProblem.PAST


@pytest.mark.parametrize(
    "text", ["", "下个月吧", "12月5日", "2月30日 10:00", "12/5 25:00", "13/5 19:30", "🎉"]
)
def test_unparseable_meeting_time_is_refused(text: str) -> None:
    with pytest.raises(DateParseError) as raised:
        parse_meeting_time(text, NOW, SHANGHAI)
    assert raised.value.problem == ParseProblem.UNPARSEABLE


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("今天", date(2026, 11, 20)),
        ("昨天", date(2026, 11, 19)),
        ("11-18", date(2026, 11, 18)),
        ("11月18日", date(2026, 11, 18)),
        ("2026-11-02", date(2026, 11, 2)),
        ("12月1日", date(2025, 12, 1)),  # latest past occurrence
    ],
)
def test_past_day_forms(text: str, expected: date) -> None:
    assert parse_past_day(text, NOW.date()) == expected


def test_future_day_is_refused() -> None:
    with pytest.raises(DateParseError) as raised:
        parse_past_day("明天", NOW.date())
    assert raised.value.problem == ParseProblem.FUTURE


def test_day_with_trailing_words_is_refused() -> None:
    with pytest.raises(DateParseError):
        parse_past_day("11-18 开会", NOW.date())
