"""The progress and check-in services on SQLite and PostgreSQL."""

from __future__ import annotations

from datetime import UTC, date, datetime

import pytest

from bot.context import AppContext
from bot.rules import Month, StudyPolicy
from bot.services import checkins, progress
from bot.services.checkins import CheckinError, CheckinProblem
from storage.models import GroupStudy, GroupStudyAttendee, MemberLeave, StudyLog
from tests.support.factories import World, build_world

TODAY = date(2026, 11, 20)
NOW = datetime(2026, 11, 20, 12, tzinfo=UTC)
NOV = Month(2026, 11)
POLICY = StudyPolicy()


@pytest.fixture
async def any_world(any_app: AppContext) -> World:
    return await build_world(any_app.sessions)


async def _log(app: AppContext, member_id: int, day: date, minutes: int, key: str = "") -> int:
    async with app.sessions() as session:
        saved = await checkins.record_checkin(
            session,
            member_id,
            minutes=minutes,
            content="学习团章",
            day=day,
            today=TODAY,
            policy=POLICY,
            key=key or f"k-{member_id}-{day}-{minutes}",
            now=NOW,
        )
    return saved.log_id


async def _group_study(app: AppContext, org_id: int, day: date, attendees: list[int]) -> None:
    async with app.sessions() as session:
        study = GroupStudy(org_id=org_id, study_date=day, half_days=1, minutes=180, topic="团章")
        session.add(study)
        await session.flush()
        for member_id in attendees:
            session.add(GroupStudyAttendee(group_study_id=study.id, member_id=member_id))
        await session.commit()


async def test_month_minutes_count_only_the_members_own_month(
    any_app: AppContext, any_world: World
) -> None:
    me, other = any_world.cadre_a1.id, any_world.cadre_a2.id
    assert me and other
    await _log(any_app, me, date(2026, 11, 1), 60)
    await _log(any_app, me, date(2026, 11, 20), 90)
    await _log(any_app, other, date(2026, 11, 5), 30)
    async with any_app.sessions() as session:
        session.add(StudyLog(member_id=me, study_date=date(2026, 10, 31), minutes=120, content="x"))
        await session.commit()
        assert await progress.member_month_minutes(session, me, NOV, POLICY) == 150


async def test_group_study_counts_only_when_the_policy_says_so(
    any_app: AppContext, any_world: World
) -> None:
    me = any_world.cadre_a1.id
    assert me
    await _log(any_app, me, date(2026, 11, 2), 60)
    await _group_study(any_app, any_world.branch_a.id or 0, date(2026, 11, 3), [me])
    counting = StudyPolicy(group_study_counts_personal=True)
    async with any_app.sessions() as session:
        assert await progress.member_month_minutes(session, me, NOV, POLICY) == 60
        assert await progress.member_month_minutes(session, me, NOV, counting) == 240


async def test_month_progress_of_a_member(any_app: AppContext, any_world: World) -> None:
    await _log(any_app, any_world.cadre_a1.id or 0, date(2026, 11, 2), 600)
    async with any_app.sessions() as session:
        p = await progress.month_progress(session, any_world.cadre_a1, POLICY, TODAY)
    assert (p.month, p.done_minutes, p.left_minutes, p.days_left) == (NOV, 600, 1200, 11)


async def test_org_group_half_days_sum_the_month(any_app: AppContext, any_world: World) -> None:
    branch = any_world.branch_a.id or 0
    await _group_study(any_app, branch, date(2026, 11, 3), [])
    await _group_study(any_app, branch, date(2026, 10, 30), [])
    await _group_study(any_app, any_world.branch_b.id or 0, date(2026, 11, 3), [])
    async with any_app.sessions() as session:
        assert await progress.org_group_half_days(session, branch, NOV) == 1.0


async def test_is_on_leave_reads_the_month(any_app: AppContext, any_world: World) -> None:
    me = any_world.cadre_a1.id or 0
    async with any_app.sessions() as session:
        session.add(MemberLeave(member_id=me, month="2026-11", reason="病假"))
        await session.commit()
        assert await progress.is_on_leave(session, me, NOV)
        assert not await progress.is_on_leave(session, me, NOV.next())


async def test_record_checkin_stores_one_row_per_key(any_app: AppContext, any_world: World) -> None:
    me = any_world.cadre_a1.id or 0
    first = await _log(any_app, me, TODAY, 60, key="msg:1:1")
    second = await _log(any_app, me, TODAY, 60, key="msg:1:1")
    assert first == second
    async with any_app.sessions() as session:
        assert await progress.member_month_minutes(session, me, NOV, POLICY) == 60


async def test_record_checkin_refuses_more_than_a_day_in_one_day(
    any_app: AppContext, any_world: World
) -> None:
    me = any_world.cadre_a1.id or 0
    await _log(any_app, me, TODAY, 23 * 60)
    with pytest.raises(CheckinError) as caught:
        await _log(any_app, me, TODAY, 61)
    assert caught.value.problem is CheckinProblem.DAY_LIMIT
    assert caught.value.day_minutes == 23 * 60


async def test_update_checkin_moves_an_entry_to_another_day(
    any_app: AppContext, any_world: World
) -> None:
    me = any_world.cadre_a1.id or 0
    log_id = await _log(any_app, me, TODAY, 60)
    async with any_app.sessions() as session:
        await checkins.update_checkin(
            session, me, log_id, today=TODAY, policy=POLICY, now=NOW, day=date(2026, 11, 19)
        )
        log = await session.get(StudyLog, log_id)
        assert log is not None and log.study_date == date(2026, 11, 19)


async def test_delete_checkin_of_another_member_is_not_found(
    any_app: AppContext, any_world: World
) -> None:
    log_id = await _log(any_app, any_world.cadre_a1.id or 0, TODAY, 60)
    async with any_app.sessions() as session:
        with pytest.raises(CheckinError) as caught:
            await checkins.delete_checkin(
                session, any_world.cadre_a2.id or 0, log_id, TODAY, POLICY
            )
        assert caught.value.problem is CheckinProblem.NOT_FOUND
        assert await session.get(StudyLog, log_id) is not None


async def test_record_checkin_returns_the_new_month_total(
    any_app: AppContext, any_world: World
) -> None:
    me = any_world.cadre_a1.id or 0
    async with any_app.sessions() as session:
        session.add(StudyLog(member_id=me, study_date=date(2026, 11, 2), minutes=45, content="x"))
        await session.commit()
    await _log(any_app, me, date(2026, 11, 3), 60)
    async with any_app.sessions() as session:
        saved = await checkins.record_checkin(
            session,
            me,
            minutes=30,
            content="团史",
            day=TODAY,
            today=TODAY,
            policy=POLICY,
            key="new",
            now=NOW,
        )
    assert saved.month_minutes == 135 and not saved.duplicate


async def test_record_checkin_total_includes_group_study_when_it_counts(
    any_app: AppContext, any_world: World
) -> None:
    me = any_world.cadre_a1.id or 0
    await _group_study(any_app, any_world.branch_a.id or 0, date(2026, 11, 3), [me])
    async with any_app.sessions() as session:
        saved = await checkins.record_checkin(
            session,
            me,
            minutes=30,
            content="团史",
            day=TODAY,
            today=TODAY,
            policy=StudyPolicy(group_study_counts_personal=True),
            key="with-group",
            now=NOW,
        )
    assert saved.month_minutes == 210
