"""A restart in the middle of a conversation: the new process continues where the user was."""

from __future__ import annotations

from sqlmodel import select

from bot.app import build_dispatcher
from bot.context import AppContext
from storage.models import Invite, Member, Role, StudyLog
from tests.support.factories import CADRE_A1_TG, World
from tests.support.harness import Harness, button_data, joined
from tests.support.mocked_bot import create_mocked_bot

NEWCOMER_TG = 3333


def restarted(app: AppContext) -> Harness:
    """A new Dispatcher with a new FSM storage (empty caches) on the same database."""
    bot, session = create_mocked_bot()
    return Harness(dp=build_dispatcher(app), bot=bot, session=session)


async def test_check_in_flow_continues_after_a_restart(
    app: AppContext, harness: Harness, world: World
) -> None:
    await harness.send(CADRE_A1_TG, "/log")
    await harness.press(CADRE_A1_TG, "ckm:90")

    after = restarted(app)
    summary = await after.send(CADRE_A1_TG, "团章第二章")
    await after.press(CADRE_A1_TG, button_data(summary, "保存"))

    async with app.sessions() as session:
        logs = (await session.exec(select(StudyLog))).all()
    assert [(log.minutes, log.content) for log in logs] == [(90, "团章第二章")]


async def test_joining_continues_after_a_restart(
    app: AppContext, harness: Harness, world: World
) -> None:
    async with app.sessions() as session:
        session.add(Invite(code="restart-code", org_id=world.branch_a.id, role=Role.CADRE))
        await session.commit()
    asked = await harness.send(NEWCOMER_TG, "/start restart-code")
    assert "姓名" in joined(asked)

    after = restarted(app)
    shown = await after.send(NEWCOMER_TG, "陈晓明")
    await after.press(NEWCOMER_TG, button_data(shown, "确认"))

    async with app.sessions() as session:
        member = (await session.exec(select(Member).where(Member.telegram_id == NEWCOMER_TG))).one()
    assert (member.name, member.org_id) == ("陈晓明", world.branch_a.id)
