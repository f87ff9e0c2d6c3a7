"""Each reminder kind picks exactly the right recipients, once, outside quiet hours."""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta
from typing import Any

import pytest
from sqlmodel import select

from bot.clock import FixedClock
from bot.context import AppContext
from scheduler.jobs import preview, run_job
from storage.models import (
    GroupStudy,
    Meeting,
    MeetingReply,
    MeetingShare,
    Member,
    MemberLeave,
    Outbox,
    ReplyAnswer,
    StudyLog,
)
from tests.conftest import SHANGHAI
from tests.support.factories import World, build_world


def at(clock: FixedClock, *args: int) -> None:
    clock.set_local(datetime(*args), SHANGHAI)  # type: ignore[arg-type]


async def add(app: AppContext, *rows: Any) -> None:
    async with app.sessions() as session:
        session.add_all(rows)
        await session.commit()


async def change(app: AppContext, member: Member, **fields: Any) -> None:
    async with app.sessions() as session:
        row = await session.get(Member, member.id)
        assert row is not None
        for name, value in fields.items():
            setattr(row, name, value)
        session.add(row)
        await session.commit()


def log(member: Member, hours: float, day: date) -> StudyLog:
    assert member.id is not None
    return StudyLog(member_id=member.id, study_date=day, minutes=round(hours * 60), content="团章")


async def outbox(app: AppContext, kind: str | None = None) -> list[Outbox]:
    async with app.sessions() as session:
        statement = select(Outbox).order_by(Outbox.id)
        if kind is not None:
            statement = statement.where(Outbox.kind == kind)
        return list((await session.exec(statement)).all())


async def recipients(app: AppContext, kind: str) -> set[int]:
    return {row.member_id for row in await outbox(app, kind) if row.member_id is not None}


def ids(*members: Member) -> set[int]:
    return {member.id for member in members if member.id is not None}


# --- month start ----------------------------------------------------------------------


async def test_month_start_goes_to_everyone_active_not_on_leave_and_not_opted_out(
    app: AppContext, world: World, clock: FixedClock
) -> None:
    at(clock, 2026, 12, 1, 9, 0)
    await add(app, MemberLeave(member_id=world.cadre_b1.id, month="2026-12", reason="产假"))
    await change(app, world.cadre_a2, reminders_enabled=False)
    await change(app, world.secretary_b, active=False)

    assert await run_job(app, "month_start") == 3

    assert await recipients(app, "month_start") == ids(
        world.admin, world.secretary_a, world.cadre_a1
    )


async def test_month_start_carries_last_months_result(
    app: AppContext, world: World, clock: FixedClock
) -> None:
    at(clock, 2026, 12, 1, 9, 0)
    await add(app, log(world.cadre_a1, 31, date(2026, 11, 3)))

    await run_job(app, "month_start")

    rows = {row.member_id: row.args for row in await outbox(app, "month_start")}
    assert rows[world.cadre_a1.id]["last_done_hours"] == "31"
    assert rows[world.cadre_a1.id]["last_reached"] is True
    assert rows[world.cadre_a2.id]["last_reached"] is False
    assert rows[world.cadre_a2.id]["month"] == "2026-12"


async def test_month_start_says_until_which_day_last_month_can_be_completed(
    app: AppContext, world: World, clock: FixedClock
) -> None:
    at(clock, 2026, 12, 1, 9, 0)

    await run_job(app, "month_start")

    rows = await outbox(app, "month_start")
    assert {row.args["open_until_day"] for row in rows} == {app.policy.edit_lock_day}


async def test_running_a_job_twice_adds_nothing_the_second_time(
    app: AppContext, world: World, clock: FixedClock
) -> None:
    at(clock, 2026, 12, 1, 9, 0)
    first = await run_job(app, "month_start")
    second = await run_job(app, "month_start")

    assert (first, second) == (6, 0)
    assert len(await outbox(app)) == 6


# --- nudges ---------------------------------------------------------------------------


