"""Exchange meetings through the real Dispatcher: schedule, answer, 心得, digest, host tools."""

from __future__ import annotations

from datetime import datetime, timedelta

from aiogram.methods import SendDocument, SendMessage
from sqlmodel import select

from bot.clock import FixedClock
from bot.context import AppContext
from bot.i18n import i18n_context
from bot.keyboards.meetings import HostCb, MtAction, MtCb
from scheduler.texts import all_renderers
from storage.models import (
    AuditLog,
    Meeting,
    MeetingAttendance,
    MeetingReply,
    MeetingShare,
    MeetingStatus,
    Outbox,
    ReplyAnswer,
    Role,
)
from tests.conftest import SHANGHAI
from tests.support.factories import (
    ADMIN_TG,
    CADRE_A1_TG,
    CADRE_A2_TG,
    CADRE_B1_TG,
    SECRETARY_A_TG,
    SECRETARY_B_TG,
    World,
    add_member,
)
from tests.support.harness import Harness, button_data, buttons, joined

STALE = "按钮已失效"


def cb(action: MtAction, meeting_id: int = 0, member_id: int = 0, page: int = 0) -> str:
    return MtCb(action=action, meeting_id=meeting_id, member_id=member_id, page=page).pack()


async def schedule(harness: Harness, when: str = "12月5日 19:30") -> None:
    await harness.press(SECRETARY_A_TG, cb(MtAction.NEW))
    await harness.send(SECRETARY_A_TG, when)
    await harness.send(SECRETARY_A_TG, "团支部活动室")
    await harness.send(SECRETARY_A_TG, "交流本月学习心得")
    await harness.press(SECRETARY_A_TG, cb(MtAction.SAVE))


async def meetings(app: AppContext) -> list[Meeting]:
    async with app.sessions() as session:
        return list((await session.exec(select(Meeting))).all())


async def the_meeting(harness: Harness, app: AppContext) -> Meeting:
    await schedule(harness)
    [meeting] = await meetings(app)
    return meeting


async def outbox(app: AppContext, kind: str) -> list[Outbox]:
    async with app.sessions() as session:
        rows = await session.exec(select(Outbox).where(Outbox.kind == kind))
        return list(rows.all())


async def reply_of(app: AppContext, meeting_id: int, member_id: int) -> MeetingReply | None:
    async with app.sessions() as session:
        return await session.get(MeetingReply, (meeting_id, member_id))


def started(clock: FixedClock, minutes: int = 15) -> None:
    clock.set_local(datetime(2026, 12, 5, 19, 30) + timedelta(minutes=minutes), SHANGHAI)


# --- scheduling ----------------------------------------------------------------------


async def test_secretary_schedules_and_announcement_is_queued_for_the_two_cadres(
    harness: Harness, world: World, app: AppContext
) -> None:
    meeting = await the_meeting(harness, app)
    assert meeting.starts_at == datetime(2026, 12, 5, 19, 30, tzinfo=SHANGHAI)
    rows = await outbox(app, "meeting_announce")
    assert sorted(row.chat_id for row in rows) == [CADRE_A1_TG, CADRE_A2_TG]
    assert {row.period_key for row in rows} == {f"m{meeting.id}"}


async def test_announcement_renders_with_the_three_answer_buttons(
    harness: Harness, world: World, app: AppContext
) -> None:
    meeting = await the_meeting(harness, app)
    [row, *_] = await outbox(app, "meeting_announce")
    with i18n_context(app.i18n, "zh_CN"):
        rendered = all_renderers()[row.text_key](row.args)
    assert "第一团支部" in rendered.text and "2026-12-05 19:30" in rendered.text
    assert rendered.reply_markup is not None
    data = [b.callback_data for line in rendered.reply_markup.inline_keyboard for b in line]
    assert cb(MtAction.ATTEND, meeting.id) in data and cb(MtAction.LEAVE, meeting.id) in data


async def test_menu_button_opens_meetings_with_schedule_button(
    harness: Harness, world: World
) -> None:
    sent = await harness.send(SECRETARY_A_TG, "🗣 交流会")
    assert button_data(sent, "安排交流会") == cb(MtAction.NEW)


