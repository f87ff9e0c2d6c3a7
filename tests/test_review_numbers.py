"""Review (issue 6): /me, /stats, the export, the charts and the reminders agree on one month.

One dataset, both settings of `group_study_counts_personal` (and a target from settings),
compared across `progress` (/me, criteria), `stats` (/stats, export, charts) and
`scheduler.audience` / the reminder jobs.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, date, datetime
from typing import Any

import pytest
from sqlmodel import select

from bot.clock import FixedClock
from bot.context import AppContext
from bot.rules import Month
from bot.services import progress
from bot.services import stats as service
from bot.services.charts import chart_data
from scheduler import audience
from scheduler.jobs import run_job
from storage.models import (
    GroupStudy,
    GroupStudyAttendee,
    Member,
    MemberLeave,
    Organization,
    Outbox,
    Role,
    StudyLog,
)
from tests.conftest import SHANGHAI
from tests.support.factories import World, build_world

NOVEMBER = Month(2026, 11)


@pytest.fixture(
    params=[
        {"group_study_counts_personal": False},
        {"group_study_counts_personal": True, "monthly_study_hours": 25},
    ],
    ids=["personal-only", "group-counts-25h"],
)
def settings_overrides(request: pytest.FixtureRequest) -> dict[str, Any]:
    return dict(request.param)


@dataclass
class Extra:
    district_admin: Member
    district_secretary: Member
    newcomer: Member  # joined mid-November
    december_joiner: Member  # joined on 1 December, before the morning jobs


def local(*args: int) -> datetime:
    return datetime(*args, tzinfo=SHANGHAI).astimezone(UTC)  # type: ignore[misc]


def entry(member: Member, minutes: int, day: date) -> StudyLog:
    assert member.id is not None
    return StudyLog(member_id=member.id, study_date=day, minutes=minutes, content="团章")


async def build_month(app: AppContext, world: World) -> Extra:
    """Entries on the month's edges, group study, leave, joiners, an inactive member."""
    async with app.sessions() as session:
        people = [
            Member(telegram_id=3001, name="区管理", org_id=world.district.id, role=Role.ADMIN),
            Member(telegram_id=3002, name="区书记", org_id=world.district.id, role=Role.SECRETARY),
            Member(
                telegram_id=3003,
                name="新人",
                org_id=world.branch_a.id,
                role=Role.CADRE,
                joined_at=local(2026, 11, 15, 10, 0),
            ),
            Member(
                telegram_id=3004,
                name="十二月",
                org_id=world.branch_b.id,
                role=Role.CADRE,
                joined_at=local(2026, 12, 1, 7, 0),
            ),
        ]
        session.add_all(people)
        await session.flush()
        district_admin, district_secretary, newcomer, december_joiner = people
        study = GroupStudy(
            org_id=world.branch_a.id, study_date=date(2026, 11, 12), half_days=2,
            minutes=360, topic="团章",
        )  # fmt: skip
        session.add(study)
        await session.flush()
        for member in (world.cadre_a2, world.secretary_a, newcomer):
            session.add(GroupStudyAttendee(group_study_id=study.id, member_id=member.id))
        session.add_all(
            [
                entry(world.cadre_a1, 600, date(2026, 10, 31)),  # the month before
                entry(world.cadre_a1, 600, date(2026, 11, 1)),
                entry(world.cadre_a1, 1200, date(2026, 11, 30)),  # the last day
                entry(world.cadre_a1, 300, date(2026, 12, 1)),  # the month after
                entry(world.cadre_a2, 300, date(2026, 11, 10)),
                entry(world.secretary_a, 1500, date(2026, 11, 20)),
                entry(world.cadre_b1, 1800, date(2026, 11, 5)),  # on leave anyway
                entry(world.secretary_b, 2400, date(2026, 11, 6)),  # inactive
                entry(newcomer, 1740, date(2026, 11, 16)),
                entry(world.admin, 3000, date(2026, 11, 7)),  # admins are not counted
                entry(district_admin, 3000, date(2026, 11, 7)),
                entry(district_secretary, 900, date(2026, 11, 8)),
                MemberLeave(member_id=world.cadre_b1.id, month=NOVEMBER.key, reason="病假"),
            ]
        )
        inactive = await session.get(Member, world.secretary_b.id)
        assert inactive is not None
        inactive.active = False
        session.add(inactive)
        await session.commit()
    return Extra(district_admin, district_secretary, newcomer, december_joiner)


async def stats_of(app: AppContext, org: Organization, month: Month = NOVEMBER) -> Any:
    async with app.sessions() as session:
        root = await session.get(Organization, org.id)
        assert root is not None
        return await service.org_month_stats(
            session, root, month, app.policy, month.utc_bounds(SHANGHAI),
            local(2026, 12, 31, 0, 0), app.policy.group_half_days,
        )  # fmt: skip


async def member_rows(app: AppContext, org: Organization) -> dict[int, service.MemberMonth]:
    async with app.sessions() as session:
        rows = await service.member_months(
            session, org, NOVEMBER, app.policy, NOVEMBER.utc_bounds(SHANGHAI)
        )
    return {row.member_id: row for row in rows}


async def only_row(app: AppContext, kind: str, member: Member) -> Outbox:
    async with app.sessions() as session:
        rows = (
            await session.exec(
                select(Outbox).where(Outbox.kind == kind, Outbox.member_id == member.id)
            )
        ).all()
    assert len(rows) == 1, rows
    return rows[0]


