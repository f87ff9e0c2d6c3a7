"""Composition root: Bot and Dispatcher wired from an AppContext."""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from typing import Any

from aiogram import Bot, Dispatcher, Router
from aiogram.client.session.aiohttp import AiohttpSession
from aiogram.client.session.base import BaseSession
from aiogram.client.telegram import TelegramAPIServer
from aiogram.fsm.storage.base import BaseStorage

from bot.context import AppContext
from bot.middlewares import RequestContextMiddleware
from handlers import create_routers
from handlers.common import on_error
from storage.fsm import SqlStorage

DEMO_TOKEN = "42:DEMO-TOKEN-NOT-FOR-TELEGRAM"


def create_bot(ctx: AppContext, session: BaseSession | None = None) -> Bot:
    """A Bot speaking to `TELEGRAM_API_BASE` (Telegram, a self-hosted server or a fake)."""
    if session is None:
        api = TelegramAPIServer.from_base(ctx.settings.telegram_api_base)
        session = AiohttpSession(api=api)
    token = ctx.settings.bot_token.get_secret_value() if ctx.settings.bot_token else DEMO_TOKEN
    return Bot(token, session=session)


def build_dispatcher(ctx: AppContext, storage: BaseStorage | None = None) -> Dispatcher:
    dp = Dispatcher(storage=storage or SqlStorage(ctx.sessions))
    dp.update.outer_middleware(RequestContextMiddleware(ctx.sessions, ctx.i18n))
    dp["app"] = ctx
    dp["settings"] = ctx.settings
    dp["clock"] = ctx.clock
    dp["policy"] = ctx.policy
    dp["sessions"] = ctx.sessions
    dp.include_routers(*create_routers())
    dp.errors.register(on_error)
    _check_sync_filters_inline(dp)
    return dp


def _check_sync_filters_inline(router: Router) -> None:
    """Runs synchronous filters (every `F…` expression among them) in the event loop.

    aiogram hands each synchronous filter to `asyncio.to_thread`; ours are pure attribute
    checks, for which the thread hop costs far more than the check (a one-shot check-in
    passes five of them). Async filters and handlers are left as they are.
    """
    for observer in router.observers.values():
        for handler in (observer._handler, *observer.handlers):
            for event_filter in handler.filters or ():
                if not event_filter.awaitable:
                    event_filter.callback = _awaitable(event_filter.callback)
                    event_filter.awaitable = True
    for sub_router in router.sub_routers:
        _check_sync_filters_inline(sub_router)


def _awaitable(check: Callable[..., Any]) -> Callable[..., Awaitable[Any]]:
    async def run(*args: Any, **kwargs: Any) -> Any:
        return check(*args, **kwargs)

    return run
