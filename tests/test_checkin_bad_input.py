"""Every bad input of the check-in gets a clear answer and stores nothing."""

from __future__ import annotations

from datetime import date, timedelta

import pytest

from bot.context import AppContext
from bot.keyboards.checkin import DraftDayCb, EntryAction, EntryCb
from tests.support.factories import CADRE_A1_TG, STRANGER_TG, World
from tests.support.harness import Harness, button_data, joined
from tests.test_checkin_handlers import TODAY, add_log, start_draft, stored


@pytest.mark.parametrize(
    ("command", "answer"),
    [
        ("/log 0 团章", "必须大于零"),
        ("/log -1 团章", "不能是负数"),
        ("/log 负2 团章", "不能是负数"),
        ("/log abc", "没有看懂学习时长"),
        ("/log 🙂🙂", "没有看懂学习时长"),
        ("/log 25 团章", "最多 24 小时"),
        ("/log 2 团", "2–500 个字"),
        ("学习0小时 团史", "必须大于零"),
    ],
)
async def test_bad_one_shot_is_explained_and_not_stored(
    harness: Harness, world: World, app: AppContext, command: str, answer: str
) -> None:
    sent = await harness.send(CADRE_A1_TG, command)
    assert answer in joined(sent)
    assert await stored(app) == []


async def test_too_long_content_gives_the_limit(
    harness: Harness, world: World, app: AppContext
) -> None:
    sent = await harness.send(CADRE_A1_TG, "/log 2 " + "团" * 501)
    assert "最多 500 个字，你发送了 501 个字" in joined(sent)
    assert await stored(app) == []


async def test_more_than_24_hours_on_one_day_is_refused(
    harness: Harness, world: World, app: AppContext
) -> None:
    await harness.send(CADRE_A1_TG, "/log 23 团章")
    sent = await harness.send(CADRE_A1_TG, "/log 2 团史")
    assert "这一天已记录 23 小时" in joined(sent)
    assert len(await stored(app)) == 1


async def test_moving_an_entry_before_the_editable_window_is_refused(
    harness: Harness, world: World, app: AppContext
) -> None:
    await harness.send(CADRE_A1_TG, "/log 2 团章")
    [log] = await stored(app)
    sent = await harness.press(CADRE_A1_TG, f"cked:{log.id}:{date(2026, 10, 30).toordinal()}")
    assert "11月1日以前的记录已锁定" in joined(sent)
    assert (await stored(app))[0].study_date == TODAY


async def test_moving_an_entry_into_the_future_is_refused(
    harness: Harness, world: World, app: AppContext
) -> None:
    await harness.send(CADRE_A1_TG, "/log 2 团章")
    [log] = await stored(app)
    tomorrow = (TODAY + timedelta(days=1)).toordinal()
    sent = await harness.press(CADRE_A1_TG, f"cked:{log.id}:{tomorrow}")
    assert "不能记录未来日期" in joined(sent)
    assert (await stored(app))[0].study_date == TODAY


async def test_editing_an_entry_of_a_locked_month_is_refused(
    harness: Harness, world: World, app: AppContext
) -> None:
    log_id = await add_log(app, world.cadre_a1.id or 0, date(2026, 10, 20))
    sent = await harness.press(CADRE_A1_TG, EntryCb(action=EntryAction.EDIT, log_id=log_id))
    assert "已锁定" in joined(sent)


async def test_future_day_in_a_forged_draft_button_is_refused(
    harness: Harness, world: World, app: AppContext
) -> None:
    summary = await start_draft(harness)
    token = button_data(summary, "保存").split(":")[-1]
    tomorrow = (TODAY + timedelta(days=1)).toordinal()
    sent = await harness.press(CADRE_A1_TG, DraftDayCb(token=token, day=tomorrow))
    assert "不能记录未来日期" in joined(sent)
    await harness.press(CADRE_A1_TG, button_data(summary, "保存"))
    [log] = await stored(app)
    assert log.study_date == TODAY


async def test_locked_day_in_a_forged_draft_button_is_refused(
    harness: Harness, world: World, app: AppContext
) -> None:
    summary = await start_draft(harness)
    token = button_data(summary, "保存").split(":")[-1]
    october = date(2026, 10, 30).toordinal()
    sent = await harness.press(CADRE_A1_TG, DraftDayCb(token=token, day=october))
    assert "11月1日以前的记录已锁定" in joined(sent)


@pytest.mark.parametrize("send", ["send_sticker", "send_photo", "send_voice"])
async def test_non_text_where_the_duration_is_expected(
    harness: Harness, world: World, app: AppContext, send: str
) -> None:
    await harness.send(CADRE_A1_TG, "/log")
    sent = await getattr(harness, send)(CADRE_A1_TG)
    assert "请发送文字" in joined(sent)
    assert await stored(app) == []


async def test_non_text_where_the_content_is_expected(
    harness: Harness, world: World, app: AppContext
) -> None:
    await harness.send(CADRE_A1_TG, "/log 2")
    sent = await harness.send_sticker(CADRE_A1_TG)
    assert "请发送文字" in joined(sent)


async def test_bad_typed_duration_in_the_flow_keeps_asking(
    harness: Harness, world: World, app: AppContext
) -> None:
    await harness.send(CADRE_A1_TG, "/log")
    sent = await harness.send(CADRE_A1_TG, "很久")
    assert "没有看懂学习时长" in joined(sent)
    sent = await harness.send(CADRE_A1_TG, "2")
    assert "学习了什么内容" in joined(sent)


async def test_too_short_content_in_the_flow(
    harness: Harness, world: World, app: AppContext
) -> None:
    await harness.send(CADRE_A1_TG, "/log 2")
    sent = await harness.send(CADRE_A1_TG, "a")
    assert "2–500 个字" in joined(sent)


async def test_unregistered_user_is_told_how_to_join(
    harness: Harness, world: World, app: AppContext
) -> None:
    for text in ("/log 2 团章", "学习2小时 团史", "/me", "/history"):
        sent = await harness.send(STRANGER_TG, text)
        assert "邀请" in joined(sent), text
    assert await stored(app) == []


async def test_unregistered_user_cannot_undo(
    harness: Harness, world: World, app: AppContext
) -> None:
    await harness.send(CADRE_A1_TG, "/log 2 团章")
    await harness.press(STRANGER_TG, "cke:u:1")
    assert len(await stored(app)) == 1


async def test_group_chat_never_logs_or_shows_progress(
    harness: Harness, world: World, app: AppContext
) -> None:
    await harness.send(CADRE_A1_TG, "/log 2 团章", group=True)
    await harness.send(CADRE_A1_TG, "学习2小时 团史", group=True)
    sent = await harness.send(CADRE_A1_TG, "/me", group=True)
    assert await stored(app) == []
    assert "小时" not in joined(sent)