async def test_mid_month_nudge_only_for_those_behind_the_linear_pace(
    app: AppContext, world: World, clock: FixedClock
) -> None:
    at(clock, 2026, 11, 15, 19, 30)  # pace: 15 of 30 days → 15 h
    await add(
        app,
        log(world.cadre_a1, 15, date(2026, 11, 2)),  # on pace
        log(world.cadre_a2, 14.9, date(2026, 11, 2)),  # just behind
        log(world.admin, 20, date(2026, 11, 2)),
        log(world.secretary_a, 16, date(2026, 11, 2)),
        log(world.secretary_b, 15.5, date(2026, 11, 2)),
    )

    await run_job(app, "nudge_mid")

    assert await recipients(app, "nudge_mid") == ids(world.cadre_a2, world.cadre_b1)
    args = next(r.args for r in await outbox(app) if r.member_id == world.cadre_b1.id)
    assert args == {
        "month": "2026-11",
        "done_hours": "0",
        "target_hours": "30",
        "left_hours": "30",
        "days_left": 16,
        "per_day_hours": "1.9",
    }


async def test_nudges_skip_members_on_leave_opted_out_or_inactive(
    app: AppContext, world: World, clock: FixedClock
) -> None:
    at(clock, 2026, 11, 15, 19, 30)
    await add(app, MemberLeave(member_id=world.cadre_a1.id, month="2026-11"))
    await change(app, world.cadre_a2, reminders_enabled=False)
    await change(app, world.cadre_b1, active=False)

    await run_job(app, "nudge_mid")

    assert await recipients(app, "nudge_mid") == ids(world.secretary_a, world.secretary_b)


async def test_nudges_skip_admins_whom_stats_do_not_count(
    app: AppContext, world: World, clock: FixedClock
) -> None:
    at(clock, 2026, 11, 15, 19, 30)
    await run_job(app, "nudge_mid")
    assert world.admin.id not in await recipients(app, "nudge_mid")


@pytest.mark.parametrize("settings_overrides", [{"max_nudges_per_month": 1}])
async def test_nudges_stop_at_the_monthly_cap(
    app: AppContext, world: World, clock: FixedClock
) -> None:
    at(clock, 2026, 11, 15, 19, 30)
    await run_job(app, "nudge_mid")
    at(clock, 2026, 11, 24, 19, 30)  # last week: 30 - 6

    assert await run_job(app, "nudge_last_week") == 0


async def test_last_week_nudge_runs_seven_days_before_the_end_only(
    app: AppContext, world: World, clock: FixedClock
) -> None:
    at(clock, 2026, 11, 23, 19, 30)
    assert await run_job(app, "nudge_last_week") == 0
    at(clock, 2026, 11, 24, 19, 30)
    assert await run_job(app, "nudge_last_week") == 5  # the cadres and secretaries


async def test_final_reminder_on_the_last_days_for_those_still_short(
    app: AppContext, world: World, clock: FixedClock
) -> None:
    await add(app, log(world.cadre_a1, 30, date(2026, 11, 20)))
    at(clock, 2026, 11, 28, 20, 0)
    assert await run_job(app, "nudge_final") == 0  # not one of the last 2 days

    at(clock, 2026, 11, 29, 20, 0)
    await run_job(app, "nudge_final")

    assert world.cadre_a1.id not in await recipients(app, "nudge_final")
    assert len(await recipients(app, "nudge_final")) == 4


# --- quiet hours ----------------------------------------------------------------------


async def test_a_job_in_quiet_hours_queues_for_the_morning(
    app: AppContext, world: World, clock: FixedClock
) -> None:
    at(clock, 2026, 12, 1, 23, 15)

    await run_job(app, "month_start")

    morning = datetime(2026, 12, 2, 8, 0, tzinfo=SHANGHAI).astimezone(UTC)
    assert {row.not_before for row in await outbox(app)} == {morning}


async def test_a_job_outside_quiet_hours_is_due_at_once(
    app: AppContext, world: World, clock: FixedClock
) -> None:
    at(clock, 2026, 12, 1, 9, 0)
    await run_job(app, "month_start")
    assert {row.not_before for row in await outbox(app)} == {clock.now()}


# --- group study, meetings, digests ----------------------------------------------------


