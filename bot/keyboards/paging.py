"""Paging of long lists in inline keyboards (pure builders)."""

from __future__ import annotations

from collections.abc import Callable, Sequence
from typing import TypeVar

from aiogram.filters.callback_data import CallbackData
from aiogram.types import InlineKeyboardButton
from aiogram.utils.i18n import gettext as _

from bot.keyboards.buttons import button

PAGE_SIZE = 8
T = TypeVar("T")


def page_count(total: int, size: int = PAGE_SIZE) -> int:
    """How many pages `total` items fill (at least one)."""
    return max(1, -(-total // size))


def page_of(items: Sequence[T], page: int, size: int = PAGE_SIZE) -> tuple[Sequence[T], int, int]:
    """The items of `page` (clamped), the page and the number of pages."""
    pages = page_count(len(items), size)
    page = min(max(page, 0), pages - 1)
    return items[page * size : (page + 1) * size], page, pages


def pager_row(
    page: int, pages: int, data_for: Callable[[int], CallbackData], *, counter: bool = True
) -> list[InlineKeyboardButton]:
    """The buttons to the neighbouring pages; `data_for(n)` is the data of page n.

    With `counter`: ◀ n/m ▶ (the middle button shows the page again); without it:
    "◀ Previous" and "Next ▶". Empty when there is one page.
    """
    if pages <= 1:
        return []
    back, forward = ("◀", "▶") if counter else (_("◀ Previous"), _("Next ▶"))
    row = []
    if page > 0:
        row.append(button(back, data_for(page - 1)))
    if counter:
        row.append(button(f"{page + 1}/{pages}", data_for(page)))
    if page < pages - 1:
        row.append(button(forward, data_for(page + 1)))
    return row
