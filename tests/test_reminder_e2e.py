"""The running bot: the leader starts with polling, catches up and delivers reminders."""

from __future__ import annotations

import asyncio
from collections import Counter
from datetime import datetime
from pathlib import Path

from bot.app import build_dispatcher, create_bot
from bot.clock import FixedClock
from bot.config import Settings
from bot.context import AppContext
from tests.conftest import SHANGHAI
from tests.support.db import create_schema
from tests.support.factories import build_world
from tests.support.fake_bot_api import FakeBotAPI, Limits


async def test_started_bot_catches_up_the_month_start_and_sends_it_once_each(
    tmp_path: Path,
) -> None:
    clock = FixedClock(datetime(2026, 12, 1, 9, 5, tzinfo=SHANGHAI))
    async with FakeBotAPI(limits=Limits()) as server:
        settings = Settings(
            database_url=f"sqlite+aiosqlite:///{tmp_path / 'e2e.db'}",
            telegram_api_base=server.base_url,
            bot_token="123:ABC",
            _env_file=None,
        )
        app = AppContext.build(settings, clock=clock)
        await create_schema(app.engine)
        world = await build_world(app.sessions)
        bot = create_bot(app)
        dp = build_dispatcher(app)
        polling = asyncio.create_task(dp.start_polling(bot, handle_signals=False))
        try:
            await server.wait_for(lambda: len(server.sent) >= 6, within=15)
        finally:
            await dp.stop_polling()
            await polling
            await bot.session.close()
            await app.close()

    counts = Counter(sent.chat_id for sent in server.sent)
    assert set(counts.values()) == {1}
    assert world.cadre_a1.telegram_id in counts
    assert "开始了" in server.texts_to(world.cadre_a1.telegram_id)[0]