def group_study(org_id: int | None, half_days: float, day: date) -> GroupStudy:
    assert org_id is not None
    return GroupStudy(
        org_id=org_id, study_date=day, half_days=half_days, minutes=180, topic="学习党章"
    )


async def test_group_study_reminder_for_secretaries_of_orgs_short_of_half_days(
    app: AppContext, world: World, clock: FixedClock
) -> None:
    await add(
        app,
        group_study(world.branch_a.id, 2, date(2026, 11, 5)),
        group_study(world.branch_b.id, 1, date(2026, 11, 5)),
    )
    at(clock, 2026, 11, 16, 10, 0)

    await run_job(app, "group_study_mid")

    rows = await outbox(app, "group_study_mid")
    assert [row.member_id for row in rows] == [world.secretary_b.id]
    assert rows[0].args["done_half_days"] == "1"


def meeting(org_id: int | None, starts: datetime, **fields: Any) -> Meeting:
    assert org_id is not None
    return Meeting(
        org_id=org_id,
        starts_at=starts.astimezone(UTC),
        place="团委会议室",
        agenda="交流学习心得",
        created_at=starts.astimezone(UTC) - timedelta(days=5),
        **fields,
    )


async def test_meeting_missing_reminds_secretaries_without_a_meeting_by_the_day(
    app: AppContext, world: World, clock: FixedClock
) -> None:
    await add(app, meeting(world.branch_a.id, datetime(2026, 11, 25, 14, 0, tzinfo=SHANGHAI)))
    at(clock, 2026, 11, 20, 10, 0)

    await run_job(app, "meeting_missing")

    assert await recipients(app, "meeting_missing") == ids(world.secretary_b)


async def test_a_meeting_of_the_parent_covers_its_branches(
    app: AppContext, world: World, clock: FixedClock
) -> None:
    await add(app, meeting(world.district.id, datetime(2026, 11, 25, 14, 0, tzinfo=SHANGHAI)))
    at(clock, 2026, 11, 20, 10, 0)

    assert await run_job(app, "meeting_missing") == 0


async def _branch_a_meeting(app: AppContext, world: World, starts: datetime) -> Meeting:
    row = meeting(world.branch_a.id, starts)
    await add(app, row)
    await add(
        app,
        MeetingReply(meeting_id=row.id, member_id=world.cadre_a1.id, answer=ReplyAnswer.ATTEND),
        MeetingReply(meeting_id=row.id, member_id=world.cadre_a2.id, answer=ReplyAnswer.LEAVE),
        MeetingReply(
            meeting_id=row.id, member_id=world.secretary_a.id, answer=ReplyAnswer.UNDECIDED
        ),
    )
    return row


async def test_meeting_24h_reminder_to_attending_and_undecided_invitees(
    app: AppContext, world: World, clock: FixedClock
) -> None:
    await _branch_a_meeting(app, world, datetime(2026, 11, 21, 14, 0, tzinfo=SHANGHAI))
    at(clock, 2026, 11, 20, 14, 10)

    await run_job(app, "meeting_soon")

    assert await recipients(app, "meeting_24h") == ids(world.cadre_a1, world.secretary_a)
    assert await recipients(app, "meeting_2h") == set()


async def test_meeting_2h_reminder_follows_and_each_is_sent_once(
    app: AppContext, world: World, clock: FixedClock
) -> None:
    await _branch_a_meeting(app, world, datetime(2026, 11, 21, 14, 0, tzinfo=SHANGHAI))
    at(clock, 2026, 11, 20, 14, 10)
    await run_job(app, "meeting_soon")
    at(clock, 2026, 11, 21, 12, 0)
    await run_job(app, "meeting_soon")
    at(clock, 2026, 11, 21, 12, 10)
    assert await run_job(app, "meeting_soon") == 0

    assert await recipients(app, "meeting_2h") == ids(world.cadre_a1, world.secretary_a)


async def test_opted_out_member_still_gets_the_reminder_of_a_meeting_they_accepted(
    app: AppContext, world: World, clock: FixedClock
) -> None:
    await _branch_a_meeting(app, world, datetime(2026, 11, 21, 14, 0, tzinfo=SHANGHAI))
    await change(app, world.cadre_a1, reminders_enabled=False)
    await change(app, world.secretary_a, reminders_enabled=False)
    at(clock, 2026, 11, 20, 14, 10)

    await run_job(app, "meeting_soon")

    assert await recipients(app, "meeting_24h") == ids(world.cadre_a1)


