"""The outbox sender against the fake Bot API server that enforces Telegram's limits."""

from __future__ import annotations

import asyncio
import itertools
from collections import Counter
from collections.abc import AsyncIterator
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import pytest
from aiogram import Bot
from sqlmodel import select

from bot.app import create_bot
from bot.clock import FixedClock
from bot.config import Settings
from bot.context import AppContext
from scheduler.outbox import OutboxMessage, enqueue
from scheduler.sender import OutboxSender
from storage.models import Member, Outbox, OutboxStatus
from tests.conftest import DEFAULT_NOW
from tests.support.db import create_schema
from tests.support.factories import World, build_world
from tests.support.fake_bot_api import FakeBotAPI, Limits
from tests.support.fake_time import FakeTime


@dataclass
class Rig:
    app: AppContext
    server: FakeBotAPI
    bot: Bot
    time: FakeTime

    def sender(self) -> OutboxSender:
        return OutboxSender(self.app, self.bot, monotonic=self.time, sleep=self.time.sleep)

    async def queue(self, *messages: OutboxMessage) -> None:
        async with self.app.sessions() as session:
            await enqueue(session, messages)
            await session.commit()

    async def rows(self) -> list[Outbox]:
        async with self.app.sessions() as session:
            return list((await session.exec(select(Outbox).order_by(Outbox.id))).all())

    async def member(self, member_id: int | None) -> Member:
        async with self.app.sessions() as session:
            member = await session.get(Member, member_id)
        assert member is not None
        return member


def message(
    chat_id: int, member_id: int | None = None, kind: str = "test", **extra: Any
) -> OutboxMessage:
    args = {"org": "第一团支部", "month": "2026-11", **extra}
    due = DEFAULT_NOW.astimezone(UTC)  # enqueue would default to the real time
    return OutboxMessage(chat_id, member_id, kind, "2026-11", "reminder.meeting_missing", args, due)


@pytest.fixture
def limits() -> Limits:
    return Limits()


@pytest.fixture
async def rig(tmp_path: Path, limits: Limits) -> AsyncIterator[Rig]:
    clock = FixedClock(DEFAULT_NOW.astimezone(UTC))
    time = FakeTime(clock)
    async with FakeBotAPI(limits=limits, clock=time) as server:
        settings = Settings(
            database_url=f"sqlite+aiosqlite:///{tmp_path / 'sender.db'}",
            telegram_api_base=server.base_url,
            bot_token="123:ABC",
            _env_file=None,
        )
        app = AppContext.build(settings, clock=clock)
        await create_schema(app.engine)
        bot = create_bot(app)
        try:
            yield Rig(app, server, bot, time)
        finally:
            await bot.session.close()
            await app.close()


@pytest.fixture
async def world(rig: Rig) -> World:
    return await build_world(rig.app.sessions)


def deliveries(server: FakeBotAPI) -> Counter[int]:
    return Counter(sent.chat_id for sent in server.sent)


async def test_broadcast_is_paced_under_the_global_limit_without_a_429(rig: Rig) -> None:
    await rig.queue(*(message(chat_id) for chat_id in range(1, 121)))
    started = rig.time.now

    sent = await rig.sender().drain()

    assert sent == 120
    assert rig.server.rejected_429 == 0
    assert set(deliveries(rig.server).values()) == {1}
    rate = 120 / (rig.time.now - started)
    assert 0.95 * 30 <= rate <= 30


async def test_one_private_chat_gets_at_most_one_message_a_second(rig: Rig) -> None:
    await rig.queue(*(message(7, kind=f"k{i}") for i in range(3)), message(8))

    await rig.sender().drain()

    times = [sent.at for sent in rig.server.sent_to(7)]
    assert len(times) == 3
    assert all(later - earlier >= 1.0 for earlier, later in itertools.pairwise(times))
    assert rig.server.rejected_429 == 0


async def test_a_group_chat_gets_at_most_twenty_messages_a_minute(rig: Rig) -> None:
    await rig.queue(*(message(-100500, kind=f"k{i}") for i in range(25)))

    await rig.sender().drain()

    assert len(rig.server.sent_to(-100500)) == 25
    assert rig.server.rejected_429 == 0


@pytest.mark.parametrize("limits", [Limits(global_per_second=5, retry_after=2)])
async def test_429_pauses_all_sending_for_retry_after_then_retries(rig: Rig) -> None:
    await rig.queue(*(message(chat_id) for chat_id in range(1, 21)))
    sender = rig.sender()

    await sender.drain()

    assert sender.stats.retry_after == rig.server.rejected_429 > 0
    assert set(deliveries(rig.server).values()) == {1}
    assert len(rig.server.sent) == 20
    # Each 429 asked for 2 s: the next delivery came no earlier.
    times = [sent.at for sent in rig.server.sent]
    assert max(later - earlier for earlier, later in itertools.pairwise(times)) >= 2


