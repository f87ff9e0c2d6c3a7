"""The check-in through the real Dispatcher: one message, buttons, undo, edit, delete."""

from __future__ import annotations

from datetime import date

import pytest
from sqlmodel import select

from bot.context import AppContext
from bot.keyboards.checkin import DraftAction, DraftCb, EntryAction, EntryCb
from storage.models import GroupStudy, MemberLeave, StudyLog
from tests.support.factories import CADRE_A1_TG, CADRE_A2_TG, World
from tests.support.harness import Harness, button_data, buttons, joined

TODAY = date(2026, 11, 20)
STALE = "按钮已失效"


async def stored(app: AppContext) -> list[StudyLog]:
    async with app.sessions() as session:
        return list((await session.exec(select(StudyLog).order_by(StudyLog.id))).all())


async def add_log(app: AppContext, member_id: int, day: date, minutes: int = 60) -> int:
    """An entry written straight to the database (e.g. in a month now locked)."""
    async with app.sessions() as session:
        log = StudyLog(member_id=member_id, study_date=day, minutes=minutes, content="团史")
        session.add(log)
        await session.commit()
        assert log.id is not None
        return log.id


async def start_draft(harness: Harness, user: int = CADRE_A1_TG) -> list:
    """/log → 1.5 h → content: returns the summary's requests (with Save)."""
    await harness.send(user, "/log")
    await harness.press(user, "ckm:90")
    return await harness.send(user, "团章第二章")


# ---- one message -------------------------------------------------------------------------


async def test_log_one_shot_saves_the_entry(
    harness: Harness, world: World, app: AppContext
) -> None:
    await harness.send(CADRE_A1_TG, "/log 2.5 学习团章第一章")
    [log] = await stored(app)
    assert (log.member_id, log.minutes, log.content, log.study_date) == (
        world.cadre_a1.id,
        150,
        "学习团章第一章",
        TODAY,
    )


async def test_log_one_shot_answers_with_progress_and_undo(harness: Harness, world: World) -> None:
    sent = await harness.send(CADRE_A1_TG, "/log 2.5 学习团章第一章")
    text = joined(sent)
    assert "2.5 / 30 小时" in text
    assert "还差 27.5 小时，剩余 11 天" in text
    assert button_data(sent, "撤销").startswith("cke:u:")


async def test_plain_text_check_in_is_saved(
    harness: Harness, world: World, app: AppContext
) -> None:
    await harness.send(CADRE_A1_TG, "学习2小时 读《习近平谈治国理政》第三卷")
    [log] = await stored(app)
    assert (log.minutes, log.content) == (120, "读《习近平谈治国理政》第三卷")


async def test_plain_text_yesterday_is_saved_on_yesterday(
    harness: Harness, world: World, app: AppContext
) -> None:
    await harness.send(CADRE_A1_TG, "昨天学习1小时 团史")
    [log] = await stored(app)
    assert (log.minutes, log.study_date) == (60, date(2026, 11, 19))


async def test_question_with_a_duration_is_not_taken_as_a_check_in(
    harness: Harness, world: World, app: AppContext
) -> None:
    sent = await harness.send(CADRE_A1_TG, "每月要自学30小时吗?")
    assert await stored(app) == []
    assert not any(data.startswith("ck") for _, data in buttons(sent))


async def test_text_without_a_duration_falls_through(
    harness: Harness, world: World, app: AppContext
) -> None:
    sent = await harness.send(CADRE_A1_TG, "什么是双争先")
    assert await stored(app) == []
    assert "已记录" not in joined(sent)


async def test_ambiguous_text_asks_before_saving(
    harness: Harness, world: World, app: AppContext
) -> None:
    sent = await harness.send(CADRE_A1_TG, "团史2小时")
    assert await stored(app) == []
    assert {"记为学习", "这是提问"} <= {text for text, _ in buttons(sent)}


async def test_ambiguous_text_logged_on_tap(
    harness: Harness, world: World, app: AppContext
) -> None:
    sent = await harness.send(CADRE_A1_TG, "团史2小时")
    await harness.press(CADRE_A1_TG, button_data(sent, "记为学习"))
    [log] = await stored(app)
    assert (log.minutes, log.content) == (120, "团史")


