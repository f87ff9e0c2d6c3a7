"""The fake Bot API server enforces Telegram's limits and serves the real bot."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator

import pytest
from aiogram.exceptions import TelegramForbiddenError, TelegramRetryAfter

from bot.app import build_dispatcher, create_bot
from bot.config import Settings
from bot.context import AppContext
from tests.support.db import create_schema
from tests.support.fake_bot_api import FakeBotAPI, Limits


class ManualClock:
    def __init__(self) -> None:
        self.now = 1000.0

    def __call__(self) -> float:
        return self.now


@pytest.fixture
async def limited() -> AsyncIterator[tuple[FakeBotAPI, ManualClock]]:
    clock = ManualClock()
    async with FakeBotAPI(limits=Limits(), clock=clock) as server:
        yield server, clock


async def _bot_app(server: FakeBotAPI, sqlite_url: str) -> AppContext:
    settings = Settings(
        database_url=sqlite_url,
        telegram_api_base=server.base_url,
        bot_token="123:ABC",
        _env_file=None,
    )
    ctx = AppContext.build(settings)
    await create_schema(ctx.engine)
    return ctx


async def test_thirty_first_message_in_one_second_gets_429_with_retry_after(
    limited: tuple[FakeBotAPI, ManualClock], sqlite_url: str
) -> None:
    server, _ = limited
    ctx = await _bot_app(server, sqlite_url)
    bot = create_bot(ctx)
    try:
        for chat_id in range(1, 31):
            await bot.send_message(chat_id, "hi")
        with pytest.raises(TelegramRetryAfter) as raised:
            await bot.send_message(31, "hi")
    finally:
        await bot.session.close()
        await ctx.close()
    assert raised.value.retry_after == 1
    assert len(server.sent) == 30


async def test_second_message_to_one_chat_within_a_second_gets_429(
    limited: tuple[FakeBotAPI, ManualClock], sqlite_url: str
) -> None:
    server, clock = limited
    ctx = await _bot_app(server, sqlite_url)
    bot = create_bot(ctx)
    try:
        await bot.send_message(5, "one")
        with pytest.raises(TelegramRetryAfter):
            await bot.send_message(5, "two")
        clock.now += 1.0
        await bot.send_message(5, "two")
    finally:
        await bot.session.close()
        await ctx.close()
    assert server.texts_to(5) == ["one", "two"]


async def test_blocked_chat_gets_403(sqlite_url: str) -> None:
    async with FakeBotAPI(blocked={9}) as server:
        ctx = await _bot_app(server, sqlite_url)
        bot = create_bot(ctx)
        try:
            with pytest.raises(TelegramForbiddenError):
                await bot.send_message(9, "hi")
        finally:
            await bot.session.close()
            await ctx.close()
    assert server.rejected_403 == 1


async def test_real_bot_polls_the_server_and_answers_help(sqlite_url: str) -> None:
    async with FakeBotAPI() as server:
        ctx = await _bot_app(server, sqlite_url)
        bot = create_bot(ctx)
        dp = build_dispatcher(ctx)
        polling = asyncio.create_task(dp.start_polling(bot, handle_signals=False))
        try:
            server.push_message(555, "/help")
            await server.wait_for(lambda: bool(server.texts_to(555)))
        finally:
            await dp.stop_polling()
            await polling
            await bot.session.close()
            await ctx.close()
    assert "团支部书记" in server.texts_to(555)[0]