async def test_confirmation_shows_the_invitee_count(harness: Harness, world: World) -> None:
    await harness.press(SECRETARY_A_TG, cb(MtAction.NEW))
    await harness.send(SECRETARY_A_TG, "2026-12-05 19:30")
    await harness.send(SECRETARY_A_TG, "https://meeting.example/123")
    await harness.send(SECRETARY_A_TG, "交流")
    sent = await harness.press(SECRETARY_A_TG, cb(MtAction.SAVE))
    assert "2 名受邀人员" in joined(sent)


async def test_meeting_time_in_the_past_is_refused(harness: Harness, world: World) -> None:
    await harness.press(SECRETARY_A_TG, cb(MtAction.NEW))
    sent = await harness.send(SECRETARY_A_TG, "2026-11-01 19:30")
    assert "已经过去" in joined(sent)


async def test_unparseable_meeting_time_is_refused(harness: Harness, world: World) -> None:
    await harness.press(SECRETARY_A_TG, cb(MtAction.NEW))
    sent = await harness.send(SECRETARY_A_TG, "过几天吧")
    assert "没看懂" in joined(sent)


async def test_empty_agenda_is_refused(harness: Harness, world: World, app: AppContext) -> None:
    await harness.press(SECRETARY_A_TG, cb(MtAction.NEW))
    await harness.send(SECRETARY_A_TG, "12/5 19:30")
    await harness.send(SECRETARY_A_TG, "活动室")
    sent = await harness.send(SECRETARY_A_TG, "   ")
    assert "不能为空" in joined(sent)
    assert await meetings(app) == []


async def test_sticker_instead_of_place_asks_for_text(harness: Harness, world: World) -> None:
    await harness.press(SECRETARY_A_TG, cb(MtAction.NEW))
    await harness.send(SECRETARY_A_TG, "12/5 19:30")
    sent = await harness.send_sticker(SECRETARY_A_TG)
    assert "请发送文字" in joined(sent)


async def test_double_tap_on_schedule_stores_once(
    harness: Harness, world: World, app: AppContext
) -> None:
    await schedule(harness)
    sent = await harness.press(SECRETARY_A_TG, cb(MtAction.SAVE))
    assert STALE in joined(sent)
    assert len(await meetings(app)) == 1
    assert len(await outbox(app, "meeting_announce")) == 2


async def test_cadre_cannot_schedule(harness: Harness, world: World) -> None:
    sent = await harness.press(CADRE_A1_TG, cb(MtAction.NEW))
    assert "只有" in joined(sent)


async def test_admin_picks_the_host_organisation(
    harness: Harness, world: World, app: AppContext
) -> None:
    sent = await harness.press(ADMIN_TG, cb(MtAction.NEW))
    assert {"市团委", "第一团支部", "第二团支部"} <= {text for text, _data in buttons(sent)}
    await harness.press(ADMIN_TG, HostCb(org_id=world.branch_b.id).pack())
    await harness.send(ADMIN_TG, "12/5 19:30")
    await harness.send(ADMIN_TG, "二支部活动室")
    await harness.send(ADMIN_TG, "交流")
    await harness.press(ADMIN_TG, cb(MtAction.SAVE))
    [meeting] = await meetings(app)
    assert meeting.org_id == world.branch_b.id
    rows = await outbox(app, "meeting_announce")
    assert sorted(row.chat_id for row in rows) == sorted([SECRETARY_B_TG, CADRE_B1_TG])


async def test_secretary_a_cannot_host_for_branch_b_by_forged_data(
    harness: Harness, world: World
) -> None:
    sent = await harness.press(SECRETARY_A_TG, HostCb(org_id=world.branch_b.id).pack())
    assert STALE in joined(sent)


# --- answers and 心得 ----------------------------------------------------------------


async def test_cadre_attends_and_changes_to_undecided(
    harness: Harness, world: World, app: AppContext
) -> None:
    meeting = await the_meeting(harness, app)
    sent = await harness.press(CADRE_A1_TG, cb(MtAction.ATTEND, meeting.id))
    assert "已记录" in joined(sent)
    await harness.press(CADRE_A1_TG, cb(MtAction.UNDECIDED, meeting.id))
    reply = await reply_of(app, meeting.id, world.cadre_a1.id)
    assert reply is not None and reply.answer == ReplyAnswer.UNDECIDED


