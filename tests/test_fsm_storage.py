"""Conversation state lives in the database and survives a restart."""

from __future__ import annotations

from aiogram.fsm.storage.base import StorageKey

from bot.context import AppContext
from storage.fsm import SqlStorage

KEY = StorageKey(bot_id=42, chat_id=7, user_id=7)


async def test_state_and_data_survive_a_new_storage_instance(any_app: AppContext) -> None:
    first = SqlStorage(any_app.sessions)
    await first.set_state(KEY, "LogStudy:content")
    await first.set_data(KEY, {"minutes": 90, "draft": "abc"})

    restarted = SqlStorage(any_app.sessions)
    assert await restarted.get_state(KEY) == "LogStudy:content"
    assert await restarted.get_data(KEY) == {"minutes": 90, "draft": "abc"}


async def test_clearing_removes_the_row(any_app: AppContext) -> None:
    storage = SqlStorage(any_app.sessions)
    await storage.set_state(KEY, "LogStudy:content")
    await storage.set_data(KEY, {"minutes": 90})
    await storage.set_state(KEY, None)
    await storage.set_data(KEY, {})

    restarted = SqlStorage(any_app.sessions)
    assert await restarted.get_state(KEY) is None
    assert await restarted.get_data(KEY) == {}


async def test_returned_data_is_a_copy(any_app: AppContext) -> None:
    storage = SqlStorage(any_app.sessions)
    await storage.set_data(KEY, {"minutes": 90})
    data = await storage.get_data(KEY)
    data["minutes"] = 1
    assert await storage.get_data(KEY) == {"minutes": 90}
