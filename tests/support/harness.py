"""Drive the real Dispatcher with Telegram updates and read back what the bot sent."""

from __future__ import annotations

import itertools
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any

from aiogram import Bot, Dispatcher
from aiogram.filters.callback_data import CallbackData
from aiogram.methods import TelegramMethod
from aiogram.types import (
    CallbackQuery,
    Chat,
    InlineKeyboardMarkup,
    Message,
    MessageEntity,
    PhotoSize,
    Sticker,
    Update,
    User,
    Voice,
)

from tests.support.mocked_bot import BOT_USER, RecordingSession

_update_ids = itertools.count(1)
_message_ids = itertools.count(1)


def tg_user(user_id: int, language_code: str = "zh-hans", first_name: str = "小明") -> User:
    return User(id=user_id, is_bot=False, first_name=first_name, language_code=language_code)


@dataclass
class Harness:
    """`await h.send(user, "/log 2 团章")` returns the requests the bot made for it."""

    dp: Dispatcher
    bot: Bot
    session: RecordingSession
    group_chat_id: int = -100500
    languages: dict[int, str] = field(default_factory=dict)

    def user(self, user_id: int) -> User:
        return tg_user(user_id, self.languages.get(user_id, "zh-hans"))

    async def feed(self, update: Update) -> list[TelegramMethod[Any]]:
        before = len(self.session.requests)
        await self.dp.feed_update(self.bot, update)
        return self.session.requests[before:]

    def message(
        self, user_id: int, text: str | None = None, *, group: bool = False, **fields: Any
    ) -> Message:
        chat = (
            Chat(id=self.group_chat_id, type="supergroup", title="团支部群")
            if group
            else Chat(id=user_id, type="private")
        )
        entities = None
        if text and text.startswith("/"):
            command = text.split()[0]
            entities = [MessageEntity(type="bot_command", offset=0, length=len(command))]
        return Message(
            message_id=next(_message_ids),
            date=datetime.now(UTC),
            chat=chat,
            from_user=self.user(user_id),
            text=text,
            entities=entities,
            **fields,
        )

    async def send(
        self, user_id: int, text: str, *, group: bool = False, **fields: Any
    ) -> list[TelegramMethod[Any]]:
        message = self.message(user_id, text, group=group, **fields)
        return await self.feed(Update(update_id=next(_update_ids), message=message))

    async def send_message(self, message: Message) -> list[TelegramMethod[Any]]:
        """Feed a prepared message (e.g. the same one twice, as a redelivery)."""
        return await self.feed(Update(update_id=next(_update_ids), message=message))

    async def send_sticker(self, user_id: int) -> list[TelegramMethod[Any]]:
        sticker = Sticker(
            file_id="s1",
            file_unique_id="s1",
            type="regular",
            width=512,
            height=512,
            is_animated=False,
            is_video=False,
        )
        message = self.message(user_id, None, sticker=sticker)
        return await self.feed(Update(update_id=next(_update_ids), message=message))

    async def send_photo(self, user_id: int) -> list[TelegramMethod[Any]]:
        photo = [PhotoSize(file_id="p1", file_unique_id="p1", width=90, height=90)]
        message = self.message(user_id, None, photo=photo)
        return await self.feed(Update(update_id=next(_update_ids), message=message))

    async def send_voice(self, user_id: int) -> list[TelegramMethod[Any]]:
        voice = Voice(file_id="v1", file_unique_id="v1", duration=3)
        message = self.message(user_id, None, voice=voice)
        return await self.feed(Update(update_id=next(_update_ids), message=message))

    async def press(
        self,
        user_id: int,
        data: str | CallbackData,
        *,
        message_id: int = 1,
        message_text: str = "…",
    ) -> list[TelegramMethod[Any]]:
        """Tap an inline button; `data` may be anything, including forged strings."""
        raw = data.pack() if isinstance(data, CallbackData) else data
        query = CallbackQuery(
            id=str(next(_update_ids)),
            from_user=self.user(user_id),
            chat_instance="ci",
            data=raw,
            message=Message(
                message_id=message_id,
                date=datetime.now(UTC),
                chat=Chat(id=user_id, type="private"),
                from_user=BOT_USER,
                text=message_text,
            ),
        )
        return await self.feed(Update(update_id=next(_update_ids), callback_query=query))


def texts(requests: list[TelegramMethod[Any]]) -> list[str]:
    """Every text the bot sent, edited, captioned or showed as an alert."""
    found = []
    for request in requests:
        for attribute in ("text", "caption"):
            value = getattr(request, attribute, None)
            if isinstance(value, str):
                found.append(value)
    return found


def joined(requests: list[TelegramMethod[Any]]) -> str:
    return "\n".join(texts(requests))


def buttons(requests: list[TelegramMethod[Any]]) -> list[tuple[str, str]]:
    """(text, callback_data) of every inline button in the requests, in order."""
    found = []
    for request in requests:
        markup = getattr(request, "reply_markup", None)
        if isinstance(markup, InlineKeyboardMarkup):
            for row in markup.inline_keyboard:
                found += [(button.text, button.callback_data or button.url or "") for button in row]
    return found


def button_data(requests: list[TelegramMethod[Any]], label_part: str) -> str:
    """The callback data of the first inline button whose text contains `label_part`."""
    for text, data in buttons(requests):
        if label_part in text:
            return data
    raise AssertionError(f"no button with {label_part!r} in {buttons(requests)}")
