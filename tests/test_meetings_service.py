"""Meetings service on SQLite and PostgreSQL, and the 4096-character splitter."""

from __future__ import annotations

import asyncio
from datetime import UTC, datetime

import pytest
from sqlmodel import select

from bot.context import AppContext
from bot.rules import Month
from bot.services import meetings as service
from bot.services.meetings import MeetingDraft, MeetingError, MeetingProblem
from bot.text import split_for_telegram
from storage.models import Meeting, MeetingStatus, Member, Outbox, ReplyAnswer
from tests.conftest import SHANGHAI
from tests.support.factories import World, build_world

NOW = datetime(2026, 11, 20, 12, 30, tzinfo=UTC)
NOVEMBER = Month(2026, 11)


def draft(org_id: int, day: int = 25, key: str = "k") -> MeetingDraft:
    starts = datetime(2026, 11, day, 19, 30, tzinfo=SHANGHAI)
    return MeetingDraft(org_id, starts, "活动室", "交流心得", key)


async def host(app: AppContext, world: World, member: Member, org_id: int) -> Meeting:
    async with app.sessions() as session:
        actor = await session.get(Member, member.id)
        assert actor is not None
        meeting, _ = await service.schedule(session, actor, draft(org_id), NOW, SHANGHAI)
        return meeting


# --- splitter ------------------------------------------------------------------------


def test_short_text_is_one_chunk() -> None:
    assert split_for_telegram("一\n二") == ["一\n二"]


def test_chunks_end_on_line_boundaries() -> None:
    lines = [f"{index:03d}" + "字" * 96 for index in range(100)]  # 100 chars each
    chunks = split_for_telegram("\n".join(lines), limit=1000)
    assert all(len(chunk) <= 1000 for chunk in chunks)
    assert "\n".join(chunks) == "\n".join(lines)
    assert all(chunk.split("\n")[0] in lines for chunk in chunks)


def test_an_over_long_line_is_cut_hard() -> None:
    chunks = split_for_telegram("x" * 9000)
    assert [len(chunk) for chunk in chunks] == [4096, 4096, 808]


# --- storage on both backends ----------------------------------------------------------


async def test_invitees_are_the_active_members_of_the_subtree(any_app: AppContext) -> None:
    world = await build_world(any_app.sessions)
    meeting = await host(any_app, world, world.admin, world.district.id)
    async with any_app.sessions() as session:
        names = {member.name for member in await service.invitees(session, meeting)}
    assert names == {"李书记", "赵书记", "张三", "李四", "王五"}


async def test_district_meeting_covers_its_branches(any_app: AppContext) -> None:
    world = await build_world(any_app.sessions)
    await host(any_app, world, world.admin, world.district.id)
    async with any_app.sessions() as session:
        missing = await service.orgs_without_meeting(session, NOVEMBER, tz=SHANGHAI)
    assert missing == []


async def test_branch_meeting_covers_only_that_branch(any_app: AppContext) -> None:
    world = await build_world(any_app.sessions)
    await host(any_app, world, world.secretary_a, world.branch_a.id)
    async with any_app.sessions() as session:
        missing = await service.orgs_without_meeting(session, NOVEMBER, tz=SHANGHAI)
        in_a = await service.orgs_without_meeting(session, NOVEMBER, world.branch_a, SHANGHAI)
    assert [org.name for org in missing] == ["第二团支部"]
    assert in_a == []


async def test_cancelled_or_next_month_meeting_does_not_count(any_app: AppContext) -> None:
    world = await build_world(any_app.sessions)
    meeting = await host(any_app, world, world.secretary_a, world.branch_a.id)
    async with any_app.sessions() as session:
        actor = await session.get(Member, world.secretary_a.id)
        assert actor is not None
        await service.cancel(session, actor, meeting.id, NOW, SHANGHAI)
        missing = await service.orgs_without_meeting(session, NOVEMBER, tz=SHANGHAI)
        next_month = await service.orgs_without_meeting(session, NOVEMBER.next(), tz=SHANGHAI)
    assert [org.name for org in missing] == ["第一团支部", "第二团支部"]
    assert len(next_month) == 2


async def test_replies_and_shares_are_read_back(any_app: AppContext) -> None:
    world = await build_world(any_app.sessions)
    meeting = await host(any_app, world, world.secretary_a, world.branch_a.id)
    async with any_app.sessions() as session:
        cadre = await session.get(Member, world.cadre_a1.id)
        assert cadre is not None
        await service.set_reply(session, cadre, meeting.id, ReplyAnswer.ATTEND, NOW)
        await service.submit_share(session, cadre, meeting.id, "心得", NOW)
        answers = await service.replies(session, meeting.id)
        submitted = await service.shares(session, meeting.id)
    assert [(r.member_id, r.answer) for r in answers] == [(world.cadre_a1.id, ReplyAnswer.ATTEND)]
    assert [s.member_id for s in submitted] == [world.cadre_a1.id]


async def test_repeated_idempotency_key_schedules_once(any_app: AppContext) -> None:
    world = await build_world(any_app.sessions)
    first = await host(any_app, world, world.secretary_a, world.branch_a.id)
    second = await host(any_app, world, world.secretary_a, world.branch_a.id)
    assert first.id == second.id


async def test_secretary_b_cannot_schedule_for_branch_a(any_app: AppContext) -> None:
    world = await build_world(any_app.sessions)
    with pytest.raises(MeetingError) as raised:
        await host(any_app, world, world.secretary_b, world.branch_a.id)
    assert raised.value.problem == MeetingProblem.NOT_ALLOWED


async def test_leave_without_reason_is_refused(any_app: AppContext) -> None:
    world = await build_world(any_app.sessions)
    meeting = await host(any_app, world, world.secretary_a, world.branch_a.id)
    async with any_app.sessions() as session:
        cadre = await session.get(Member, world.cadre_a1.id)
        assert cadre is not None
        with pytest.raises(MeetingError) as raised:
            await service.set_reply(session, cadre, meeting.id, ReplyAnswer.LEAVE, NOW, " ")
    assert raised.value.problem == MeetingProblem.BAD_REASON


async def test_cancelled_meeting_cannot_be_moved(any_app: AppContext) -> None:
    world = await build_world(any_app.sessions)
    meeting = await host(any_app, world, world.secretary_a, world.branch_a.id)
    async with any_app.sessions() as session:
        actor = await session.get(Member, world.secretary_a.id)
        assert actor is not None
        cancelled = await service.cancel(session, actor, meeting.id, NOW, SHANGHAI)
        assert cancelled.status == MeetingStatus.CANCELLED
        with pytest.raises(MeetingError) as raised:
            await service.move(session, actor, meeting.id, meeting.starts_at, NOW, SHANGHAI)
    assert raised.value.problem == MeetingProblem.CANCELLED


async def test_concurrent_saves_of_one_draft_store_one_meeting(any_app: AppContext) -> None:
    world = await build_world(any_app.sessions)
    results = await asyncio.gather(
        host(any_app, world, world.secretary_a, world.branch_a.id),
        host(any_app, world, world.secretary_a, world.branch_a.id),
    )
    assert results[0].id == results[1].id
    async with any_app.sessions() as session:
        rows = (await session.exec(select(Outbox))).all()
    assert len(rows) == 2
