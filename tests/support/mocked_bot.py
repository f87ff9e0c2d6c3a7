"""A Bot whose session records every Bot API request and answers it plausibly."""

from __future__ import annotations

import itertools
from collections.abc import AsyncGenerator
from datetime import UTC, datetime
from typing import Any

from aiogram import Bot
from aiogram.client.session.base import BaseSession
from aiogram.methods import GetMe, TelegramMethod
from aiogram.types import Chat, Message, User

BOT_USER = User(id=42, is_bot=True, first_name="团支书助手", username="BranchBot")


class RecordingSession(BaseSession):
    """Records requests in order; Message-returning methods get a fresh message id."""

    def __init__(self) -> None:
        super().__init__()
        self.requests: list[TelegramMethod[Any]] = []
        self._message_ids = itertools.count(10_000)

    async def close(self) -> None:
        return None

    async def make_request(
        self, bot: Bot, method: TelegramMethod[Any], timeout: int | None = None
    ) -> Any:
        self.requests.append(method)
        if isinstance(method, GetMe):
            return BOT_USER
        returning = method.__returning__
        if returning is Message:
            return self._message_for(method)
        if "list" in str(returning).lower():
            return []
        return True  # bool, or `Message | bool` of the edit methods

    def _message_for(self, method: TelegramMethod[Any]) -> Message:
        chat_id = int(getattr(method, "chat_id", 0) or 0)
        return Message(
            message_id=next(self._message_ids),
            date=datetime.now(UTC),
            chat=Chat(id=chat_id, type="private" if chat_id > 0 else "group"),
            from_user=BOT_USER,
            text=getattr(method, "text", None),
            caption=getattr(method, "caption", None),
        )

    async def stream_content(self, *args: Any, **kwargs: Any) -> AsyncGenerator[bytes, None]:
        yield b""


def create_mocked_bot() -> tuple[Bot, RecordingSession]:
    session = RecordingSession()
    return Bot("42:TEST-TOKEN", session=session), session