async def test_leave_is_stored_with_its_reason(
    harness: Harness, world: World, app: AppContext
) -> None:
    meeting = await the_meeting(harness, app)
    await harness.press(CADRE_A2_TG, cb(MtAction.LEAVE, meeting.id))
    await harness.send(CADRE_A2_TG, "外出培训")
    reply = await reply_of(app, meeting.id, world.cadre_a2.id)
    assert reply is not None and (reply.answer, reply.reason) == (ReplyAnswer.LEAVE, "外出培训")


async def test_replying_after_the_start_is_refused(
    harness: Harness, world: World, app: AppContext, clock: FixedClock
) -> None:
    meeting = await the_meeting(harness, app)
    started(clock)
    sent = await harness.press(CADRE_A1_TG, cb(MtAction.ATTEND, meeting.id))
    assert "已经开始" in joined(sent)
    assert await reply_of(app, meeting.id, world.cadre_a1.id) is None


async def test_cadre_of_branch_b_cannot_answer_branch_a_meeting(
    harness: Harness, world: World, app: AppContext
) -> None:
    meeting = await the_meeting(harness, app)
    sent = await harness.press(CADRE_B1_TG, cb(MtAction.ATTEND, meeting.id))
    assert STALE in joined(sent)
    assert await reply_of(app, meeting.id, world.cadre_b1.id) is None


async def test_forged_meeting_id_is_refused(harness: Harness, world: World) -> None:
    sent = await harness.press(CADRE_A1_TG, cb(MtAction.ATTEND, 9999))
    assert STALE in joined(sent)


async def test_share_is_stored_and_replaced(
    harness: Harness, world: World, app: AppContext
) -> None:
    meeting = await the_meeting(harness, app)
    await harness.press(CADRE_A1_TG, cb(MtAction.SHARE, meeting.id))
    await harness.send(CADRE_A1_TG, "学习团章，体会很深。")
    sent = await harness.press(CADRE_A1_TG, cb(MtAction.SHARE, meeting.id))
    assert "替换" in joined(sent)
    await harness.send(CADRE_A1_TG, "第二版心得")
    async with app.sessions() as session:
        share = await session.get(MeetingShare, (meeting.id, world.cadre_a1.id))
    assert share is not None and share.text == "第二版心得"


async def test_share_over_1000_characters_is_refused(
    harness: Harness, world: World, app: AppContext
) -> None:
    meeting = await the_meeting(harness, app)
    await harness.press(CADRE_A1_TG, cb(MtAction.SHARE, meeting.id))
    sent = await harness.send(CADRE_A1_TG, "学" * 1001)
    assert "1001" in joined(sent)
    async with app.sessions() as session:
        assert await session.get(MeetingShare, (meeting.id, world.cadre_a1.id)) is None


async def test_sticker_instead_of_share_asks_for_text(
    harness: Harness, world: World, app: AppContext
) -> None:
    meeting = await the_meeting(harness, app)
    await harness.press(CADRE_A1_TG, cb(MtAction.SHARE, meeting.id))
    sent = await harness.send_sticker(CADRE_A1_TG)
    assert "请发送文字" in joined(sent)


async def test_cadre_sees_invited_meeting_with_own_answer(
    harness: Harness, world: World, app: AppContext
) -> None:
    meeting = await the_meeting(harness, app)
    await harness.press(CADRE_A1_TG, cb(MtAction.ATTEND, meeting.id))
    sent = await harness.send(CADRE_A1_TG, "/meeting")
    assert "2026-12-05 19:30 · 你的回复：参加" in joined(sent)
    sent = await harness.press(CADRE_A1_TG, cb(MtAction.VIEW, meeting.id))
    assert "团支部活动室" in joined(sent) and "你的回复：参加" in joined(sent)


async def test_cadre_of_branch_b_cannot_view_branch_a_meeting(
    harness: Harness, world: World, app: AppContext
) -> None:
    meeting = await the_meeting(harness, app)
    sent = await harness.press(CADRE_B1_TG, cb(MtAction.VIEW, meeting.id))
    assert STALE in joined(sent)


# --- host tools ----------------------------------------------------------------------


