"""/outbox and /remind_now for admins, and a blocked user coming back."""

from __future__ import annotations

from datetime import datetime

from sqlmodel import func, select

from bot.clock import FixedClock
from bot.context import AppContext
from scheduler.outbox import OutboxMessage, enqueue
from storage.models import Member, Outbox
from tests.conftest import SHANGHAI
from tests.support.factories import (
    ADMIN_TG,
    CADRE_A1_TG,
    SECRETARY_A_TG,
    World,
)
from tests.support.harness import Harness, joined


async def outbox_count(app: AppContext) -> int:
    async with app.sessions() as session:
        return (await session.exec(select(func.count()).select_from(Outbox))).one()


async def test_remind_now_is_a_dry_run_by_default(
    app: AppContext, harness: Harness, world: World, clock: FixedClock
) -> None:
    clock.set_local(datetime(2026, 12, 1, 9, 0), SHANGHAI)

    sent = await harness.send(ADMIN_TG, "/remind_now month_start")

    assert "month_start 预览：共 6 位接收人" in joined(sent)
    assert "张三" in joined(sent)
    assert await outbox_count(app) == 0


async def test_remind_now_send_queues_once(
    app: AppContext, harness: Harness, world: World, clock: FixedClock
) -> None:
    clock.set_local(datetime(2026, 12, 1, 9, 0), SHANGHAI)

    first = await harness.send(ADMIN_TG, "/remind_now month_start send")
    second = await harness.send(ADMIN_TG, "/remind_now month_start --send")

    assert "新加入发送队列 6 条" in joined(first)
    assert "新加入发送队列 0 条" in joined(second)
    assert await outbox_count(app) == 6


async def test_remind_now_with_an_unknown_kind_shows_the_kinds(
    app: AppContext, harness: Harness, world: World
) -> None:
    sent = await harness.send(ADMIN_TG, "/remind_now 催一下 send")

    assert "用法" in joined(sent) and "nudge_mid" in joined(sent)
    assert await outbox_count(app) == 0


async def test_remind_now_is_for_admins_only(
    app: AppContext, harness: Harness, world: World
) -> None:
    sent = await harness.send(SECRETARY_A_TG, "/remind_now month_start send")

    assert "管理员" in joined(sent)
    assert await outbox_count(app) == 0


async def test_outbox_shows_pending_and_todays_counts(
    app: AppContext, harness: Harness, world: World, clock: FixedClock
) -> None:
    async with app.sessions() as session:
        row = OutboxMessage(
            CADRE_A1_TG, world.cadre_a1.id, "k", "p", "reminder.nudge", {}, clock.now()
        )
        await enqueue(session, [row])
        await session.commit()

    sent = await harness.send(ADMIN_TG, "/outbox")

    assert "待发消息 1 条" in joined(sent)
    assert "已发送 0 条" in joined(sent)


async def test_outbox_is_for_admins_only(harness: Harness, world: World) -> None:
    sent = await harness.send(CADRE_A1_TG, "/outbox")

    assert "待发消息" not in joined(sent)


async def test_a_member_who_blocked_the_bot_is_active_again_on_their_next_message(
    app: AppContext, harness: Harness, world: World
) -> None:
    async with app.sessions() as session:
        member = await session.get(Member, world.cadre_a1.id)
        assert member is not None
        member.active = False
        session.add(member)
        await session.commit()

    await harness.send(CADRE_A1_TG, "/help")

    async with app.sessions() as session:
        member = await session.get(Member, world.cadre_a1.id)
    assert member is not None and member.active is True
