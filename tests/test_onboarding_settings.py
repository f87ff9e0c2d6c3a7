"""/settings: language switches at once (menu re-sent), reminders on and off."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

from sqlmodel import select

from bot.clock import FixedClock
from bot.context import AppContext
from bot.keyboards.onboarding import SettingsAction, SettingsCb
from scheduler.jobs import run_job
from storage.models import Meeting, MeetingReply, Member, Outbox, OutboxStatus, ReplyAnswer
from tests.conftest import SHANGHAI
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


async def queued(app: AppContext, member: Member) -> dict[str, OutboxStatus]:
    async with app.sessions() as session:
        rows = (await session.exec(select(Outbox).where(Outbox.member_id == member.id))).all()
    return {f"{row.kind}/{row.period_key}": row.status for row in rows}


async def turn_reminders_off(harness: Harness) -> None:
    await harness.press(CADRE_A1_TG, SettingsCb(action=SettingsAction.REMINDERS, value="off"))


async def meeting(
    app: AppContext, world: World, starts: datetime, answer: ReplyAnswer | None
) -> Meeting:
    """A meeting of branch A, announced days before; cadre A1's answer, if any."""
    created = Meeting(
        org_id=world.branch_a.id, starts_at=starts, place="团委会议室", agenda="交流",
        created_at=starts - timedelta(days=5),
    )  # fmt: skip
    async with app.sessions() as session:
        session.add(created)
        await session.flush()
        assert created.id is not None
        if answer is not None:
            reply = MeetingReply(meeting_id=created.id, member_id=world.cadre_a1.id, answer=answer)
            session.add(reply)
        await session.commit()
    return created


async def test_turning_reminders_off_withdraws_a_queued_nudge(
    app: AppContext, harness: Harness, world: World, clock: FixedClock
) -> None:
    clock.set_local(datetime(2026, 11, 15, 19, 30), SHANGHAI)
    await run_job(app, "nudge_mid")
    assert await queued(app, world.cadre_a1) == {"nudge_mid/2026-11": OutboxStatus.PENDING}
    await turn_reminders_off(harness)
    assert await queued(app, world.cadre_a1) == {"nudge_mid/2026-11": OutboxStatus.SKIPPED}


async def test_turning_reminders_off_keeps_the_reminder_of_a_meeting_they_attend(
    app: AppContext, harness: Harness, world: World, clock: FixedClock
) -> None:
    clock.set_local(datetime(2026, 11, 20, 10, 0), SHANGHAI)
    tomorrow = datetime(2026, 11, 21, 9, 0, tzinfo=SHANGHAI)
    attended = await meeting(app, world, tomorrow, ReplyAnswer.ATTEND)
    undecided = await meeting(app, world, tomorrow + timedelta(hours=1), None)
    await run_job(app, "meeting_soon")
    await turn_reminders_off(harness)
    async with app.sessions() as session:
        rows = (await session.exec(select(Outbox).where(Outbox.kind == "meeting_24h"))).all()
    statuses = {row.args["meeting_id"]: row.status for row in rows if row.chat_id == CADRE_A1_TG}
    assert statuses == {attended.id: OutboxStatus.PENDING, undecided.id: OutboxStatus.SKIPPED}


async def test_turning_reminders_off_keeps_messages_that_are_not_reminders(
    app: AppContext, harness: Harness, world: World
) -> None:
    async with app.sessions() as session:
        session.add(
            Outbox(
                chat_id=CADRE_A1_TG, member_id=world.cadre_a1.id, kind="meeting_announce",
                period_key="m1", text_key="meeting_announce", args={"meeting_id": 1},
                not_before=datetime(2026, 11, 21, tzinfo=UTC),
            )
        )  # fmt: skip
        await session.commit()
    await turn_reminders_off(harness)
    assert await queued(app, world.cadre_a1) == {"meeting_announce/m1": OutboxStatus.PENDING}


async def test_a_double_tap_on_reminders_off_withdraws_once_and_answers_saved(
    app: AppContext, harness: Harness, world: World, clock: FixedClock
) -> None:
    clock.set_local(datetime(2026, 11, 15, 19, 30), SHANGHAI)
    await run_job(app, "nudge_mid")
    await turn_reminders_off(harness)
    second = await harness.press(
        CADRE_A1_TG, SettingsCb(action=SettingsAction.REMINDERS, value="off")
    )
    assert "已保存" in joined(second)
    assert await queued(app, world.cadre_a1) == {"nudge_mid/2026-11": OutboxStatus.SKIPPED}
