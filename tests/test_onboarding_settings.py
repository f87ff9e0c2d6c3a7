"""/settings: language switches at once (menu re-sent), reminders on and off."""

from __future__ import annotations

from datetime import UTC, datetime

from sqlmodel import select

from bot.context import AppContext
from bot.keyboards.onboarding import SettingsAction, SettingsCb
from storage.models import Meeting, MeetingReply, Member, Outbox, OutboxStatus, ReplyAnswer
from tests.support.factories import CADRE_A1_TG, STRANGER_TG, World
from tests.support.harness import Harness, joined


async def cadre(app: AppContext) -> Member:
    async with app.sessions() as session:
        return (await session.exec(select(Member).where(Member.telegram_id == CADRE_A1_TG))).one()


async def test_settings_show_language_and_reminders(harness: Harness, world: World):
    sent = await harness.send(CADRE_A1_TG, "/settings")
    assert "语言：中文" in joined(sent) and "提醒：开启" in joined(sent)


async def test_menu_button_opens_settings(harness: Harness, world: World):
    sent = await harness.send(CADRE_A1_TG, "⚙️ 设置")
    assert "语言：中文" in joined(sent)


async def test_switch_to_english_answers_and_resends_menu_in_english(
    app: AppContext, harness: Harness, world: World
):
    sent = await harness.press(CADRE_A1_TG, SettingsCb(action=SettingsAction.LANGUAGE, value="en"))
    assert "Language: English" in joined(sent)
    assert "📝 Log study" in str(sent[-1].reply_markup)
    assert (await cadre(app)).locale == "en"
    after = await harness.send(CADRE_A1_TG, "/settings")
    assert "Reminders: on" in joined(after)


async def test_forged_language_is_rejected(app: AppContext, harness: Harness, world: World):
    sent = await harness.press(CADRE_A1_TG, SettingsCb(action=SettingsAction.LANGUAGE, value="fr"))
    assert "失效" in joined(sent)
    assert (await cadre(app)).locale == "zh_CN"


async def test_reminders_off_and_on(app: AppContext, harness: Harness, world: World):
    await harness.press(CADRE_A1_TG, SettingsCb(action=SettingsAction.REMINDERS, value="off"))
    assert not (await cadre(app)).reminders_enabled
    await harness.press(CADRE_A1_TG, SettingsCb(action=SettingsAction.REMINDERS, value="on"))
    assert (await cadre(app)).reminders_enabled


async def test_unregistered_user_has_no_settings(harness: Harness, world: World):
    sent = await harness.send(STRANGER_TG, "/settings")
    assert "还没有加入" in joined(sent)


# --- turning reminders off withdraws what is already queued ----------------------------


async def queue(app: AppContext, member: Member, kind: str, period: str) -> int:
    """A pending row as a job or feature would have queued it (held for quiet hours, say)."""
    row = Outbox(
        chat_id=member.telegram_id, member_id=member.id, kind=kind, period_key=period,
        text_key=f"reminder.{kind}", args={}, not_before=datetime(2026, 11, 21, tzinfo=UTC),
    )  # fmt: skip
    async with app.sessions() as session:
        session.add(row)
        await session.commit()
        assert row.id is not None
        return row.id


async def status_of(app: AppContext, row_id: int) -> OutboxStatus:
    async with app.sessions() as session:
        row = await session.get(Outbox, row_id)
    assert row is not None
    return row.status


async def turn_reminders_off(harness: Harness) -> None:
    await harness.press(CADRE_A1_TG, SettingsCb(action=SettingsAction.REMINDERS, value="off"))


async def test_turning_reminders_off_withdraws_a_queued_nudge(
    app: AppContext, harness: Harness, world: World
) -> None:
    nudge = await queue(app, world.cadre_a1, "nudge_mid", "2026-11")
    await turn_reminders_off(harness)
    assert await status_of(app, nudge) is OutboxStatus.SKIPPED


async def test_turning_reminders_off_keeps_the_reminder_of_a_meeting_they_attend(
    app: AppContext, harness: Harness, world: World
) -> None:
    meeting = Meeting(
        org_id=world.branch_a.id, starts_at=datetime(2026, 11, 22, 11, 30, tzinfo=UTC),
        place="团委会议室", agenda="交流",
    )  # fmt: skip
    async with app.sessions() as session:
        session.add(meeting)
        await session.flush()
        assert meeting.id is not None
        session.add(
            MeetingReply(
                meeting_id=meeting.id, member_id=world.cadre_a1.id, answer=ReplyAnswer.ATTEND
            )
        )
        await session.commit()
    attending = await queue(app, world.cadre_a1, "meeting_soon", f"meeting-{meeting.id}-x")
    other = await queue(app, world.cadre_a1, "meeting_soon", f"meeting-{meeting.id + 1}-x")
    await turn_reminders_off(harness)
    assert await status_of(app, attending) is OutboxStatus.PENDING
    assert await status_of(app, other) is OutboxStatus.SKIPPED


async def test_turning_reminders_off_keeps_messages_that_are_not_reminders(
    app: AppContext, harness: Harness, world: World
) -> None:
    announcement = await queue(app, world.cadre_a1, "meeting_announce", "m1")
    await turn_reminders_off(harness)
    assert await status_of(app, announcement) is OutboxStatus.PENDING