async def test_share_reminder_at_48h_to_invitees_without_their_reflections(
    app: AppContext, world: World, clock: FixedClock
) -> None:
    row = await _branch_a_meeting(app, world, datetime(2026, 11, 22, 14, 0, tzinfo=SHANGHAI))
    await add(app, MeetingShare(meeting_id=row.id, member_id=world.secretary_a.id, text="体会"))
    at(clock, 2026, 11, 20, 14, 30)

    await run_job(app, "meeting_share")

    assert await recipients(app, "meeting_share") == ids(world.cadre_a1)


async def test_meeting_reminders_expire_at_the_start(
    app: AppContext, world: World, clock: FixedClock
) -> None:
    starts = datetime(2026, 11, 21, 14, 0, tzinfo=SHANGHAI)
    await _branch_a_meeting(app, world, starts)
    at(clock, 2026, 11, 20, 14, 10)
    await run_job(app, "meeting_soon")

    rows = await outbox(app, "meeting_24h")
    assert {row.args["expires_at"] for row in rows} == {starts.astimezone(UTC).isoformat()}


async def test_weekly_digest_lists_who_is_behind_in_the_secretarys_branch(
    app: AppContext, world: World, clock: FixedClock
) -> None:
    await add(app, log(world.cadre_a1, 25, date(2026, 11, 10)))
    at(clock, 2026, 11, 23, 9, 0)  # Monday

    await run_job(app, "weekly_digest")

    rows = {row.member_id: row for row in await outbox(app, "weekly_digest")}
    assert set(rows) == ids(world.secretary_a, world.secretary_b)
    digest = rows[world.secretary_a.id]
    assert digest.period_key == "2026-W48"
    assert (digest.args["members"], digest.args["behind"]) == (3, 2)
    assert sorted(digest.args["behind_names"]) == sorted(["李四", "李书记"])


async def test_month_close_summary_goes_to_admins_on_the_first(
    app: AppContext, world: World, clock: FixedClock
) -> None:
    await add(app, log(world.cadre_a1, 30, date(2026, 11, 10)))
    at(clock, 2026, 12, 1, 9, 30)

    await run_job(app, "month_close")

    rows = await outbox(app, "month_close")
    assert [row.member_id for row in rows] == [world.admin.id]
    assert rows[0].period_key == "2026-11"
    # The five cadres and secretaries, as /stats counts them (the admin is not counted).
    assert (rows[0].args["members"], rows[0].args["reached"]) == (5, 1)
    assert rows[0].args["open_until_day"] == app.policy.edit_lock_day  # figures may change


async def test_preview_lists_recipients_and_writes_nothing(
    app: AppContext, world: World, clock: FixedClock
) -> None:
    at(clock, 2026, 12, 1, 9, 0)

    result = await preview(app, "month_start", world.branch_a)

    assert result.count == 3
    assert sorted(result.sample) == sorted(["李书记", "张三", "李四"])
    assert await outbox(app) == []


async def test_jobs_are_idempotent_on_postgresql_too(pg_app: AppContext, clock: FixedClock) -> None:
    world = await build_world(pg_app.sessions)
    await add(pg_app, log(world.cadre_a1, 31, date(2026, 11, 3)))
    await _branch_a_meeting(pg_app, world, datetime(2026, 12, 2, 9, 0, tzinfo=SHANGHAI))
    at(clock, 2026, 12, 1, 9, 30)

    first = {kind: await run_job(pg_app, kind) for kind in ("month_start", "meeting_soon")}
    again = {kind: await run_job(pg_app, kind) for kind in ("month_start", "meeting_soon")}

    assert first == {"month_start": 6, "meeting_soon": 2}
    assert again == {"month_start": 0, "meeting_soon": 0}
    rows = {row.member_id: row.args for row in await outbox(pg_app, "month_start")}
    assert rows[world.cadre_a1.id]["last_reached"] is True
