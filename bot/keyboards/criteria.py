"""Callback data and inline keyboards of the criteria menu and answers (pure builders)."""

from __future__ import annotations

from enum import StrEnum

from aiogram.filters.callback_data import CallbackData
from aiogram.types import InlineKeyboardButton, InlineKeyboardMarkup

MAX_LABEL = 48  # long titles make buttons unreadable on a phone


class KbAction(StrEnum):
    MENU = "m"
    ENTRY = "e"


class CriteriaCb(CallbackData, prefix="kb"):
    action: KbAction
    key: str  # a menu node or entry id (validated ids are ≤ 40 characters)


def _label(text: str) -> str:
    return text if len(text) <= MAX_LABEL else text[: MAX_LABEL - 1] + "…"


def _button(text: str, action: KbAction, key: str) -> InlineKeyboardButton:
    return InlineKeyboardButton(
        text=_label(text), callback_data=CriteriaCb(action=action, key=key).pack()
    )


def menu_keyboard(
    items: list[tuple[KbAction, str, str]], back: tuple[str, str] | None
) -> InlineKeyboardMarkup:
    """One row per item (action, key, label); `back` is (menu key, label)."""
    rows = [[_button(label, action, key)] for action, key, label in items]
    if back is not None:
        rows.append([_button(back[1], KbAction.MENU, back[0])])
    return InlineKeyboardMarkup(inline_keyboard=rows)


def entry_keyboard(related: list[tuple[str, str]], menu: tuple[str, str]) -> InlineKeyboardMarkup:
    """Related entries (id, title), one per row, then the way back to the menu."""
    rows = [[_button("➡️ " + title, KbAction.ENTRY, key)] for key, title in related]
    rows.append([_button(menu[1], KbAction.MENU, menu[0])])
    return InlineKeyboardMarkup(inline_keyboard=rows)
