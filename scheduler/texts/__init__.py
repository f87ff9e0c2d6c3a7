"""Renderers of outbox messages, by text key, one module per feature.

A renderer is called inside the recipient's locale (see `bot.i18n.i18n_context`) with the
row's `args`, and returns the text and optional inline keyboard to send.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from aiogram.types import InlineKeyboardMarkup


@dataclass(frozen=True)
class Rendered:
    text: str
    reply_markup: InlineKeyboardMarkup | None = None


Renderer = Callable[[dict[str, Any]], Rendered]


def all_renderers() -> dict[str, Renderer]:
    from scheduler.texts import meetings, reminders, stats

    return {**reminders.RENDERERS, **meetings.RENDERERS, **stats.RENDERERS}