async def test_ambiguous_text_tapped_twice_stores_once(
    harness: Harness, world: World, app: AppContext
) -> None:
    sent = await harness.send(CADRE_A1_TG, "团史2小时")
    await harness.press(CADRE_A1_TG, button_data(sent, "记为学习"))
    again = await harness.press(CADRE_A1_TG, button_data(sent, "记为学习"))
    assert len(await stored(app)) == 1
    assert STALE in joined(again)


async def test_ambiguous_text_as_question_stores_nothing(
    harness: Harness, world: World, app: AppContext
) -> None:
    sent = await harness.send(CADRE_A1_TG, "团史2小时")
    answer = await harness.press(CADRE_A1_TG, button_data(sent, "这是提问"))
    assert await stored(app) == []
    assert joined(answer)  # answered by the criteria feature (or told to use /ask)


async def test_redelivered_update_stores_one_entry(
    harness: Harness, world: World, app: AppContext
) -> None:
    message = harness.message(CADRE_A1_TG, "/log 2 团章")
    await harness.send_message(message)
    again = await harness.send_message(message)
    assert len(await stored(app)) == 1
    assert "已经保存过" in joined(again)


async def test_redelivered_plain_text_stores_one_entry(
    harness: Harness, world: World, app: AppContext
) -> None:
    message = harness.message(CADRE_A1_TG, "学习2小时 团史")
    await harness.send_message(message)
    await harness.send_message(message)
    assert len(await stored(app)) == 1


async def test_log_with_only_a_duration_asks_for_the_content(
    harness: Harness, world: World, app: AppContext
) -> None:
    sent = await harness.send(CADRE_A1_TG, "/log 2")
    assert "学习了什么内容" in joined(sent)
    summary = await harness.send(CADRE_A1_TG, "团章")
    await harness.press(CADRE_A1_TG, button_data(summary, "保存"))
    [log] = await stored(app)
    assert (log.minutes, log.content) == (120, "团章")


# ---- the button flow ---------------------------------------------------------------------


async def test_menu_button_starts_the_flow_with_quick_durations(
    harness: Harness, world: World
) -> None:
    sent = await harness.send(CADRE_A1_TG, "📝 记录学习")
    assert [text for text, _ in buttons(sent)] == [
        "0.5 小时",
        "1 小时",
        "1.5 小时",
        "2 小时",
        "3 小时",
        "4 小时",
    ]


async def test_button_flow_saves_after_the_summary(
    harness: Harness, world: World, app: AppContext
) -> None:
    summary = await start_draft(harness)
    assert "请核对后保存" in joined(summary)
    assert await stored(app) == []
    await harness.press(CADRE_A1_TG, button_data(summary, "保存"))
    [log] = await stored(app)
    assert (log.minutes, log.content, log.study_date) == (90, "团章第二章", TODAY)


async def test_button_flow_accepts_a_typed_duration(
    harness: Harness, world: World, app: AppContext
) -> None:
    await harness.send(CADRE_A1_TG, "/log")
    await harness.send(CADRE_A1_TG, "一个半小时")
    summary = await harness.send(CADRE_A1_TG, "团史学习")
    await harness.press(CADRE_A1_TG, button_data(summary, "保存"))
    [log] = await stored(app)
    assert log.minutes == 90


async def test_button_flow_yesterday_is_one_tap_away(
    harness: Harness, world: World, app: AppContext
) -> None:
    summary = await start_draft(harness)
    edited = await harness.press(CADRE_A1_TG, button_data(summary, "昨天"))
    await harness.press(CADRE_A1_TG, button_data(edited, "保存"))
    [log] = await stored(app)
    assert log.study_date == date(2026, 11, 19)


