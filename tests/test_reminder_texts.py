"""Every reminder text renders in both locales from the arguments its job stores."""

from __future__ import annotations

from typing import Any

import pytest

from bot.context import AppContext
from bot.i18n import i18n_context
from scheduler.texts.reminders import RENDERERS

BANNED = ("效劳", "科学开展观", "原那么", "根底", "稳固", "广阔", "到达", "创立", "工作工程")
NUDGE = {
    "month": "2026-11",
    "done_hours": "12.5",
    "target_hours": "30",
    "left_hours": "17.5",
    "days_left": 10,
    "per_day_hours": "1.8",
}
MEETING = {"meeting_id": 7, "when": "2026-11-21 14:00", "place": "团委会议室", "agenda": "交流"}
ARGS: dict[str, dict[str, Any]] = {
    "reminder.month_start": {
        "month": "2026-12",
        "target_hours": "30",
        "group_half_days": 2,
        "meeting_day": 20,
        "last_month": "2026-11",
        "last_done_hours": "31",
        "last_reached": True,
    },
    "reminder.nudge": NUDGE,
    "reminder.final": NUDGE,
    "reminder.group_study": {
        "org": "第二团支部",
        "month": "2026-11",
        "done_half_days": "1",
        "required_half_days": 2,
    },
    "reminder.meeting_missing": {"org": "第二团支部", "month": "2026-11"},
    "reminder.meeting_soon": MEETING,
    "reminder.meeting_share": MEETING,
    "reminder.weekly_digest": {
        "org": "第一团支部",
        "month": "2026-11",
        "members": 14,
        "reached": 1,
        "behind": 12,
        "behind_names": ["李四"] * 10,
        "group_half_days": "1",
        "required_half_days": 2,
    },
    "reminder.month_close": {
        "month": "2026-11",
        "members": 6,
        "reached": 1,
        "on_leave": 0,
        "orgs": 4,
        "orgs_group_ok": 1,
        "open_until_day": 5,
    },
}


def test_every_reminder_text_key_has_sample_arguments() -> None:
    assert set(ARGS) == set(RENDERERS)


@pytest.mark.parametrize("locale", ["zh_CN", "en"])
@pytest.mark.parametrize("text_key", sorted(RENDERERS))
def test_reminder_renders_fully_in_the_locale(app: AppContext, text_key: str, locale: str) -> None:
    with i18n_context(app.i18n, locale):
        rendered = RENDERERS[text_key](ARGS[text_key])

    assert rendered.text and len(rendered.text) <= 4096
    assert "{" not in rendered.text
    assert not any(word in rendered.text for word in BANNED)


@pytest.mark.parametrize("text_key", sorted(RENDERERS))
def test_reminder_is_translated(app: AppContext, text_key: str) -> None:
    texts = []
    for locale in ("zh_CN", "en"):
        with i18n_context(app.i18n, locale):
            texts.append(RENDERERS[text_key](ARGS[text_key]).text)

    assert texts[0] != texts[1]


def test_weekly_digest_says_how_many_more_are_behind(app: AppContext) -> None:
    with i18n_context(app.i18n, "zh_CN"):
        rendered = RENDERERS["reminder.weekly_digest"](ARGS["reminder.weekly_digest"])

    assert "……等 2 人" in rendered.text


def test_meeting_reminder_carries_the_reply_buttons(app: AppContext) -> None:
    with i18n_context(app.i18n, "zh_CN"):
        rendered = RENDERERS["reminder.meeting_soon"](MEETING)

    assert rendered.reply_markup is not None
    data = [b.callback_data for row in rendered.reply_markup.inline_keyboard for b in row]
    assert all(item and item.startswith("mt:") and item.count(":7") for item in data)


def _month_start(**changes: Any) -> dict[str, Any]:
    args = dict(ARGS["reminder.month_start"], last_reached=False, last_done_hours="26")
    args.update(changes)
    return args


def test_month_start_short_of_target_says_until_when_entries_can_be_added(
    app: AppContext,
) -> None:
    with i18n_context(app.i18n, "zh_CN"):
        text = RENDERERS["reminder.month_start"](_month_start(open_until_day=5)).text
    assert "本月 5 日前仍可补录" in text


def test_month_start_queued_before_the_hint_existed_renders_without_it(app: AppContext) -> None:
    with i18n_context(app.i18n, "zh_CN"):
        text = RENDERERS["reminder.month_start"](_month_start()).text
    assert "26 小时" in text and "补录" not in text


def test_month_close_says_the_figures_can_change_until_the_lock_day(app: AppContext) -> None:
    with i18n_context(app.i18n, "zh_CN"):
        text = RENDERERS["reminder.month_close"](ARGS["reminder.month_close"]).text
    assert "已结束" in text and "可补录至本月 5 日" in text
