"""Invites on SQLite and PostgreSQL: one use per join, the last use goes to one person."""

from __future__ import annotations

import asyncio

from sqlmodel import select

from bot.context import AppContext
from bot.services.invites import consume_invite, create_invite
from bot.services.members import JoinOutcome, join_by_invite
from bot.services.orgs import create_org
from storage.models import Invite, Member, OrgKind, Role


async def last_use_invite(app: AppContext) -> str:
    async with app.sessions() as session:
        org = await create_org(session, "root", "团市委", OrgKind.CITY, None)
        invite = await create_invite(session, org=org, role=Role.CADRE, now=app.clock.now(), uses=1)
        await session.commit()
        return invite.code


async def join(app: AppContext, telegram_id: int, code: str) -> JoinOutcome:
    async with app.sessions() as session:
        result = await join_by_invite(
            session,
            telegram_id=telegram_id,
            name="陈小明",
            code=code,
            locale="zh_CN",
            now=app.clock.now(),
        )
        return result.outcome


async def test_two_people_racing_for_the_last_use(any_app: AppContext):
    code = await last_use_invite(any_app)
    outcomes = await asyncio.gather(join(any_app, 501, code), join(any_app, 502, code))
    assert sorted(outcomes) == sorted([JoinOutcome.JOINED, JoinOutcome.INVITE_GONE])
    async with any_app.sessions() as session:
        assert len((await session.exec(select(Member))).all()) == 1
        invite = (await session.exec(select(Invite))).one()
    assert invite.uses == 1


async def test_same_person_twice_at_once_joins_once(any_app: AppContext):
    async with any_app.sessions() as session:
        org = await create_org(session, "root", "团市委", OrgKind.CITY, None)
        invite = await create_invite(session, org=org, role=Role.CADRE, now=any_app.clock.now())
        await session.commit()
    outcomes = await asyncio.gather(
        join(any_app, 501, invite.code), join(any_app, 501, invite.code)
    )
    assert sorted(outcomes) == sorted([JoinOutcome.JOINED, JoinOutcome.ALREADY])
    async with any_app.sessions() as session:
        stored = (await session.exec(select(Invite))).one()
    assert stored.uses == 1


async def test_used_up_invite_cannot_be_consumed(any_app: AppContext):
    code = await last_use_invite(any_app)
    async with any_app.sessions() as session:
        invite = (await session.exec(select(Invite).where(Invite.code == code))).one()
        assert await consume_invite(session, invite.id, any_app.clock.now())
        assert not await consume_invite(session, invite.id, any_app.clock.now())