async def test_digest_lists_answers_reasons_and_shares_and_sends_a_file(
    harness: Harness, world: World, app: AppContext
) -> None:
    meeting = await the_meeting(harness, app)
    await harness.press(CADRE_A1_TG, cb(MtAction.ATTEND, meeting.id))
    await harness.press(CADRE_A2_TG, cb(MtAction.LEAVE, meeting.id))
    await harness.send(CADRE_A2_TG, "外出培训")
    await harness.press(CADRE_A1_TG, cb(MtAction.SHARE, meeting.id))
    await harness.send(CADRE_A1_TG, "学习团章，体会很深。")
    sent = await harness.press(SECRETARY_A_TG, cb(MtAction.DIGEST, meeting.id))
    text = joined(sent)
    assert "参加（1 人）：张三" in text and "李四：外出培训" in text
    assert "未回复（1 人）：李书记" in text and "学习团章，体会很深。" in text
    [document] = [r for r in sent if isinstance(r, SendDocument)]
    assert document.document.filename.endswith(".txt")
    assert "学习团章，体会很深。" in document.document.data.decode("utf-8")


async def test_digest_over_4096_characters_is_split_on_lines(
    harness: Harness, world: World, app: AppContext
) -> None:
    meeting = await the_meeting(harness, app)
    for user, char in ((CADRE_A1_TG, "甲"), (CADRE_A2_TG, "乙"), (SECRETARY_A_TG, "丙")):
        for _ in range(2):  # the text is replaced: one share each, long lines below
            await harness.press(user, cb(MtAction.SHARE, meeting.id))
            await harness.send(user, "\n".join([char * 199] * 5))
    async with app.sessions() as session:
        for index in range(12):
            extra = await add_member(
                session, 5000 + index, f"团干部{index}", world.branch_a, Role.CADRE
            )
            session.add(MeetingShare(meeting_id=meeting.id, member_id=extra.id, text="丁" * 1000))
        await session.commit()
    sent = await harness.press(SECRETARY_A_TG, cb(MtAction.DIGEST, meeting.id))
    messages = [r.text for r in sent if isinstance(r, SendMessage)]
    assert len(messages) >= 4
    assert all(len(message) <= 4096 for message in messages)
    assert all(not message.startswith("\n") for message in messages)
    assert sum(message.count("丁" * 1000) for message in messages) == 12


async def test_secretary_b_cannot_get_branch_a_digest(
    harness: Harness, world: World, app: AppContext
) -> None:
    meeting = await the_meeting(harness, app)
    sent = await harness.press(SECRETARY_B_TG, cb(MtAction.DIGEST, meeting.id))
    assert STALE in joined(sent)


async def test_cadre_cannot_get_the_digest(harness: Harness, world: World, app: AppContext) -> None:
    meeting = await the_meeting(harness, app)
    sent = await harness.press(CADRE_A1_TG, cb(MtAction.DIGEST, meeting.id))
    assert "只有" in joined(sent)


async def test_cancel_notifies_only_those_attending(
    harness: Harness, world: World, app: AppContext
) -> None:
    meeting = await the_meeting(harness, app)
    await harness.press(CADRE_A1_TG, cb(MtAction.ATTEND, meeting.id))
    await harness.press(CADRE_A2_TG, cb(MtAction.UNDECIDED, meeting.id))
    await harness.press(SECRETARY_A_TG, cb(MtAction.CANCEL, meeting.id))
    await harness.press(SECRETARY_A_TG, cb(MtAction.CANCEL_CONFIRM, meeting.id))
    [cancelled] = await meetings(app)
    assert cancelled.status == MeetingStatus.CANCELLED
    assert [row.chat_id for row in await outbox(app, "meeting_cancelled")] == [CADRE_A1_TG]


async def test_move_notifies_attending_with_a_new_message(
    harness: Harness, world: World, app: AppContext
) -> None:
    meeting = await the_meeting(harness, app)
    await harness.press(CADRE_A1_TG, cb(MtAction.ATTEND, meeting.id))
    await harness.press(SECRETARY_A_TG, cb(MtAction.MOVE, meeting.id))
    sent = await harness.send(SECRETARY_A_TG, "12月6日 15:00")
    assert "2026-12-06 15:00" in joined(sent)
    [row] = await outbox(app, "meeting_moved")
    assert row.chat_id == CADRE_A1_TG and row.period_key == f"m{meeting.id}-202612061500"
    assert row.args["old_starts"] == "2026-12-05 19:30"


