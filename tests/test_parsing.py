"""Durations and the check-in classifier, the way cadres actually write them."""

from __future__ import annotations

import pytest

from bot.parsing import (
    DurationError,
    DurationProblem,
    TextKind,
    chinese_number,
    classify,
    parse_duration,
    parse_one_shot,
)


@pytest.mark.parametrize(
    ("text", "minutes"),
    [
        ("2", 120),
        ("2.5", 150),
        ("2h", 120),
        ("2 h", 120),
        ("1.5h", 90),
        ("2小时", 120),
        ("2个小时", 120),
        ("两小时", 120),
        ("三个小时", 180),
        ("一个半小时", 90),
        ("两个半小时", 150),
        ("1小时半", 90),
        ("半小时", 30),
        ("半个小时", 30),
        ("1小时30分", 90),
        ("1小时30分钟", 90),
        ("90分钟", 90),
        ("1.5 hours", 90),
        ("1 hour 30 minutes", 90),
        ("1h30m", 90),
        ("90 min", 90),
        ("half an hour", 30),
        ("1:30", 90),
        ("十二", 720),
        ("二十四小时", 1440),
        ("２．５", 150),
        ("２小时", 120),
        ("  3  ", 180),
    ],
)
def test_parse_duration_reads_every_accepted_form(text: str, minutes: int) -> None:
    assert parse_duration(text) == minutes


@pytest.mark.parametrize(
    ("text", "problem"),
    [
        ("", DurationProblem.MISSING),
        ("   ", DurationProblem.MISSING),
        ("abc", DurationProblem.NOT_A_NUMBER),
        ("2abc", DurationProblem.NOT_A_NUMBER),
        ("2.5.3", DurationProblem.NOT_A_NUMBER),
        ("🙂", DurationProblem.NOT_A_NUMBER),
        ("2 小时 团章", DurationProblem.NOT_A_NUMBER),
        ("0", DurationProblem.ZERO),
        ("0小时", DurationProblem.ZERO),
        ("0.001", DurationProblem.ZERO),
        ("-2", DurationProblem.NEGATIVE),
        ("负2小时", DurationProblem.NEGATIVE),
        ("25", DurationProblem.TOO_LONG),
        ("三十小时", DurationProblem.TOO_LONG),
        ("2000分钟", DurationProblem.TOO_LONG),
    ],
)
def test_parse_duration_rejects_bad_input_with_its_reason(
    text: str, problem: DurationProblem
) -> None:
    with pytest.raises(DurationError) as caught:
        parse_duration(text)
    assert caught.value.problem is problem


@pytest.mark.parametrize(("text", "value"), [("两", 2), ("十", 10), ("十二", 12), ("二十四", 24)])
def test_chinese_number(text: str, value: int) -> None:
    assert chinese_number(text) == value


def test_one_shot_reads_hours_then_content() -> None:
    shot = parse_one_shot("2.5 学习团章第一章")
    assert (shot.minutes, shot.content, shot.day_offset) == (150, "学习团章第一章", 0)


def test_one_shot_reads_a_day_word_before_the_duration() -> None:
    shot = parse_one_shot("昨天 90分钟 团史")
    assert (shot.minutes, shot.content, shot.day_offset) == (90, "团史", -1)


def test_one_shot_finds_the_duration_after_the_content() -> None:
    shot = parse_one_shot("团史 两小时")
    assert (shot.minutes, shot.content) == (120, "团史")


def test_one_shot_keeps_the_users_own_punctuation_in_the_content() -> None:
    shot = parse_one_shot("2 读《习近平谈治国理政》第三卷，做了笔记。")
    assert shot.content == "读《习近平谈治国理政》第三卷，做了笔记"


def test_one_shot_without_content_leaves_it_empty() -> None:
    assert parse_one_shot("2").content == ""


@pytest.mark.parametrize(
    ("args", "problem"),
    [
        ("团章", DurationProblem.NOT_A_NUMBER),
        ("-1 团史", DurationProblem.NEGATIVE),
        ("0 团史", DurationProblem.ZERO),
        ("30 团史", DurationProblem.TOO_LONG),
        ("", DurationProblem.MISSING),
    ],
)
def test_one_shot_rejects_bad_durations(args: str, problem: DurationProblem) -> None:
    with pytest.raises(DurationError) as caught:
        parse_one_shot(args)
    assert caught.value.problem is problem


@pytest.mark.parametrize(
    ("text", "minutes", "content", "day_offset"),
    [
        ("学习2小时 读《习近平谈治国理政》第三卷", 120, "读《习近平谈治国理政》第三卷", 0),
        ("今天学了一个半小时 团史", 90, "团史", 0),
        ("昨天学习1小时 团史", 60, "团史", -1),
        ("前天学习了90分钟 十九大精神", 90, "十九大精神", -2),
        ("学习两小时的团史。", 120, "团史", 0),
        ("２小时 团课", 120, "团课", 0),
        ("I studied 1.5 hours of League history", 90, "of League history", 0),
        ("学习2小时内容是团史", 120, "内容是团史", 0),
        ("学习2小时 前言和第一章", 120, "前言和第一章", 0),
    ],
)
def test_classify_recognises_check_ins(
    text: str, minutes: int, content: str, day_offset: int
) -> None:
    found = classify(text)
    assert found.kind is TextKind.CHECKIN
    assert (found.minutes, found.content, found.day_offset) == (minutes, content, day_offset)


def test_classify_a_check_in_without_content_is_still_a_check_in() -> None:
    found = classify("学习2小时")
    assert (found.kind, found.content) == (TextKind.CHECKIN, "")


@pytest.mark.parametrize(
    "text",
    [
        "每月要自学30小时吗?",
        "每月要自学30小时吗？",
        "学习30小时够吗",
        "每天学习2小时可以吗",
        "学习半小时算数吗",
        "do I need 30 hours a month?",
        "每月要自学30小时",  # more than a day can hold: it talks about the target
    ],
)
def test_classify_questions_with_a_duration_are_questions(text: str) -> None:
    assert classify(text).kind is TextKind.QUESTION


@pytest.mark.parametrize("text", ["团史2小时", "每周2小时"])
def test_classify_unclear_texts_are_ambiguous(text: str) -> None:
    assert classify(text).kind is TextKind.AMBIGUOUS


@pytest.mark.parametrize(
    "text",
    [
        "how many hours do I need?",
        "第三卷怎么读",
        "什么是双争先",
        "读了第三卷",
        "你好",
        "半小时后开会",
        "两小时以内交心得",
    ],
)
def test_classify_texts_without_a_duration_are_none(text: str) -> None:
    assert classify(text).kind is TextKind.NONE
