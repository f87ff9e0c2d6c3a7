"""Group study through the real Dispatcher: record, bad input, scope, edit and delete."""

from __future__ import annotations

from datetime import date, datetime

from sqlmodel import select

from bot.clock import FixedClock
from bot.context import AppContext
from bot.keyboards.group_study import GsAction, GsCb
from storage.models import AuditLog, GroupStudy, GroupStudyAttendee, Role, StudyLog
from tests.conftest import SHANGHAI
from tests.support.factories import (
    ADMIN_TG,
    CADRE_A1_TG,
    SECRETARY_A_TG,
    SECRETARY_B_TG,
    World,
    add_member,
)
from tests.support.harness import Harness, button_data, buttons, joined

STALE = "按钮已失效"


def cb(action: GsAction, id: int = 0, page: int = 0) -> str:
    return GsCb(action=action, id=id, page=page).pack()


async def studies(app: AppContext) -> list[GroupStudy]:
    async with app.sessions() as session:
        return list((await session.exec(select(GroupStudy))).all())


async def fill_draft(harness: Harness, world: World, user: int = SECRETARY_A_TG) -> None:
    """Up to the attendee step: today, half a day, a topic, no summary."""
    await harness.press(user, cb(GsAction.NEW, world.branch_a.id))
    await harness.press(user, cb(GsAction.TODAY))
    await harness.press(user, cb(GsAction.HALF_DAY))
    await harness.send(user, "学习团章第三章")
    await harness.press(user, cb(GsAction.NO_SUMMARY))


async def record_one(harness: Harness, world: World, user: int = SECRETARY_A_TG) -> None:
    await fill_draft(harness, world, user)
    await harness.press(user, cb(GsAction.TOGGLE, world.cadre_a1.id))
    await harness.press(user, cb(GsAction.DONE))
    await harness.press(user, cb(GsAction.SAVE))


async def test_group_command_shows_month_status_with_record_button(
    harness: Harness, world: World
) -> None:
    sent = await harness.send(SECRETARY_A_TG, "/group")
    assert "第一团支部" in joined(sent) and "0/2" in joined(sent)
    assert button_data(sent, "记录集体学习") == cb(GsAction.NEW, world.branch_a.id)


async def test_menu_button_opens_group_study(harness: Harness, world: World) -> None:
    sent = await harness.send(SECRETARY_A_TG, "👥 集体学习")
    assert "0/2" in joined(sent)


async def test_secretary_records_a_half_day_with_one_attendee(
    harness: Harness, world: World, app: AppContext
) -> None:
    await record_one(harness, world)
    [study] = await studies(app)
    assert (study.org_id, study.half_days, study.minutes) == (world.branch_a.id, 1.0, 180)
    assert study.study_date == date(2026, 11, 20)
    async with app.sessions() as session:
        attendees = (await session.exec(select(GroupStudyAttendee))).all()
    assert [a.member_id for a in attendees] == [world.cadre_a1.id]


async def test_saved_status_counts_one_of_two_half_days(harness: Harness, world: World) -> None:
    await fill_draft(harness, world)
    await harness.press(SECRETARY_A_TG, cb(GsAction.ALL))
    await harness.press(SECRETARY_A_TG, cb(GsAction.DONE))
    sent = await harness.press(SECRETARY_A_TG, cb(GsAction.SAVE))
    assert "已保存" in joined(sent) and "1/2" in joined(sent) and "3 人参加" in joined(sent)


async def test_hours_are_converted_to_half_days_and_shown(harness: Harness, world: World) -> None:
    await harness.press(SECRETARY_A_TG, cb(GsAction.NEW, world.branch_a.id))
    await harness.press(SECRETARY_A_TG, cb(GsAction.YESTERDAY))
    sent = await harness.send(SECRETARY_A_TG, "4.5小时")
    assert "1.5 个半天" in joined(sent)


async def test_unreadable_hours_are_refused(harness: Harness, world: World) -> None:
    await harness.press(SECRETARY_A_TG, cb(GsAction.NEW, world.branch_a.id))
    await harness.press(SECRETARY_A_TG, cb(GsAction.TODAY))
    sent = await harness.send(SECRETARY_A_TG, "很久")
    assert "小时数" in joined(sent) or "时长" in joined(sent)


async def test_future_date_is_refused(harness: Harness, world: World, app: AppContext) -> None:
    await harness.press(SECRETARY_A_TG, cb(GsAction.NEW, world.branch_a.id))
    sent = await harness.send(SECRETARY_A_TG, "明天")
    assert "还没到" in joined(sent)


