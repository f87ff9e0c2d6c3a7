"""End to end: the real bot polls a local fake Bot API through TELEGRAM_API_BASE.

A newcomer joins by invite, logs study twice and sees the month's progress.
"""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator
from pathlib import Path

import pytest

from bot.app import build_dispatcher, create_bot
from bot.clock import FixedClock
from bot.config import Settings
from bot.context import AppContext
from bot.services.invites import create_invite
from bot.services.orgs import create_org
from storage.models import OrgKind, Role
from tests.support.db import create_schema
from tests.support.fake_bot_api import FakeBotAPI, Sent

NEWCOMER = 31337
WITHIN = 15.0  # seconds: a bound for each step, never a sleep


@pytest.fixture
async def api() -> AsyncIterator[FakeBotAPI]:
    async with FakeBotAPI() as server:
        yield server


@pytest.fixture
async def running_bot(
    api: FakeBotAPI, tmp_path: Path, clock: FixedClock
) -> AsyncIterator[AppContext]:
    settings = Settings(
        database_url=f"sqlite+aiosqlite:///{tmp_path / 'e2e.db'}",
        telegram_api_base=api.base_url,
        bot_token="4242:E2E-TEST-TOKEN",
        scheduler_enabled=False,
        _env_file=None,
    )
    ctx = AppContext.build(settings, clock=clock)
    await create_schema(ctx.engine)
    bot = create_bot(ctx)
    dp = build_dispatcher(ctx)
    polling = asyncio.create_task(dp.start_polling(bot, handle_signals=False, polling_timeout=1))
    try:
        yield ctx
    finally:
        await dp.stop_polling()
        async with asyncio.timeout(WITHIN):
            await polling
        await dp.storage.close()
        await bot.session.close()
        await ctx.close()


async def invite_code(ctx: AppContext) -> str:
    async with ctx.sessions() as session:
        city = await create_org(session, "city", "市团委", OrgKind.CITY, None)
        branch = await create_org(session, "b1", "第一团支部", OrgKind.BRANCH, city)
        invite = await create_invite(session, org=branch, role=Role.CADRE, now=ctx.clock.now())
        await session.commit()
        return invite.code


async def reply_containing(api: FakeBotAPI, fragment: str, *, after: int) -> Sent:
    """The first message to the newcomer after the `after`-th whose text has `fragment`."""

    def found() -> Sent | None:
        fresh = api.sent_to(NEWCOMER)[after:]
        return next((s for s in fresh if fragment in (s.text or "")), None)

    await api.wait_for(lambda: found() is not None, within=WITHIN)
    sent = found()
    assert sent is not None
    return sent


async def say(api: FakeBotAPI, text: str, fragment: str) -> Sent:
    """The newcomer sends `text`; returns the bot's answer containing `fragment`."""
    before = len(api.sent_to(NEWCOMER))
    api.push_message(NEWCOMER, text)
    return await reply_containing(api, fragment, after=before)


async def test_join_by_invite_log_twice_and_see_progress(
    api: FakeBotAPI, running_bot: AppContext
) -> None:
    code = await invite_code(running_bot)

    await say(api, f"/start {code}", "第一团支部")
    question = await say(api, "陈小明", "确认无误")
    [confirm, _reenter] = question.button_data()
    before = len(api.sent_to(NEWCOMER))
    api.push_callback(NEWCOMER, confirm, message_id=question.message_id)
    welcome = await reply_containing(api, "欢迎你，陈小明", after=before)
    assert "记录学习" in str(welcome.reply_markup)

    await say(api, "/log 2 学习团章第一章", "学习团章第一章")
    await say(api, "/log 1.5 团史学习", "团史学习")
    progress = await say(api, "/me", "3.5 / 30")
    assert "▓" in (progress.text or "")