async def test_every_members_minutes_agree_in_progress_stats_and_reminders(
    app: AppContext, world: World
) -> None:
    await build_month(app, world)
    rows = await member_rows(app, world.city)
    async with app.sessions() as session:
        reminders = await audience.month_minutes(session, NOVEMBER, app.policy)
        members = (await session.exec(select(Member))).all()
        for member in members:
            assert member.id is not None
            mine = await progress.member_month_minutes(session, member.id, NOVEMBER, app.policy)
            assert reminders.get(member.id, 0) == mine, member.name
            if member.id in rows:
                assert rows[member.id].minutes == mine, member.name
    group = app.policy.group_study_counts_personal
    assert rows[world.cadre_a2.id].minutes == (660 if group else 300)


async def test_member_minutes_agree_on_both_backends(any_app: AppContext) -> None:
    world = await build_world(any_app.sessions)
    await build_month(any_app, world)
    rows = await member_rows(any_app, world.city)
    async with any_app.sessions() as session:
        reminders = await audience.month_minutes(session, NOVEMBER, any_app.policy)
        for member_id, row in rows.items():
            mine = await progress.member_month_minutes(session, member_id, NOVEMBER, any_app.policy)
            assert row.minutes == reminders.get(member_id, 0) == mine, row.name


async def test_counted_members_are_active_tracked_roles_who_joined_before_the_month_ended(
    app: AppContext, world: World
) -> None:
    extra = await build_month(app, world)
    rows = await member_rows(app, world.city)
    assert set(rows) == {
        world.secretary_a.id, world.cadre_a1.id, world.cadre_a2.id, world.cadre_b1.id,
        extra.district_secretary.id, extra.newcomer.id,
    }  # fmt: skip
    assert rows[world.cadre_b1.id].on_leave


async def test_entries_on_the_months_first_and_last_day_count_in_that_month_only(
    app: AppContext, world: World
) -> None:
    await build_month(app, world)
    assert world.cadre_a1.id is not None
    async with app.sessions() as session:
        for month, expected in ((Month(2026, 10), 600), (NOVEMBER, 1800), (Month(2026, 12), 300)):
            mine = await progress.member_month_minutes(
                session, world.cadre_a1.id, month, app.policy
            )
            bulk = await audience.month_minutes(session, month, app.policy)
            assert (mine, bulk.get(world.cadre_a1.id, 0)) == (expected, expected), month


async def test_reached_uses_the_target_from_settings_in_me_and_stats(
    app: AppContext, world: World
) -> None:
    extra = await build_month(app, world)
    assert app.policy.target_minutes == app.settings.study_target_minutes
    stats = await stats_of(app, world.city)
    async with app.sessions() as session:
        reached = 0
        for member_id in await member_rows(app, world.city):
            member = await session.get(Member, member_id)
            assert member is not None
            mine = await progress.month_progress(
                session, member, app.policy, date(2026, 11, 30), NOVEMBER
            )
            on_leave = await progress.is_on_leave(session, member_id, NOVEMBER)
            reached += mine.reached and not on_leave
    assert stats.total.reached == reached
    # 29 h + 6 h of group study: short of 30 h alone, past 25 h with group study.
    newcomer = (await member_rows(app, world.city))[extra.newcomer.id]
    assert newcomer.reached(app.policy.target_minutes) is app.policy.group_study_counts_personal


async def test_group_half_days_agree_in_criteria_stats_and_reminders(
    app: AppContext, world: World
) -> None:
    await build_month(app, world)
    stats = await stats_of(app, world.branch_a)
    assert world.branch_a.id is not None
    async with app.sessions() as session:
        mine = await progress.org_group_half_days(session, world.branch_a.id, NOVEMBER)
        bulk = await audience.group_half_days(session, NOVEMBER)
    assert stats.group_half_days == mine == bulk[world.branch_a.id] == 2


async def test_chart_figures_are_the_stats_figures(app: AppContext, world: World) -> None:
    await build_month(app, world)
    stats = await stats_of(app, world.city)
    async with app.sessions() as session:
        data = await chart_data(session, world.city, NOVEMBER, app.policy, SHANGHAI)
    assert sorted(data.hours) == sorted(m / 60 for m in stats.total.minutes)
    assert data.trend[-1][1] == pytest.approx(stats.total.completion)


@pytest.mark.parametrize("admin", ["admin", "district_admin"])
async def test_month_close_figures_are_the_stats_of_the_admins_subtree(
    app: AppContext, world: World, clock: FixedClock, admin: str
) -> None:
    extra = await build_month(app, world)
    member = getattr(world, admin, None) or getattr(extra, admin)
    org = world.city if admin == "admin" else world.district
    clock.set_local(datetime(2026, 12, 1, 9, 30), SHANGHAI)

    await run_job(app, "month_close")

    args = (await only_row(app, "month_close", member)).args
    total = (await stats_of(app, org)).total
    assert (args["members"], args["reached"], args["on_leave"]) == (
        total.tracked,
        total.reached,
        total.on_leave,
    )


async def test_weekly_digest_figures_are_the_stats_of_the_secretarys_subtree(
    app: AppContext, world: World, clock: FixedClock
) -> None:
    extra = await build_month(app, world)
    clock.set_local(datetime(2026, 11, 30, 9, 0), SHANGHAI)  # a Monday, the last day

    await run_job(app, "weekly_digest")

    for secretary, org in (
        (extra.district_secretary, world.district),
        (world.secretary_a, world.branch_a),
    ):
        args = (await only_row(app, "weekly_digest", secretary)).args
        total = (await stats_of(app, org)).total
        assert (args["members"], args["reached"]) == (total.tracked, total.reached), org.name