async def test_date_outside_the_editable_window_is_refused(harness: Harness, world: World) -> None:
    await harness.press(SECRETARY_A_TG, cb(GsAction.NEW, world.branch_a.id))
    sent = await harness.send(SECRETARY_A_TG, "10月15日")
    assert "不能修改" in joined(sent)


async def test_unparseable_date_is_refused(harness: Harness, world: World) -> None:
    await harness.press(SECRETARY_A_TG, cb(GsAction.NEW, world.branch_a.id))
    sent = await harness.send(SECRETARY_A_TG, "上个月某天")
    assert "没看懂" in joined(sent)


async def test_zero_attendees_cannot_be_saved(
    harness: Harness, world: World, app: AppContext
) -> None:
    await fill_draft(harness, world)
    sent = await harness.press(SECRETARY_A_TG, cb(GsAction.DONE))
    assert "至少勾选" in joined(sent)
    assert await studies(app) == []


async def test_forged_attendee_of_another_branch_is_refused(
    harness: Harness, world: World, app: AppContext
) -> None:
    await fill_draft(harness, world)
    sent = await harness.press(SECRETARY_A_TG, cb(GsAction.TOGGLE, world.cadre_b1.id))
    assert STALE in joined(sent)
    sent = await harness.press(SECRETARY_A_TG, cb(GsAction.DONE))
    assert "至少勾选" in joined(sent)


async def test_double_tap_on_save_stores_once(
    harness: Harness, world: World, app: AppContext
) -> None:
    await record_one(harness, world)
    sent = await harness.press(SECRETARY_A_TG, cb(GsAction.SAVE))
    assert STALE in joined(sent)
    assert len(await studies(app)) == 1


async def test_sticker_instead_of_topic_asks_for_text(harness: Harness, world: World) -> None:
    await harness.press(SECRETARY_A_TG, cb(GsAction.NEW, world.branch_a.id))
    await harness.press(SECRETARY_A_TG, cb(GsAction.TODAY))
    await harness.press(SECRETARY_A_TG, cb(GsAction.HALF_DAY))
    sent = await harness.send_sticker(SECRETARY_A_TG)
    assert "请发送文字" in joined(sent)


async def test_cadre_cannot_open_group_study(harness: Harness, world: World) -> None:
    sent = await harness.send(CADRE_A1_TG, "/group")
    assert "只有" in joined(sent)


async def test_cadre_forged_new_button_is_refused(harness: Harness, world: World) -> None:
    sent = await harness.press(CADRE_A1_TG, cb(GsAction.NEW, world.branch_a.id))
    assert "只有" in joined(sent)


async def test_secretary_b_cannot_record_for_branch_a(harness: Harness, world: World) -> None:
    sent = await harness.press(SECRETARY_B_TG, cb(GsAction.NEW, world.branch_a.id))
    assert STALE in joined(sent)


async def test_secretary_b_cannot_see_branch_a_status(harness: Harness, world: World) -> None:
    sent = await harness.press(SECRETARY_B_TG, cb(GsAction.STATUS, world.branch_a.id))
    assert "第一团支部" not in joined(sent)


async def test_secretary_b_cannot_delete_branch_a_study(
    harness: Harness, world: World, app: AppContext
) -> None:
    await record_one(harness, world)
    [study] = await studies(app)
    sent = await harness.press(SECRETARY_B_TG, cb(GsAction.DELETE_CONFIRM, study.id))
    assert STALE in joined(sent)
    assert len(await studies(app)) == 1


async def test_author_deletes_own_study_without_audit(
    harness: Harness, world: World, app: AppContext
) -> None:
    await record_one(harness, world)
    [study] = await studies(app)
    await harness.press(SECRETARY_A_TG, cb(GsAction.DELETE, study.id))
    sent = await harness.press(SECRETARY_A_TG, cb(GsAction.DELETE_CONFIRM, study.id))
    assert "已删除" in joined(sent)
    assert await studies(app) == []
    async with app.sessions() as session:
        assert (await session.exec(select(AuditLog))).all() == []


async def test_admin_edit_of_secretarys_study_is_audited(
    harness: Harness, world: World, app: AppContext
) -> None:
    await record_one(harness, world)
    [study] = await studies(app)
    await harness.press(ADMIN_TG, cb(GsAction.EDIT_TOPIC, study.id))
    sent = await harness.send(ADMIN_TG, "学习党史\n重温入团誓词")
    assert "已修改" in joined(sent)
    [edited] = await studies(app)
    assert (edited.topic, edited.summary) == ("学习党史", "重温入团誓词")
    async with app.sessions() as session:
        [audit] = (await session.exec(select(AuditLog))).all()
    assert (audit.actor_id, audit.action, audit.entity_id) == (world.admin.id, "edit", study.id)


