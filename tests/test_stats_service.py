"""Statistics on a small hand-computed month, on SQLite and PostgreSQL.

November 2026, target 30 h (1800 min); the clock stands at 2026-11-20 20:30 Shanghai.

  市团委 (admin 王管理 logs 3000 min: admins are not counted)
  └ 城东区团委
    ├ 第一团支部 A: 张三 600+600+600 (the last on 11-30 at 23:59 local) = 1800 ✔
    │              李四 120, 李书记 (secretary) 0, 停用 (inactive, 900) not counted
    │              group study 11-08 1 half-day (180 min, 张三 + 李四), one on 10-30
    │              meeting 11-18 19:00 held: 张三 + 李四 checked in; one cancelled
    ├ 第二团支部 B: 王五 1200, 新人 (joined 11-15) 1800 ✔, 赵书记 on leave (300)
    │              meeting 11-25: not held yet
    └ 第三团支部 C: nobody

  Whole tree: tracked 5 (0, 120, 1200, 1800, 1800), reached 2 (40%), average 984 min
  (16.4 h), median 1200 (20 h), on leave 1.  A: 1/3, B: 1/2 (+1 on leave), C: 0/0.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, date, datetime
from zoneinfo import ZoneInfo

import pytest

from bot.context import AppContext
from bot.rules import Month, StudyPolicy
from bot.services import stats as service
from bot.services.orgs import create_org
from bot.services.progress import month_progress
from storage.models import (
    GroupStudy,
    GroupStudyAttendee,
    Meeting,
    MeetingAttendance,
    MeetingStatus,
    Member,
    MemberLeave,
    Organization,
    OrgKind,
    Role,
    StudyLog,
)
from tests.support.factories import World, build_world

SHANGHAI = ZoneInfo("Asia/Shanghai")
NOVEMBER = Month(2026, 11)
NOW = datetime(2026, 11, 20, 20, 30, tzinfo=SHANGHAI).astimezone(UTC)
LONG_AGO = datetime(2026, 1, 1, tzinfo=UTC)


@dataclass
class Dataset:
    world: World
    branch_c: Organization
    newcomer: Member
    inactive: Member


def local(year: int, month: int, day: int, hour: int = 12, minute: int = 0) -> datetime:
    return datetime(year, month, day, hour, minute, tzinfo=SHANGHAI).astimezone(UTC)


async def build_dataset(app: AppContext) -> Dataset:
    world = await build_world(app.sessions)
    async with app.sessions() as session:
        branch_c = await create_org(
            session,
            "b-c",
            "第三团支部",
            OrgKind.BRANCH,
            await session.get(Organization, world.district.id),
        )
        for member in (
            world.admin, world.secretary_a, world.secretary_b,
            world.cadre_a1, world.cadre_a2, world.cadre_b1,
        ):  # fmt: skip
            member.joined_at = LONG_AGO
            session.add(member)
        newcomer = Member(
            telegram_id=2102, name="新人", org_id=world.branch_b.id, role=Role.CADRE,
            joined_at=local(2026, 11, 15, 9),
        )  # fmt: skip
        inactive = Member(
            telegram_id=2003, name="停用", org_id=world.branch_a.id, role=Role.CADRE,
            active=False, joined_at=LONG_AGO,
        )  # fmt: skip
        session.add_all([newcomer, inactive])
        await session.flush()

        def log(member: Member, day: date, minutes: int, at: datetime | None = None) -> StudyLog:
            stamp = at or local(day.year, day.month, day.day)
            return StudyLog(
                member_id=member.id, study_date=day, minutes=minutes,
                content=f"学习团章 {minutes} 分钟", created_at=stamp, updated_at=stamp,
            )  # fmt: skip

        session.add_all(
            [
                log(world.cadre_a1, date(2026, 11, 1), 600),
                log(world.cadre_a1, date(2026, 11, 15), 600),
                log(world.cadre_a1, date(2026, 11, 30), 600, local(2026, 11, 30, 23, 59)),
                log(world.cadre_a1, date(2026, 10, 31), 300),
                log(world.cadre_a2, date(2026, 11, 5), 120),
                log(world.cadre_b1, date(2026, 11, 10), 1200),
                log(newcomer, date(2026, 11, 16), 1800),
                log(world.secretary_b, date(2026, 11, 3), 300),
                log(world.admin, date(2026, 11, 3), 3000),
                log(inactive, date(2026, 11, 3), 900),
                MemberLeave(member_id=world.secretary_b.id, month="2026-11", reason="出差"),
            ]
        )
        november_study = GroupStudy(
            org_id=world.branch_a.id, study_date=date(2026, 11, 8), half_days=1.0, minutes=180,
            topic="学习团的二十大精神",
        )  # fmt: skip
        october_study = GroupStudy(
            org_id=world.branch_a.id, study_date=date(2026, 10, 30), half_days=1.0, minutes=180,
            topic="十月集体学习",
        )  # fmt: skip
        held = Meeting(
            org_id=world.branch_a.id, starts_at=local(2026, 11, 18, 19), place="团支部活动室",
            agenda="学习交流",
        )  # fmt: skip
        cancelled = Meeting(
            org_id=world.branch_a.id, starts_at=local(2026, 11, 10, 19), place="线上",
            agenda="取消的会", status=MeetingStatus.CANCELLED,
        )  # fmt: skip
        upcoming = Meeting(
            org_id=world.branch_b.id, starts_at=local(2026, 11, 25, 19), place="会议室",
            agenda="交流会",
        )  # fmt: skip
        session.add_all([november_study, october_study, held, cancelled, upcoming])
        await session.flush()
        session.add_all(
            [
                GroupStudyAttendee(group_study_id=november_study.id, member_id=world.cadre_a1.id),
                GroupStudyAttendee(group_study_id=november_study.id, member_id=world.cadre_a2.id),
                MeetingAttendance(meeting_id=held.id, member_id=world.cadre_a1.id),
                MeetingAttendance(meeting_id=held.id, member_id=world.cadre_a2.id),
                MeetingAttendance(meeting_id=cancelled.id, member_id=world.secretary_a.id),
            ]
        )
        await session.commit()
    return Dataset(world=world, branch_c=branch_c, newcomer=newcomer, inactive=inactive)


async def month_stats(
    app: AppContext, org: Organization, month: Month = NOVEMBER, policy: StudyPolicy | None = None
) -> service.OrgMonthStats:
    async with app.sessions() as session:
        fresh = await session.get(Organization, org.id)
        assert fresh is not None
        return await service.org_month_stats(
            session, fresh, month, policy or app.policy, month.utc_bounds(SHANGHAI), NOW, 2
        )


async def test_whole_tree_figures_match_the_hand_computed_month(any_app: AppContext) -> None:
    data = await build_dataset(any_app)
    stats = await month_stats(any_app, data.world.city)
    assert (stats.total.tracked, stats.total.reached, stats.total.on_leave) == (5, 2, 1)
    assert stats.total.completion == pytest.approx(0.4)
    assert stats.total.average_minutes == pytest.approx(984)
    assert stats.total.median_minutes == 1200
    assert [(kid.name, kid.tracked, kid.reached) for kid in stats.children] == [
        ("城东区团委", 5, 2)
    ]


async def test_children_are_ranked_and_an_empty_branch_shows_zero(any_app: AppContext) -> None:
    data = await build_dataset(any_app)
    stats = await month_stats(any_app, data.world.district)
    assert [(kid.name, kid.tracked, kid.reached, kid.on_leave) for kid in stats.children] == [
        ("第二团支部", 2, 1, 1),
        ("第一团支部", 3, 1, 0),
        ("第三团支部", 0, 0, 0),
    ]


async def test_behind_list_is_furthest_from_target_first(any_app: AppContext) -> None:
    data = await build_dataset(any_app)
    stats = await month_stats(any_app, data.world.city)
    assert [(row.name, row.minutes) for row in stats.behind] == [
        ("李书记", 0),
        ("李四", 120),
        ("王五", 1200),
    ]


async def test_branch_group_study_and_held_meeting_attendance(any_app: AppContext) -> None:
    data = await build_dataset(any_app)
    stats = await month_stats(any_app, data.world.branch_a)
    assert stats.group_half_days == 1.0
    assert stats.meeting == service.MeetingFigures(held=1, attended=2)


async def test_a_meeting_later_in_the_month_is_not_held_yet(any_app: AppContext) -> None:
    data = await build_dataset(any_app)
    stats = await month_stats(any_app, data.world.branch_b)
    assert stats.meeting.held == 0


async def test_last_day_entry_at_2359_local_counts_in_its_month(any_app: AppContext) -> None:
    data = await build_dataset(any_app)
    stats = await month_stats(any_app, data.world.branch_a)
    rows = {row.name: row.minutes for row in stats.behind}
    assert "张三" not in rows  # 1800 only with the 11-30 23:59 entry
    october = await month_stats(any_app, data.world.branch_a, Month(2026, 10))
    assert october.total.reached == 0


async def test_mid_month_joiner_has_the_full_target_and_later_joiners_are_absent(
    any_app: AppContext,
) -> None:
    data = await build_dataset(any_app)
    november = await month_stats(any_app, data.world.branch_b)
    october = await month_stats(any_app, data.world.branch_b, Month(2026, 10))
    assert (november.total.tracked, november.total.reached) == (2, 1)
    assert october.total.tracked == 2  # 王五 and 赵书记: 新人 joined in November


async def test_empty_month_has_everyone_at_zero(any_app: AppContext) -> None:
    data = await build_dataset(any_app)
    stats = await month_stats(any_app, data.world.city, Month(2026, 6))
    assert (stats.total.tracked, stats.total.reached, stats.total.median_minutes) == (5, 0, 0)
    assert stats.meeting.held == 0 and stats.group_half_days == 0


@pytest.mark.parametrize("counts_personal", [False, True])
async def test_each_members_figure_equals_month_progress(
    any_app: AppContext, counts_personal: bool
) -> None:
    data = await build_dataset(any_app)
    policy = StudyPolicy(group_study_counts_personal=counts_personal)
    async with any_app.sessions() as session:
        city = await session.get(Organization, data.world.city.id)
        assert city is not None
        rows = await service.member_months(
            session, city, NOVEMBER, policy, NOVEMBER.utc_bounds(SHANGHAI)
        )
        for row in rows:
            member = await session.get(Member, row.member_id)
            assert member is not None
            progress = await month_progress(session, member, policy, date(2026, 11, 20), NOVEMBER)
            assert row.minutes == progress.done_minutes, row.name
    by_name = {row.name: row.minutes for row in rows}
    assert by_name["张三"] == (1980 if counts_personal else 1800)


async def test_attended_group_study_counts_when_the_policy_says_so(any_app: AppContext) -> None:
    data = await build_dataset(any_app)
    stats = await month_stats(
        any_app, data.world.branch_a, policy=StudyPolicy(group_study_counts_personal=True)
    )
    assert [(row.name, row.minutes) for row in stats.behind] == [("李书记", 0), ("李四", 300)]


async def test_month_totals_counted_in_sql_match_the_member_rows(any_app: AppContext) -> None:
    data = await build_dataset(any_app)
    async with any_app.sessions() as session:
        city = await session.get(Organization, data.world.city.id)
        assert city is not None
        totals = await service.month_totals(
            session, city, NOVEMBER, any_app.policy, NOVEMBER.utc_bounds(SHANGHAI)
        )
    assert (totals.tracked, totals.reached, totals.minutes) == (5, 2, 4920)
    assert totals.completion == pytest.approx(0.4)
