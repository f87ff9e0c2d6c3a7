"""Review: reminders around month edges, quiet hours, restarts and removed members."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import UTC, date, datetime, time, timedelta
from typing import Any, cast

from aiogram import Bot
from sqlmodel import select

from bot.clock import FixedClock
from bot.context import AppContext
from bot.i18n import i18n_context
from bot.services.members import remove_member
from scheduler.jobs import run_job
from scheduler.quiet import QuietHours
from scheduler.sender import BATCH_SIZE, OutboxSender
from scheduler.service import catch_up
from scheduler.texts import all_renderers
from storage.models import Member, MemberLeave, Outbox, OutboxStatus, Role, StudyLog
from tests.conftest import SHANGHAI
from tests.support.factories import CADRE_A2_TG, World


def at(clock: FixedClock, *args: int) -> None:
    clock.set_local(datetime(*args), SHANGHAI)  # type: ignore[arg-type]


def local(*args: int) -> datetime:
    return datetime(*args, tzinfo=SHANGHAI).astimezone(UTC)  # type: ignore[misc]


async def add(app: AppContext, *rows: Any) -> None:
    async with app.sessions() as session:
        session.add_all(rows)
        await session.commit()


async def rows_of(app: AppContext, kind: str) -> dict[int | None, Outbox]:
    async with app.sessions() as session:
        rows = (await session.exec(select(Outbox).where(Outbox.kind == kind))).all()
    return {row.member_id: row for row in rows}


def rendered(app: AppContext, row: Outbox) -> str:
    with i18n_context(app.i18n, "en"):
        return all_renderers()[row.text_key](row.args).text


# --- month start ----------------------------------------------------------------------


async def test_month_start_for_a_member_who_joined_on_the_first_has_no_last_month_result(
    app: AppContext, world: World, clock: FixedClock
) -> None:
    newcomer = Member(
        telegram_id=3001, name="新人", org_id=world.branch_a.id, role=Role.CADRE,
        joined_at=local(2026, 12, 1, 8, 0),
    )  # fmt: skip
    await add(app, newcomer)
    at(clock, 2026, 12, 1, 9, 0)

    await run_job(app, "month_start")

    text = rendered(app, (await rows_of(app, "month_start"))[newcomer.id])
    assert "2026-12" in text and "Last month" not in text


async def test_month_start_for_a_member_on_leave_last_month_has_no_last_month_result(
    app: AppContext, world: World, clock: FixedClock
) -> None:
    await add(app, MemberLeave(member_id=world.cadre_a1.id, month="2026-11", reason="病假"))
    at(clock, 2026, 12, 1, 9, 0)

    await run_job(app, "month_start")

    rows = await rows_of(app, "month_start")
    assert "Last month" not in rendered(app, rows[world.cadre_a1.id])
    assert "Last month (2026-11) you logged 0 h." in rendered(app, rows[world.cadre_a2.id])


# --- quiet hours ----------------------------------------------------------------------


async def test_a_job_at_2159_is_due_at_once_and_at_2201_waits_for_eight(
    app: AppContext, world: World, clock: FixedClock
) -> None:
    at(clock, 2026, 12, 1, 21, 59)
    early = QuietHours.from_settings(app.settings).next_allowed(clock.now())
    at(clock, 2026, 12, 1, 22, 1)
    late = QuietHours.from_settings(app.settings).next_allowed(clock.now())

    assert early == local(2026, 12, 1, 21, 59)
    assert late == local(2026, 12, 2, 8, 0)


def test_quiet_hours_within_one_day_end_the_same_day() -> None:
    quiet = QuietHours(time(12, 0), time(14, 0), SHANGHAI)

    assert quiet.next_allowed(local(2026, 12, 1, 13, 0)) == local(2026, 12, 1, 14, 0)
    assert quiet.next_allowed(local(2026, 12, 1, 14, 0)) == local(2026, 12, 1, 14, 0)
    assert not quiet.contains(local(2026, 12, 1, 23, 0))


# --- catching up after a restart --------------------------------------------------------


async def test_an_evening_reminder_missed_before_midnight_is_caught_up_after_it(
    app: AppContext, world: World, clock: FixedClock
) -> None:
    at(clock, 2026, 11, 25, 0, 30)  # down since before 19:30 on the 24th, its due day

    added = await catch_up(app)

    assert added["nudge_last_week"] > 0
    assert world.cadre_a1.id in await rows_of(app, "nudge_last_week")


async def test_the_final_reminder_caught_up_on_the_first_is_about_the_month_that_ended(
    app: AppContext, world: World, clock: FixedClock
) -> None:
    assert world.cadre_a1.id is not None
    await add(
        app,
        StudyLog(member_id=world.cadre_a1.id, study_date=date(2026, 11, 2), minutes=1800,
                 content="团章"),
    )  # fmt: skip
    at(clock, 2026, 12, 1, 0, 30)  # the 20:00 run of 30 November was missed

    await catch_up(app)

    rows = await rows_of(app, "nudge_final")
    assert world.cadre_a1.id not in rows  # reached November's target
    assert {row.args["month"] for row in rows.values()} == {"2026-11"}
    assert {row.period_key for row in rows.values()} == {"2026-11-30"}


async def test_catching_up_twice_adds_nothing_the_second_time(
    app: AppContext, world: World, clock: FixedClock
) -> None:
    at(clock, 2026, 12, 1, 0, 30)

    await catch_up(app)
    again = await catch_up(app)

    assert set(again.values()) == {0}


# --- removed members --------------------------------------------------------------------


@dataclass
class RecordingBot:
    sent: list[int] = field(default_factory=list)

    async def send_message(self, chat_id: int, text: str, **_: Any) -> None:
        self.sent.append(chat_id)


@dataclass
class Ticks:
    now: float = 0.0

    def __call__(self) -> float:
        return self.now

    async def sleep(self, seconds: float) -> None:
        self.now += max(seconds, 0.0)


async def test_a_removed_member_gets_neither_queued_nor_new_reminders(
    app: AppContext, world: World, clock: FixedClock
) -> None:
    at(clock, 2026, 11, 15, 19, 30)
    await run_job(app, "nudge_mid")
    async with app.sessions() as session:
        actor = await session.get(Member, world.secretary_a.id)
        target = await session.get(Member, world.cadre_a1.id)
        assert actor is not None and target is not None
        assert await remove_member(session, actor, target)
    at(clock, 2026, 11, 24, 19, 30)
    await run_job(app, "nudge_last_week")

    bot = RecordingBot()
    ticks = Ticks()
    sender = OutboxSender(app, cast(Bot, bot), monotonic=ticks, sleep=ticks.sleep)
    await sender.drain()

    removed = world.cadre_a1.id
    assert removed not in await rows_of(app, "nudge_last_week")
    assert (await rows_of(app, "nudge_mid"))[removed].status is OutboxStatus.SKIPPED
    assert world.cadre_a1.telegram_id not in bot.sent
    assert all(chat_id > 0 for chat_id in bot.sent)
    assert world.cadre_a2.telegram_id in bot.sent


def outbox_row(member: Member, chat_id: int, period: str, not_before: datetime) -> Outbox:
    args = {"org": "第一团支部", "month": "2026-11"}
    return Outbox(
        chat_id=chat_id, member_id=member.id, kind="x", period_key=period,
        text_key="reminder.meeting_missing", args=args, not_before=not_before,
    )  # fmt: skip


async def test_a_full_batch_of_removed_members_rows_does_not_hold_back_the_rest(
    app: AppContext, world: World, clock: FixedClock
) -> None:
    assert world.cadre_a1.id is not None
    due = clock.now()
    removed = [
        outbox_row(world.cadre_a1, -world.cadre_a1.id, str(n), due) for n in range(BATCH_SIZE)
    ]
    later = outbox_row(world.cadre_a2, CADRE_A2_TG, "late", due + timedelta(seconds=1))
    await add(app, *removed, later)
    async with app.sessions() as session:
        member = await session.get(Member, world.cadre_a1.id)
        assert member is not None
        member.active = False
        session.add(member)
        await session.commit()
    clock.advance(seconds=2)
    bot = RecordingBot()
    ticks = Ticks()

    await OutboxSender(app, cast(Bot, bot), monotonic=ticks, sleep=ticks.sleep).drain()

    assert bot.sent == [CADRE_A2_TG]