async def test_edit_attendees_replaces_them(
    harness: Harness, world: World, app: AppContext
) -> None:
    await record_one(harness, world)
    [study] = await studies(app)
    await harness.press(SECRETARY_A_TG, cb(GsAction.EDIT_ATTENDEES, study.id))
    await harness.press(SECRETARY_A_TG, cb(GsAction.TOGGLE, world.cadre_a2.id))
    sent = await harness.press(SECRETARY_A_TG, cb(GsAction.DONE))
    assert "2 人" in joined(sent)
    async with app.sessions() as session:
        rows = (await session.exec(select(GroupStudyAttendee))).all()
    assert {row.member_id for row in rows} == {world.cadre_a1.id, world.cadre_a2.id}


async def test_study_outside_window_can_no_longer_be_deleted(
    harness: Harness, world: World, app: AppContext, clock: FixedClock
) -> None:
    await record_one(harness, world)
    [study] = await studies(app)
    clock.set_local(datetime(2026, 12, 6, 9, 0), SHANGHAI)
    sent = await harness.press(SECRETARY_A_TG, cb(GsAction.DELETE_CONFIRM, study.id))
    assert "不能修改" in joined(sent)
    assert len(await studies(app)) == 1


async def test_stale_attendee_button_after_saving_is_refused(
    harness: Harness, world: World
) -> None:
    await record_one(harness, world)
    sent = await harness.press(SECRETARY_A_TG, cb(GsAction.TOGGLE, world.cadre_a2.id))
    assert STALE in joined(sent)


async def test_admin_picks_another_organisation(harness: Harness, world: World) -> None:
    sent = await harness.send(ADMIN_TG, "/group")
    assert button_data(sent, "其他组织") == cb(GsAction.ORGS)
    sent = await harness.press(ADMIN_TG, cb(GsAction.ORGS))
    sent = await harness.press(ADMIN_TG, button_data(sent, "第二团支部"))
    assert "第二团支部" in joined(sent) and "0/2" in joined(sent)


async def test_attendee_list_is_paged_and_everyone_ticks_all_pages(
    harness: Harness, world: World, app: AppContext
) -> None:
    async with app.sessions() as session:
        for index in range(10):
            await add_member(session, 6000 + index, f"队员{index:02d}", world.branch_a, Role.CADRE)
        await session.commit()
    await fill_draft(harness, world)
    sent = await harness.press(SECRETARY_A_TG, cb(GsAction.PAGE, page=1))
    names = [text for text, _data in buttons(sent) if text.startswith("⬜")]
    assert len(names) == 5 and "2/2" in [text for text, _data in buttons(sent)]
    sent = await harness.press(SECRETARY_A_TG, cb(GsAction.ALL, page=1))
    assert "完成（13）" in [text for text, _data in buttons(sent)]


async def test_edit_length_converts_typed_hours(
    harness: Harness, world: World, app: AppContext
) -> None:
    await record_one(harness, world)
    [study] = await studies(app)
    await harness.press(SECRETARY_A_TG, cb(GsAction.EDIT_LENGTH, study.id))
    sent = await harness.send(SECRETARY_A_TG, "6")
    assert "计为 2 个半天（6 小时）" in joined(sent)
    [edited] = await studies(app)
    assert (edited.half_days, edited.minutes) == (2.0, 360)


async def test_a_one_shot_log_during_a_group_study_step_saves_and_the_step_goes_on(
    harness: Harness, world: World, app: AppContext
) -> None:
    await harness.press(SECRETARY_A_TG, cb(GsAction.NEW, world.branch_a.id))
    await harness.press(SECRETARY_A_TG, cb(GsAction.TODAY))
    await harness.press(SECRETARY_A_TG, cb(GsAction.HALF_DAY))  # now asked for the topic
    sent = await harness.send(SECRETARY_A_TG, "/log 1 学习团章")
    assert "✅" in joined(sent)
    async with app.sessions() as session:
        assert len((await session.exec(select(StudyLog))).all()) == 1
    sent = await harness.send(SECRETARY_A_TG, "学习团章第三章")
    assert cb(GsAction.NO_SUMMARY) in [data for _, data in buttons(sent)]  # the next step
