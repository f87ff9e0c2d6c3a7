"""Reading study durations and check-in messages written the way cadres write them.

Framework-free and pure: `parse_duration` reads a typed duration ("2", "一个半小时",
"90 min"), `parse_one_shot` the arguments of `/log`, and `classify` decides whether a
plain private message is a check-in, a question about the rules, or unclear.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from enum import StrEnum

MAX_ENTRY_MINUTES = 24 * 60

_CN_DIGITS = {"零": 0, "〇": 0, "一": 1, "二": 2, "两": 2, "俩": 2, "三": 3, "四": 4}
_CN_DIGITS |= {"五": 5, "六": 6, "七": 7, "八": 8, "九": 9}
_CN_UNITS = {"十": 10, "百": 100}

_NUM = r"(?:\d+(?:\.\d+)?|\.\d+|[零〇一二两俩三四五六七八九十百]+)"
_HOUR_UNIT = r"(?:小时|钟头|hours?|hrs?|h)(?![a-z])"
_MINUTE_UNIT = r"(?:分钟|minutes?|mins?|min)(?![a-z])"
_DURATION_RE = re.compile(
    rf"(?<![\d.a-z])(?:"
    rf"(?P<hours>{_NUM})\s*(?:个\s*)?(?P<half>半)?\s*(?:个\s*)?{_HOUR_UNIT}"
    rf"(?:\s*(?:(?P<extra>{_NUM})\s*(?:{_MINUTE_UNIT}|分|m(?![a-z]))|(?P<and_half>半)))?"
    rf"|(?P<half_hour>半\s*(?:个\s*)?(?:小时|钟头)|half\s+(?:an\s+)?hour)"
    rf"|(?P<an_hour>\ban?\s+hour\b)"
    rf"|(?P<minutes>{_NUM})\s*{_MINUTE_UNIT}"
    rf")"
)
# A bare number of hours (typed in the flow, or first after /log), also "1:30".
_BARE_RE = re.compile(r"(?P<hours>\d+(?:\.\d+)?|\.\d+)(?![\d.:])|(?P<h>\d+):(?P<m>[0-5]\d)")
_CN_NUMBER_RE = re.compile(r"[零〇一二两俩三四五六七八九十百]+\s*个?")
_SIGN_RE = re.compile(r"\s*(?P<sign>[-−负])?\s*")

_DAY_WORDS = {"今天": 0, "今日": 0, "today": 0, "昨天": -1, "昨日": -1, "yesterday": -1}
_DAY_WORDS |= {"前天": -2}
_DAY_RE = re.compile("|".join(sorted(_DAY_WORDS, key=len, reverse=True)))
# Words around the duration that carry no content: "今天我学习了2小时的团史" → "团史".
_FILLER_RE = re.compile(
    r"^(?:我|今天|今日|昨天|昨日|前天|today|yesterday|i|共|一共|总共|累计|自学|学习了?|"
    r"学了|读了|看了|studied|study|learned|read|for|了|的|[\s,.;:!~、，。；：！…—\-])*$"
)
_LEADING_JUNK_RE = re.compile(r"^(?:的|了|[\s,.;:!~、，。；：！…—\-])+")
_TRAILING_JUNK_RE = re.compile(r"[\s,.;:!、，。；：！—\-]+$")

_QUESTION_RE = re.compile(
    r"[?]|吗|么|呢\s*$|多少|几|够不够|是否|要不要|是不是|有没有|能不能|可不可以|可以不|"
    r"怎样|如何|为何|哪|算不算|^(?:how|what|why|when|where|which|who|do|does|did|is|are|"
    r"can|could|should|must|will|would|shall)\b|\bhow (?:many|much|long)\b"
)
_RULE_TALK_RE = re.compile(
    r"每月|每个月|每周|每天|每日|每年|要求|标准|规定|至少|不少于|不低于|需要|必须|应该|应当|"
    r"达标|目标|\bper (?:month|week|day)\b|\brequired\b|\bat least\b|\btarget\b|\bneed"
)
# "半小时后开会", "两小时以内": a point or span of time, not time spent studying.
_TIME_EXPRESSION_RE = re.compile(r"以后|之后|后(?!面)|以内|之内|内(?!容)|以前|之前")
_STUDY_VERB_RE = re.compile(r"学|读|看|听|研|温习|复习|\bstud|\bread\b|\blearn|\bwatch")


class DurationProblem(StrEnum):
    MISSING = "missing"
    NOT_A_NUMBER = "not_a_number"
    ZERO = "zero"
    NEGATIVE = "negative"
    TOO_LONG = "too_long"


class DurationError(ValueError):
    """A duration the user typed that cannot be a study entry."""

    def __init__(self, problem: DurationProblem) -> None:
        super().__init__(problem.value)
        self.problem = problem


class TextKind(StrEnum):
    CHECKIN = "checkin"
    QUESTION = "question"
    AMBIGUOUS = "ambiguous"
    NONE = "none"  # no time spent in it (no duration, or "半小时后" = in half an hour)


@dataclass(frozen=True)
class Classified:
    kind: TextKind
    minutes: int | None = None
    content: str = ""
    day_offset: int = 0  # 0 today, -1 yesterday, -2 the day before


@dataclass(frozen=True)
class OneShot:
    minutes: int
    content: str
    day_offset: int = 0


def fold(text: str) -> str:
    """Full-width digits, letters and punctuation to ASCII, lower case.

    Keeps every index, so content is cut from the user's own text (their 《》，。 stay).
    """
    return "".join(_fold_char(char) for char in text)


def _fold_char(char: str) -> str:
    code = ord(char)
    if 0xFF01 <= code <= 0xFF5E:
        char = chr(code - 0xFEE0)
    elif code == 0x3000:
        char = " "
    lower = char.lower()
    return lower if len(lower) == 1 else char


def chinese_number(text: str) -> int:
    """Chinese numerals to an int: 两 → 2, 十二 → 12, 二十四 → 24, 一百 → 100."""
    total, current = 0, 0
    for char in text:
        if char in _CN_DIGITS:
            current = current * 10 + _CN_DIGITS[char] if current else _CN_DIGITS[char]
        else:
            total += (current or 1) * _CN_UNITS[char]
            current = 0
    return total + current


# Far beyond a day in minutes: a bigger number is simply too long (float("9" * 400) is
# infinite and round() of it raises).
_NUMBER_CAP = 10**6


def _number(text: str) -> float:
    value = float(text) if text[0].isdigit() or text[0] == "." else chinese_number(text)
    return min(value, _NUMBER_CAP)


def _match_minutes(match: re.Match[str]) -> int:
    if match["half_hour"]:
        return 30
    if match["an_hour"]:
        return 60
    if match["minutes"]:
        return round(_number(match["minutes"]))
    hours = _number(match["hours"]) + (0.5 if match["half"] or match["and_half"] else 0)
    extra = _number(match["extra"]) if match["extra"] else 0
    return round(hours * 60 + extra)


def _bare_minutes(match: re.Match[str]) -> int:
    if match["hours"]:
        return round(_number(match["hours"]) * 60)
    return round(_number(match["h"])) * 60 + int(match["m"])


def check_minutes(minutes: int) -> int:
    """The minutes of one entry, or DurationError (zero, or more than a day)."""
    if minutes <= 0:
        raise DurationError(DurationProblem.ZERO)
    if minutes > MAX_ENTRY_MINUTES:
        raise DurationError(DurationProblem.TOO_LONG)
    return minutes


def _leading_duration(text: str) -> tuple[int, int] | None:
    """(minutes, end) of a duration at the very start of `text` (bare numbers allowed)."""
    match = _DURATION_RE.match(text)
    if match:
        return _match_minutes(match), match.end()
    bare = _BARE_RE.match(text)
    # "2 团章" and "2团章" read as hours; "2abc" does not.
    if bare and (
        bare.end() == len(text) or not text[bare.end()].isalpha() or not text[bare.end()].isascii()
    ):
        return _bare_minutes(bare), bare.end()
    return None


def parse_duration(text: str) -> int:
    """A whole message that is a duration → minutes; DurationError otherwise."""
    folded = fold(text).strip()
    sign = _SIGN_RE.match(folded)
    assert sign is not None
    body = folded[sign.end() :]
    if not body:
        raise DurationError(DurationProblem.NOT_A_NUMBER if folded else DurationProblem.MISSING)
    if _CN_NUMBER_RE.fullmatch(body):
        leading: tuple[int, int] | None = (chinese_number(body.rstrip(" 个")) * 60, len(body))
    else:
        leading = _leading_duration(body)
    if leading is None or body[leading[1] :].strip():
        raise DurationError(DurationProblem.NOT_A_NUMBER)
    if sign["sign"] and leading[0] > 0:
        raise DurationError(DurationProblem.NEGATIVE)
    return check_minutes(leading[0])


def _day_prefix(text: str) -> tuple[int, int]:
    """A leading "今天/昨天/前天" (possibly after "我") → (day offset, where the rest starts)."""
    match = re.match(rf"^\s*(?:我\s*)?({_DAY_RE.pattern})\s*", text)
    if not match:
        return 0, 0
    return _DAY_WORDS[match.group(1)], match.end()


def _clean_content(text: str) -> str:
    return _TRAILING_JUNK_RE.sub("", _LEADING_JUNK_RE.sub("", text.strip())).strip()


def _split(text: str, folded: str, start: int, end: int) -> tuple[int, str]:
    """Day offset and content around the duration found at [start:end]."""
    day = _DAY_RE.search(folded[:start])
    day_offset = _DAY_WORDS[day.group(0)] if day else 0
    after = _clean_content(text[end:])
    if _FILLER_RE.match(folded[:start]):
        return day_offset, after
    before = _clean_content(text[_day_prefix(folded[:start])[1] : start])
    return day_offset, f"{before} {after}".strip()


def parse_one_shot(args: str) -> OneShot:
    """`/log` arguments: "2.5 学习团章第一章", "昨天 90分钟 团史", "团史 两小时".

    Content may be empty (the caller asks for it); DurationError when no duration.
    """
    folded = fold(args)
    if not folded.strip():
        raise DurationError(DurationProblem.MISSING)
    day_offset, rest = _day_prefix(folded)
    sign = _SIGN_RE.match(folded, rest)
    assert sign is not None
    leading = _leading_duration(folded[sign.end() :])
    if leading is not None:
        minutes, length = leading
        if sign["sign"] and minutes > 0:
            raise DurationError(DurationProblem.NEGATIVE)
        content = _clean_content(args[sign.end() + length :])
        return OneShot(check_minutes(minutes), content, day_offset)
    match = _DURATION_RE.search(folded)
    if match is None:
        raise DurationError(DurationProblem.NOT_A_NUMBER)
    offset, content = _split(args, folded, match.start(), match.end())
    return OneShot(check_minutes(_match_minutes(match)), content, offset)


def classify(text: str) -> Classified:
    """Is this private message a check-in, a question, or unclear?

    Only durations with a unit count here (a bare "3" in "第三卷" is no duration).
    Questions and rule talk ("每月要自学30小时") must reach the criteria answers.
    """
    folded = fold(text)
    match = _DURATION_RE.search(folded)
    if match is None:
        return Classified(TextKind.NONE)
    if _TIME_EXPRESSION_RE.match(folded, match.end()):
        return Classified(TextKind.NONE)
    minutes = _match_minutes(match)
    if _QUESTION_RE.search(folded.strip()) or minutes > MAX_ENTRY_MINUTES:
        return Classified(TextKind.QUESTION, minutes)
    day_offset, content = _split(text, folded, match.start(), match.end())
    if _RULE_TALK_RE.search(folded):
        return Classified(TextKind.AMBIGUOUS, minutes, content, day_offset)
    before = folded[: match.start()]
    # "学习2小时 …", "2小时 团课" and "晚上2小时 学习团章" read as check-ins; "团史2小时" may not.
    if not before.strip() or _STUDY_VERB_RE.search(before) or _STUDY_VERB_RE.search(content):
        return Classified(TextKind.CHECKIN, minutes, content, day_offset)
    return Classified(TextKind.AMBIGUOUS, minutes, content, day_offset)
