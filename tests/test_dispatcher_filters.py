"""Synchronous filters run in the event loop, not in a worker thread."""

from __future__ import annotations

import threading

import pytest
from aiogram import F, Router
from aiogram.types import Message

import bot.app
from bot.app import build_dispatcher
from bot.context import AppContext
from tests.support.factories import CADRE_A1_TG, World
from tests.support.harness import Harness
from tests.support.mocked_bot import create_mocked_bot


def _filter_objects(router: Router) -> list:
    found = []
    for observer in router.observers.values():
        for handler in (observer._handler, *observer.handlers):
            found += list(handler.filters or ())
    for sub_router in router.sub_routers:
        found += _filter_objects(sub_router)
    return found


def test_every_filter_of_the_bot_is_awaited_inline(app: AppContext) -> None:
    dp = build_dispatcher(app)
    assert all(event_filter.awaitable for event_filter in _filter_objects(dp))


async def test_a_filter_is_checked_on_the_event_loop_thread(
    app: AppContext, world: World, monkeypatch: pytest.MonkeyPatch
) -> None:
    seen_threads: list[str] = []

    def record_thread(message: Message) -> bool:
        seen_threads.append(threading.current_thread().name)
        return False

    probe = Router(name="probe")
    probe.message.register(_unreachable, record_thread, F.text)
    real_routers = bot.app.create_routers
    monkeypatch.setattr(bot.app, "create_routers", lambda: [probe, *real_routers()])
    telegram, session = create_mocked_bot()
    harness = Harness(dp=build_dispatcher(app), bot=telegram, session=session)

    await harness.send(CADRE_A1_TG, "/help")

    assert seen_threads == [threading.current_thread().name]


async def _unreachable(message: Message) -> None:
    raise AssertionError("the probe's filter declines every message")