async def test_button_flow_earlier_day_of_the_month(
    harness: Harness, world: World, app: AppContext
) -> None:
    summary = await start_draft(harness)
    days = await harness.press(CADRE_A1_TG, button_data(summary, "更早日期"))
    assert len(buttons(days)) == 20  # 11/1 … 11/20: the editable days of the month
    edited = await harness.press(CADRE_A1_TG, button_data(days, "11月3日"))
    await harness.press(CADRE_A1_TG, button_data(edited, "保存"))
    [log] = await stored(app)
    assert log.study_date == date(2026, 11, 3)


async def test_double_tap_on_save_stores_one_entry(
    harness: Harness, world: World, app: AppContext
) -> None:
    summary = await start_draft(harness)
    save = button_data(summary, "保存")
    await harness.press(CADRE_A1_TG, save)
    again = await harness.press(CADRE_A1_TG, save)
    assert len(await stored(app)) == 1
    assert "已经保存过" in joined(again)


async def test_cancel_button_stores_nothing(
    harness: Harness, world: World, app: AppContext
) -> None:
    summary = await start_draft(harness)
    await harness.press(CADRE_A1_TG, button_data(summary, "取消"))
    assert await stored(app) == []


async def test_cancel_command_leaves_the_flow(
    harness: Harness, world: World, app: AppContext
) -> None:
    await harness.send(CADRE_A1_TG, "/log")
    await harness.send(CADRE_A1_TG, "/cancel")
    sent = await harness.send(CADRE_A1_TG, "团章")  # no longer read as a duration
    assert "没有看懂学习时长" not in joined(sent)


async def test_quick_duration_outside_the_flow_is_stale(harness: Harness, world: World) -> None:
    sent = await harness.press(CADRE_A1_TG, "ckm:90")
    assert STALE in joined(sent)


async def test_save_of_an_unknown_draft_is_stale(
    harness: Harness, world: World, app: AppContext
) -> None:
    await start_draft(harness)
    sent = await harness.press(CADRE_A1_TG, DraftCb(action=DraftAction.SAVE, token="forged"))
    assert await stored(app) == []
    assert "已经保存过" not in joined(sent)


async def test_another_members_draft_token_saves_nothing_for_them(
    harness: Harness, world: World, app: AppContext
) -> None:
    summary = await start_draft(harness, CADRE_A1_TG)
    await harness.press(CADRE_A2_TG, button_data(summary, "保存"))
    assert await stored(app) == []


# ---- undo, edit, delete ------------------------------------------------------------------


async def test_undo_removes_the_entry(harness: Harness, world: World, app: AppContext) -> None:
    sent = await harness.send(CADRE_A1_TG, "/log 2 团章")
    answer = await harness.press(CADRE_A1_TG, button_data(sent, "撤销"))
    assert await stored(app) == []
    assert "已撤销" in joined(answer)


async def test_undo_of_another_members_entry_is_rejected(
    harness: Harness, world: World, app: AppContext
) -> None:
    sent = await harness.send(CADRE_A1_TG, "/log 2 团章")
    answer = await harness.press(CADRE_A2_TG, button_data(sent, "撤销"))
    assert len(await stored(app)) == 1
    assert STALE in joined(answer)


async def test_undo_of_a_forged_id_is_rejected(harness: Harness, world: World) -> None:
    answer = await harness.press(CADRE_A1_TG, EntryCb(action=EntryAction.UNDO, log_id=999))
    assert STALE in joined(answer)


async def test_undo_of_a_locked_entry_is_refused(
    harness: Harness, world: World, app: AppContext
) -> None:
    log_id = await add_log(app, world.cadre_a1.id or 0, date(2026, 10, 20))
    answer = await harness.press(CADRE_A1_TG, EntryCb(action=EntryAction.UNDO, log_id=log_id))
    assert len(await stored(app)) == 1
    assert "已锁定" in joined(answer)


@pytest.mark.parametrize("data", ["cke:zz:abc", "cked:1:99999999999", "ckdd:x:0", "ckm:"])
async def test_garbage_callback_data_with_our_prefix_is_stale(
    harness: Harness, world: World, data: str
) -> None:
    answer = await harness.press(CADRE_A1_TG, data)
    assert STALE in joined(answer)


