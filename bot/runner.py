"""Long polling: migrate, build, poll until stopped."""

from __future__ import annotations

import gc

from bot.app import build_dispatcher, create_bot
from bot.commands import publish_commands
from bot.config import Settings
from bot.context import AppContext
from storage.migrate import upgrade_async


async def run_polling(settings: Settings) -> None:
    """Feature routers start their background services on the Dispatcher's startup event."""
    await upgrade_async(settings.database_url)
    ctx = AppContext.build(settings)
    bot = create_bot(ctx)
    dp = build_dispatcher(ctx)
    # Everything imported so far lives as long as the process: keeping it out of the
    # collector's generations spares request handlers full collections of a big heap.
    gc.freeze()
    try:
        await publish_commands(bot, ctx.i18n)
        await dp.start_polling(bot, handle_signals=True)
    finally:
        await dp.storage.close()
        await bot.session.close()
        await ctx.close()
