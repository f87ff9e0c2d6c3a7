"""What a free-text question is about: the plan, the user's own figures, or small talk.

Framework-free and cheap (a few regular expressions, then the index), so the bench and
the handlers decide the same way.
"""

from __future__ import annotations

import re
import unicodedata
from dataclasses import dataclass, field
from enum import StrEnum

from bot.knowledge.search import Hit, SearchIndex

# An entry is the answer only when it covers enough of what was asked and scores clearly;
# below that, near misses are offered as suggestions, never as the answer.
MIN_CONFIDENCE = 0.45
MIN_SCORE = 4.0
MIN_SUGGESTION_SCORE = 3.0
ANSWER_DEPTH = 3
MAX_QUESTION = 300  # longer texts are cut: nobody asks a question that long


class Intent(StrEnum):
    ENTRY = "entry"
    MY_PROGRESS = "my_progress"
    GROUP_PROGRESS = "group_progress"
    GREETING = "greeting"
    THANKS = "thanks"
    NO_MATCH = "no_match"


@dataclass(frozen=True)
class Resolution:
    intent: Intent
    hits: list[Hit] = field(default_factory=list)  # ranked; hits[0] is the answer for ENTRY

    @property
    def entry_id(self) -> str | None:
        return self.hits[0].entry_id if self.intent is Intent.ENTRY else None


_END = r"[\s!！。.~～,，?？]*$"
_GREETING_RE = re.compile(
    r"^(你好|您好|嗨|哈喽|哈啰|在吗|在不在|早上好|早安|中午好|下午好|晚上好|"
    r"hi|hello|hey|good (morning|afternoon|evening))(呀|啊|哦)?" + _END
)
_THANKS_RE = re.compile(
    r"^(谢谢|谢谢你|谢谢您|多谢|谢啦|感谢|好的|好的谢谢|收到|明白了|知道了|ok|okay|"
    r"thanks|thank you|thx|got it)(啦|了|哈|呀)?" + _END
)
_ME = r"(我(?!们)|俺|本人|\bi\b|\bmy\b|\bme\b|\bi've\b|\bi'm\b)"
_MY_STATUS = (
    r"(还差|差多少|差几|还(需要|要|得)学.{0,3}(多少|几)|学了多少|学了几|学够|够了|够.{0,8}?(了|吗|没|不)|够不够|够没|完成了|完成没|完成多少|进度|达标|"
    r"多少小时了|几个小时了|记了多少|打卡了多少|how many hours have|how much have|"
    r"progress|on track|logged|\bleft\b|behind)"
)
_WE = r"(我们|咱们|咱|本支部|本单位|\bour\b|\bwe\b)"
_GROUP = r"(集体学习|集中学习|班子学习|group stud|team stud)"
_GROUP_STATUS = (
    r"(够|几次|多少|完成|达标|还差|进度|enough|how many|how much|done|progress|\bleft\b)"
)


def normalise(question: str) -> str:
    return unicodedata.normalize("NFKC", question).strip().lower()[:MAX_QUESTION]


def classify_personal(text: str) -> Intent | None:
    """Small talk and questions about the user's own figures; None for the plan."""
    if _GREETING_RE.match(text):
        return Intent.GREETING
    if _THANKS_RE.match(text):
        return Intent.THANKS
    if re.search(_WE, text) and re.search(_GROUP, text) and re.search(_GROUP_STATUS, text):
        return Intent.GROUP_PROGRESS
    if re.search(_ME, text) and re.search(_MY_STATUS, text):
        return Intent.MY_PROGRESS
    return None


def resolve(index: SearchIndex, question: str) -> Resolution:
    """Decide how to answer `question`."""
    text = normalise(question)
    personal = classify_personal(text)
    if personal is not None:
        return Resolution(personal)
    hits = index.search(text)
    # The best-ranked entry that is also confident answers; a broad entry that outranks
    # it on shared words alone (an overview) stays among the suggestions.
    for position, hit in enumerate(hits[:ANSWER_DEPTH]):
        if hit.confidence >= MIN_CONFIDENCE and hit.score >= MIN_SCORE:
            return Resolution(Intent.ENTRY, [hit, *hits[:position], *hits[position + 1 :]])
    near = [hit for hit in hits if hit.score >= MIN_SUGGESTION_SCORE]
    return Resolution(Intent.NO_MATCH, near)