async def _edit_menu(harness: Harness) -> list:
    history = await harness.send(CADRE_A1_TG, "/history")
    return await harness.press(CADRE_A1_TG, button_data(history, "✏️ 1"))


async def test_edit_the_duration(harness: Harness, world: World, app: AppContext) -> None:
    await harness.send(CADRE_A1_TG, "/log 2 团章")
    menu = await _edit_menu(harness)
    await harness.press(CADRE_A1_TG, button_data(menu, "时长"))
    answer = await harness.send(CADRE_A1_TG, "3小时")
    [log] = await stored(app)
    assert log.minutes == 180
    assert "已修改" in joined(answer)


async def test_edit_the_content(harness: Harness, world: World, app: AppContext) -> None:
    await harness.send(CADRE_A1_TG, "/log 2 团章")
    menu = await _edit_menu(harness)
    await harness.press(CADRE_A1_TG, button_data(menu, "内容"))
    await harness.send(CADRE_A1_TG, "团章总纲")
    [log] = await stored(app)
    assert log.content == "团章总纲"


async def test_edit_the_date(harness: Harness, world: World, app: AppContext) -> None:
    await harness.send(CADRE_A1_TG, "/log 2 团章")
    menu = await _edit_menu(harness)
    days = await harness.press(CADRE_A1_TG, button_data(menu, "日期"))
    await harness.press(CADRE_A1_TG, button_data(days, "11月2日"))
    [log] = await stored(app)
    assert log.study_date == date(2026, 11, 2)


async def test_edit_of_another_members_entry_is_rejected(
    harness: Harness, world: World, app: AppContext
) -> None:
    log_id = await add_log(app, world.cadre_a2.id or 0, TODAY)
    answer = await harness.press(CADRE_A1_TG, f"cked:{log_id}:{date(2026, 11, 2).toordinal()}")
    [log] = await stored(app)
    assert log.study_date == TODAY
    assert STALE in joined(answer)


async def test_edit_menu_of_another_members_entry_is_rejected(
    harness: Harness, world: World, app: AppContext
) -> None:
    log_id = await add_log(app, world.cadre_a2.id or 0, TODAY)
    answer = await harness.press(CADRE_A1_TG, EntryCb(action=EntryAction.MINUTES, log_id=log_id))
    assert STALE in joined(answer)
    follow = await harness.send(CADRE_A1_TG, "5")  # not waiting for a duration
    assert (await stored(app))[0].minutes == 60
    assert "已修改" not in joined(follow)


async def test_delete_asks_to_confirm(harness: Harness, world: World, app: AppContext) -> None:
    await harness.send(CADRE_A1_TG, "/log 2 团章")
    history = await harness.send(CADRE_A1_TG, "/history")
    confirm = await harness.press(CADRE_A1_TG, button_data(history, "🗑 1"))
    assert len(await stored(app)) == 1
    await harness.press(CADRE_A1_TG, button_data(confirm, "确认删除"))
    assert await stored(app) == []


async def test_delete_kept_changes_nothing(harness: Harness, world: World, app: AppContext) -> None:
    await harness.send(CADRE_A1_TG, "/log 2 团章")
    history = await harness.send(CADRE_A1_TG, "/history")
    confirm = await harness.press(CADRE_A1_TG, button_data(history, "🗑 1"))
    await harness.press(CADRE_A1_TG, button_data(confirm, "保留"))
    assert len(await stored(app)) == 1


async def test_forged_delete_of_another_members_entry_changes_nothing(
    harness: Harness, world: World, app: AppContext
) -> None:
    log_id = await add_log(app, world.cadre_b1.id or 0, TODAY)
    await harness.press(CADRE_A1_TG, EntryCb(action=EntryAction.DELETE_OK, log_id=log_id))
    assert len(await stored(app)) == 1


# ---- /me and /history --------------------------------------------------------------------


