"""The one-tap button on pushed nudges, and /history's month navigation."""

from __future__ import annotations

from bot.context import AppContext
from bot.i18n import i18n_context
from bot.keyboards.checkin import HistoryCb, LogStartCb
from scheduler.texts.reminders import nudge
from tests.support.factories import CADRE_A1_TG, STRANGER_TG, World
from tests.support.harness import Harness, buttons, joined

NUDGE_ARGS = {
    "month": "2026-11",
    "done_hours": "5",
    "target_hours": "30",
    "left_hours": "25",
    "days_left": 10,
    "per_day_hours": "2.5",
}


def test_nudge_carries_a_log_button(app: AppContext) -> None:
    with i18n_context(app.i18n, "zh_CN"):
        rendered = nudge(NUDGE_ARGS)
    assert rendered.reply_markup is not None
    button = rendered.reply_markup.inline_keyboard[0][0]
    assert button.callback_data == LogStartCb().pack()
    assert "记录学习" in button.text


async def test_log_button_from_a_nudge_opens_the_check_in_flow(
    harness: Harness, world: World
) -> None:
    sent = await harness.press(CADRE_A1_TG, LogStartCb())
    assert "学习了多长时间" in joined(sent) or "多长时间" in joined(sent)


async def test_log_button_from_a_stranger_asks_to_join_first(
    harness: Harness, world: World
) -> None:
    sent = await harness.press(STRANGER_TG, LogStartCb())
    assert "邀请链接" in joined(sent)


async def test_history_of_this_month_has_no_next_month_button(
    harness: Harness, world: World
) -> None:
    sent = await harness.send(CADRE_A1_TG, "/history")
    data = [data for _, data in buttons(sent)]
    assert HistoryCb(month="2026-10", page=0).pack() in data
    assert HistoryCb(month="2026-12", page=0).pack() not in data


async def test_history_of_last_month_offers_this_month(harness: Harness, world: World) -> None:
    sent = await harness.press(CADRE_A1_TG, HistoryCb(month="2026-10", page=0))
    data = [data for _, data in buttons(sent)]
    assert HistoryCb(month="2026-11", page=0).pack() in data