async def test_403_marks_the_member_inactive_and_skips_their_other_messages(
    rig: Rig, world: World
) -> None:
    blocked, other = world.cadre_a1, world.cadre_a2
    rig.server.blocked.add(blocked.telegram_id)
    await rig.queue(
        message(blocked.telegram_id, blocked.id, kind="first"),
        message(blocked.telegram_id, blocked.id, kind="second"),
        message(other.telegram_id, other.id),
    )

    await rig.sender().drain()

    statuses = {(row.chat_id, row.kind): row.status for row in await rig.rows()}
    assert statuses == {
        (blocked.telegram_id, "first"): OutboxStatus.BLOCKED,
        (blocked.telegram_id, "second"): OutboxStatus.SKIPPED,
        (other.telegram_id, "test"): OutboxStatus.SENT,
    }
    assert rig.server.rejected_403 == 1
    assert (await rig.member(blocked.id)).active is False


async def test_transient_server_errors_are_retried_with_backoff(rig: Rig) -> None:
    rig.server.failures_to_inject = 2
    await rig.queue(message(5))
    sender = rig.sender()

    assert await sender.drain() == 0
    row = (await rig.rows())[0]
    assert (row.status, row.attempts) == (OutboxStatus.PENDING, 1)
    assert row.not_before == rig.app.clock.now() + timedelta(seconds=2)

    for _ in range(2):
        rig.time.advance(8)
        await sender.drain()

    row = (await rig.rows())[0]
    assert (row.status, row.attempts) == (OutboxStatus.SENT, 3)
    assert rig.server.texts_to(5)


async def test_transient_errors_give_up_after_the_attempt_limit(rig: Rig) -> None:
    rig.server.failures_to_inject = 100
    await rig.queue(message(5))
    sender = rig.sender()

    for _ in range(rig.app.settings.send_max_attempts):
        await sender.drain()
        rig.time.advance(600)

    row = (await rig.rows())[0]
    assert row.status is OutboxStatus.FAILED
    assert row.attempts == rig.app.settings.send_max_attempts
    assert "Internal Server Error" in (row.last_error or "")


async def test_nothing_is_sent_in_quiet_hours(rig: Rig) -> None:
    rig.app.clock.set_local(datetime(2026, 11, 20, 23, 0), rig.app.settings.tz)  # type: ignore[attr-defined]
    await rig.queue(message(5))

    assert await rig.sender().drain() == 0
    assert rig.server.sent == []
    assert (await rig.rows())[0].status is OutboxStatus.PENDING


async def test_a_reminder_that_expired_waiting_is_not_sent(rig: Rig) -> None:
    past = (rig.app.clock.now() - timedelta(minutes=1)).isoformat()
    await rig.queue(message(5, expires_at=past))

    await rig.sender().drain()

    assert rig.server.sent == []
    assert (await rig.rows())[0].status is OutboxStatus.SKIPPED


async def test_text_is_rendered_in_the_recipients_locale(rig: Rig, world: World) -> None:
    async with rig.app.sessions() as session:
        member = await session.get(Member, world.cadre_b1.id)
        assert member is not None
        member.locale = "en"
        session.add(member)
        await session.commit()
    await rig.queue(message(world.cadre_a1.telegram_id, world.cadre_a1.id))
    await rig.queue(message(world.cadre_b1.telegram_id, world.cadre_b1.id))

    await rig.sender().drain()

    assert "还没有安排交流会" in rig.server.texts_to(world.cadre_a1.telegram_id)[0]
    assert "has no exchange meeting" in rig.server.texts_to(world.cadre_b1.telegram_id)[0]


async def test_killed_mid_broadcast_and_restarted_nobody_is_lost_or_doubled(rig: Rig) -> None:
    await rig.queue(*(message(chat_id) for chat_id in range(1, 61)))
    first = asyncio.create_task(rig.sender().run())
    await rig.server.wait_for(lambda: len(rig.server.sent) >= 25)
    first.cancel()
    with pytest.raises(asyncio.CancelledError):
        await first

    await rig.sender().drain()

    counts = deliveries(rig.server)
    assert set(counts) == set(range(1, 61))  # no losses
    assert sum(counts.values()) - len(counts) <= 1  # at most the one in flight, again
    assert {row.status for row in await rig.rows()} == {OutboxStatus.SENT}


async def test_a_row_that_cannot_be_rendered_fails_and_the_rest_go_out(rig: Rig) -> None:
    broken = OutboxMessage(5, None, "x", "p", "no.such.text", {}, DEFAULT_NOW.astimezone(UTC))
    await rig.queue(broken, message(6))

    await rig.sender().drain()

    rows = {row.chat_id: row for row in await rig.rows()}
    assert rows[5].status is OutboxStatus.FAILED
    assert "unknown text key" in (rows[5].last_error or "")
    assert rig.server.texts_to(6)