async def test_me_shows_the_month_and_the_branch_group_study(
    harness: Harness, world: World
) -> None:
    await harness.send(CADRE_A1_TG, "/log 3 团章")
    sent = await harness.send(CADRE_A1_TG, "/me")
    text = joined(sent)
    assert "3 / 30 小时" in text
    assert "本支部本月集体学习 0/2 个半天" in text


async def test_me_menu_button_says_when_on_leave(
    harness: Harness, world: World, app: AppContext
) -> None:
    async with app.sessions() as session:
        session.add(MemberLeave(member_id=world.cadre_a1.id or 0, month="2026-11"))
        await session.commit()
    sent = await harness.send(CADRE_A1_TG, "📊 我的进度")
    assert "本月已请假" in joined(sent)


async def test_history_of_an_earlier_month_shows_locked_entries(
    harness: Harness, world: World, app: AppContext
) -> None:
    await add_log(app, world.cadre_a1.id or 0, date(2026, 10, 20))
    sent = await harness.send(CADRE_A1_TG, "/history 2026-10")
    assert "🔒" in joined(sent)
    assert not [data for _, data in buttons(sent) if data.startswith("cke:")]


async def test_history_with_a_bad_month_explains_the_format(harness: Harness, world: World) -> None:
    sent = await harness.send(CADRE_A1_TG, "/history 十一月")
    assert "/history 2026-10" in joined(sent)


async def test_history_pages_many_entries_within_telegram_limits(
    harness: Harness, world: World, app: AppContext
) -> None:
    for day in range(1, 21):
        for _ in range(2):
            await add_log(app, world.cadre_a1.id or 0, date(2026, 11, day), 30)
    sent = await harness.send(CADRE_A1_TG, "📜 学习记录")
    assert len(buttons(sent)) <= 100
    assert all(len(text) <= 4096 for text in [joined(sent)])
    assert "第 1 / 4 页" in joined(sent)
    page2 = await harness.press(CADRE_A1_TG, button_data(sent, "▶️"))
    assert "11." in joined(page2) and "第 2 / 4 页" in joined(page2)


async def test_another_menu_button_mid_flow_is_not_read_as_a_duration(
    harness: Harness, world: World
) -> None:
    await harness.send(CADRE_A1_TG, "/log")
    sent = await harness.send(CADRE_A1_TG, "📊 我的进度")
    assert "没有看懂学习时长" not in joined(sent)
    assert "0 / 30 小时" in joined(sent)


async def test_edit_with_a_bad_duration_asks_again(
    harness: Harness, world: World, app: AppContext
) -> None:
    await harness.send(CADRE_A1_TG, "/log 2 团章")
    menu = await _edit_menu(harness)
    await harness.press(CADRE_A1_TG, button_data(menu, "时长"))
    sent = await harness.send(CADRE_A1_TG, "0")
    assert "必须大于零" in joined(sent)
    await harness.send(CADRE_A1_TG, "1")
    assert (await stored(app))[0].minutes == 60


async def test_edit_of_an_entry_deleted_meanwhile_ends_the_edit(
    harness: Harness, world: World, app: AppContext
) -> None:
    sent = await harness.send(CADRE_A1_TG, "/log 2 团章")
    menu = await _edit_menu(harness)
    await harness.press(CADRE_A1_TG, button_data(menu, "内容"))
    await harness.press(CADRE_A1_TG, button_data(sent, "撤销"))
    answer = await harness.send(CADRE_A1_TG, "团章总纲")
    assert "这条记录已不存在" in joined(answer)
    after = await harness.send(CADRE_A1_TG, "团章总纲")  # no longer in the edit step
    assert "这条记录已不存在" not in joined(after)


async def test_me_counts_the_branch_group_study_half_days(
    harness: Harness, world: World, app: AppContext
) -> None:
    async with app.sessions() as session:
        session.add(
            GroupStudy(
                org_id=world.branch_a.id or 0,
                study_date=date(2026, 11, 6),
                half_days=1,
                minutes=180,
                topic="学习团章",
            )
        )
        await session.commit()
    sent = await harness.send(CADRE_A1_TG, "/me")
    assert "本支部本月集体学习 1/2 个半天" in joined(sent)