async def test_move_to_the_past_is_refused(harness: Harness, world: World, app: AppContext) -> None:
    meeting = await the_meeting(harness, app)
    await harness.press(SECRETARY_A_TG, cb(MtAction.MOVE, meeting.id))
    sent = await harness.send(SECRETARY_A_TG, "2026-11-01 15:00")
    assert "已经过去" in joined(sent)
    [unchanged] = await meetings(app)
    assert unchanged.starts_at == meeting.starts_at


async def test_secretary_b_cannot_cancel_branch_a_meeting(
    harness: Harness, world: World, app: AppContext
) -> None:
    meeting = await the_meeting(harness, app)
    sent = await harness.press(SECRETARY_B_TG, cb(MtAction.CANCEL_CONFIRM, meeting.id))
    assert STALE in joined(sent)
    [unchanged] = await meetings(app)
    assert unchanged.status == MeetingStatus.SCHEDULED


async def test_admin_move_of_secretarys_meeting_is_audited(
    harness: Harness, world: World, app: AppContext
) -> None:
    meeting = await the_meeting(harness, app)
    await harness.press(ADMIN_TG, cb(MtAction.MOVE, meeting.id))
    await harness.send(ADMIN_TG, "12月6日 15:00")
    async with app.sessions() as session:
        [audit] = (await session.exec(select(AuditLog))).all()
    assert (audit.actor_id, audit.action) == (world.admin.id, "move")


async def test_attendance_cannot_be_marked_before_the_start(
    harness: Harness, world: World, app: AppContext
) -> None:
    meeting = await the_meeting(harness, app)
    sent = await harness.press(SECRETARY_A_TG, cb(MtAction.SHEET, meeting.id))
    assert "会议开始后" in joined(sent)


async def test_host_marks_attendance_with_toggles(
    harness: Harness, world: World, app: AppContext, clock: FixedClock
) -> None:
    meeting = await the_meeting(harness, app)
    started(clock)
    sent = await harness.press(SECRETARY_A_TG, cb(MtAction.SHEET, meeting.id))
    data = button_data(sent, "张三")
    sent = await harness.press(SECRETARY_A_TG, data)
    assert any(text.startswith("✅") and "张三" in text for text, _d in buttons(sent))
    async with app.sessions() as session:
        assert await session.get(MeetingAttendance, (meeting.id, world.cadre_a1.id)) is not None
        assert len((await session.exec(select(AuditLog))).all()) == 1


async def test_forged_attendance_mark_for_outsider_is_refused(
    harness: Harness, world: World, app: AppContext, clock: FixedClock
) -> None:
    meeting = await the_meeting(harness, app)
    started(clock)
    sent = await harness.press(
        SECRETARY_A_TG, cb(MtAction.MARK, meeting.id, member_id=world.cadre_b1.id)
    )
    assert STALE in joined(sent)


async def test_self_check_in_within_the_window(
    harness: Harness, world: World, app: AppContext, clock: FixedClock
) -> None:
    meeting = await the_meeting(harness, app)
    started(clock)
    sent = await harness.press(CADRE_A1_TG, cb(MtAction.VIEW, meeting.id))
    assert button_data(sent, "签到") == cb(MtAction.CHECK_IN, meeting.id)
    sent = await harness.press(CADRE_A1_TG, cb(MtAction.CHECK_IN, meeting.id))
    assert "签到成功" in joined(sent)
    async with app.sessions() as session:
        assert await session.get(MeetingAttendance, (meeting.id, world.cadre_a1.id)) is not None


async def test_self_check_in_after_the_window_is_refused(
    harness: Harness, world: World, app: AppContext, clock: FixedClock
) -> None:
    meeting = await the_meeting(harness, app)
    started(clock, minutes=121 + 30)
    sent = await harness.press(CADRE_A1_TG, cb(MtAction.CHECK_IN, meeting.id))
    assert "会议期间" in joined(sent)


# --- organisations without a meeting -------------------------------------------------


async def test_secretary_sees_own_branch_without_meeting_after_deadline_day(
    harness: Harness, world: World
) -> None:
    sent = await harness.send(SECRETARY_A_TG, "/meeting")
    assert "本月尚未安排交流会的组织（1 个）" in joined(sent) and "第一团支部" in joined(sent)


async def test_admin_sees_every_branch_without_meeting(harness: Harness, world: World) -> None:
    sent = await harness.send(ADMIN_TG, "/meeting")
    assert "第一团支部、第二团支部" in joined(sent)


async def test_no_missing_list_before_the_deadline_day(
    harness: Harness, world: World, clock: FixedClock
) -> None:
    clock.set_local(datetime(2026, 11, 10, 9, 0), SHANGHAI)
    sent = await harness.send(SECRETARY_A_TG, "/meeting")
    assert "尚未安排" not in joined(sent)


async def test_answer_to_a_cancelled_meeting_is_refused(
    harness: Harness, world: World, app: AppContext
) -> None:
    meeting = await the_meeting(harness, app)
    await harness.press(SECRETARY_A_TG, cb(MtAction.CANCEL_CONFIRM, meeting.id))
    sent = await harness.press(CADRE_A1_TG, cb(MtAction.ATTEND, meeting.id))
    assert "已取消" in joined(sent)


async def test_cadre_cannot_move_a_meeting(harness: Harness, world: World, app: AppContext) -> None:
    meeting = await the_meeting(harness, app)
    sent = await harness.press(CADRE_A1_TG, cb(MtAction.MOVE, meeting.id))
    assert "只有" in joined(sent)


async def test_moved_notice_renders_old_and_new_time(
    harness: Harness, world: World, app: AppContext
) -> None:
    meeting = await the_meeting(harness, app)
    await harness.press(CADRE_A1_TG, cb(MtAction.ATTEND, meeting.id))
    await harness.press(SECRETARY_A_TG, cb(MtAction.MOVE, meeting.id))
    await harness.send(SECRETARY_A_TG, "12月6日 15:00")
    [row] = await outbox(app, "meeting_moved")
    with i18n_context(app.i18n, "en"):
        rendered = all_renderers()[row.text_key](row.args)
    assert "moved from 2026-12-05 19:30 to 2026-12-06 15:00" in rendered.text


async def test_command_in_the_middle_of_a_step_is_not_taken_as_text(
    harness: Harness, world: World, app: AppContext
) -> None:
    await harness.press(SECRETARY_A_TG, cb(MtAction.NEW))
    await harness.send(SECRETARY_A_TG, "12/5 19:30")
    sent = await harness.send(SECRETARY_A_TG, "/meeting")
    assert "团干部交流会" in joined(sent) and await meetings(app) == []
    sent = await harness.send(SECRETARY_A_TG, "活动室")
    assert "议程" not in joined(sent)


async def test_host_edits_place_and_agenda(harness: Harness, world: World, app: AppContext) -> None:
    meeting = await the_meeting(harness, app)
    await harness.press(SECRETARY_A_TG, cb(MtAction.EDIT, meeting.id))
    sent = await harness.send(SECRETARY_A_TG, "三楼会议室\n一、交流心得\n二、布置下月学习")
    assert "已更新" in joined(sent)
    [edited] = await meetings(app)
    assert (edited.place, edited.agenda) == ("三楼会议室", "一、交流心得\n二、布置下月学习")


async def test_edit_with_empty_agenda_is_refused(
    harness: Harness, world: World, app: AppContext
) -> None:
    meeting = await the_meeting(harness, app)
    await harness.press(SECRETARY_A_TG, cb(MtAction.EDIT, meeting.id))
    sent = await harness.send(SECRETARY_A_TG, "三楼会议室")
    assert "不能为空" in joined(sent)
    [unchanged] = await meetings(app)
    assert unchanged.place == "团支部活动室"


async def test_secretary_b_cannot_edit_branch_a_meeting(
    harness: Harness, world: World, app: AppContext
) -> None:
    meeting = await the_meeting(harness, app)
    sent = await harness.press(SECRETARY_B_TG, cb(MtAction.EDIT, meeting.id))
    assert STALE in joined(sent)
