"""Callback data and inline keyboards of the personal study check-in (pure builders)."""

from __future__ import annotations

from collections.abc import Callable, Sequence
from datetime import date, timedelta
from enum import StrEnum

from aiogram.filters.callback_data import CallbackData
from aiogram.types import InlineKeyboardButton, InlineKeyboardMarkup
from aiogram.utils.i18n import gettext as _

from bot.keyboards.buttons import button
from bot.keyboards.ids import RowId
from bot.rules import Month, format_hours

QUICK_MINUTES = (30, 60, 90, 120, 180, 240)
HISTORY_PAGE_SIZE = 10


class DraftAction(StrEnum):
    SAVE = "s"
    DAYS = "d"  # show every editable day
    CANCEL = "c"


class EntryAction(StrEnum):
    UNDO = "u"
    EDIT = "e"
    DELETE = "d"
    DELETE_OK = "y"
    MINUTES = "m"
    CONTENT = "c"
    DAY = "t"
    BACK = "b"


class AmbiguousChoice(StrEnum):
    LOG = "l"
    ASK = "q"


class DurationCb(CallbackData, prefix="ckm"):
    minutes: int


class DraftCb(CallbackData, prefix="ckf"):
    """A button of the draft summary; `token` ties it to one draft."""

    action: DraftAction
    token: str


class DraftDayCb(CallbackData, prefix="ckdd"):
    token: str
    day: int  # date.toordinal(): callback data has no date type


class EntryCb(CallbackData, prefix="cke"):
    action: EntryAction
    log_id: RowId


class EntryDayCb(CallbackData, prefix="cked"):
    log_id: RowId
    day: int  # date.toordinal()


class HistoryCb(CallbackData, prefix="ckh"):
    month: str  # "YYYY-MM"
    page: int


class AmbiguousCb(CallbackData, prefix="ckq"):
    choice: AmbiguousChoice
    token: str


class LogStartCb(CallbackData, prefix="ckl"):
    """Opens the check-in flow from a pushed reminder (works without any state)."""


ALL_CALLBACKS: tuple[type[CallbackData], ...] = (
    DurationCb,
    DraftCb,
    DraftDayCb,
    EntryCb,
    EntryDayCb,
    HistoryCb,
    AmbiguousCb,
    LogStartCb,
)


def is_checkin_data(data: str | None) -> bool:
    """Callback data carrying one of our prefixes (also when it is forged or garbled)."""
    prefix = (data or "").split(":", 1)[0]
    return any(prefix == factory.__prefix__ for factory in ALL_CALLBACKS)


def _rows(buttons: list[InlineKeyboardButton], width: int) -> list[list[InlineKeyboardButton]]:
    return [buttons[i : i + width] for i in range(0, len(buttons), width)]


def short_day(day: date) -> str:
    return _("{m}/{d}").format(m=day.month, d=day.day)


def day_label(day: date, today: date) -> str:
    """Today / Yesterday / 11/18, as on the day buttons."""
    if day == today:
        return _("Today")
    if day == today - timedelta(days=1):
        return _("Yesterday")
    return short_day(day)


def duration_keyboard() -> InlineKeyboardMarkup:
    """The quick durations 0.5 … 4 h."""
    buttons = [
        button(_("{hours} h").format(hours=format_hours(m)), DurationCb(minutes=m))
        for m in QUICK_MINUTES
    ]
    return InlineKeyboardMarkup(inline_keyboard=_rows(buttons, 3))


def draft_keyboard(token: str, day: date, today: date, since: date) -> InlineKeyboardMarkup:
    """Save / the two nearest days / every other editable day / cancel."""
    near = [d for d in (today, today - timedelta(days=1)) if d >= since]
    day_buttons = [
        button(
            ("✓ " if d == day else "") + day_label(d, today),
            DraftDayCb(token=token, day=d.toordinal()),
        )
        for d in near
    ]
    if since < today - timedelta(days=1):
        day_buttons.append(button(_("Earlier day…"), DraftCb(action=DraftAction.DAYS, token=token)))
    return InlineKeyboardMarkup(
        inline_keyboard=[
            [button(_("✅ Save"), DraftCb(action=DraftAction.SAVE, token=token))],
            day_buttons,
            [button(_("Cancel"), DraftCb(action=DraftAction.CANCEL, token=token))],
        ]
    )


def day_picker(
    today: date, since: date, make: Callable[[int], CallbackData]
) -> InlineKeyboardMarkup:
    """Every editable day, newest first (≤ 36 buttons); `make(ordinal)` gives its data."""
    days = [today - timedelta(days=n) for n in range((today - since).days + 1)]
    buttons = [button(day_label(d, today), make(d.toordinal())) for d in days]
    return InlineKeyboardMarkup(inline_keyboard=_rows(buttons, 5))


def saved_keyboard(log_id: int) -> InlineKeyboardMarkup:
    """Under a saved entry: Undo."""
    return InlineKeyboardMarkup(
        inline_keyboard=[[button(_("↩️ Undo"), EntryCb(action=EntryAction.UNDO, log_id=log_id))]]
    )


def log_start_keyboard() -> InlineKeyboardMarkup:
    return InlineKeyboardMarkup(inline_keyboard=[[button(_("📝 Log study now"), LogStartCb())]])


def history_keyboard(
    month: Month,
    page: int,
    pages: int,
    editable: Sequence[tuple[int, int]],
    current: Month,
) -> InlineKeyboardMarkup:
    """Edit/delete per editable entry (its number on the page, its id), then navigation.

    There is no "next month" past the current one: a future month has nothing to show.
    """
    rows = [
        [
            button(_("✏️ {n}").format(n=n), EntryCb(action=EntryAction.EDIT, log_id=log_id)),
            button(_("🗑 {n}").format(n=n), EntryCb(action=EntryAction.DELETE, log_id=log_id)),
        ]
        for n, log_id in editable
    ]
    nav = []
    if page > 0:
        nav.append(button("◀️", HistoryCb(month=month.key, page=page - 1)))
    else:
        nav.append(
            button(
                _("◀️ {month}").format(month=month.prev().key),
                HistoryCb(month=month.prev().key, page=0),
            )
        )
    if page + 1 < pages:
        nav.append(button("▶️", HistoryCb(month=month.key, page=page + 1)))
    elif month < current:
        nav.append(
            button(
                _("{month} ▶️").format(month=month.next().key),
                HistoryCb(month=month.next().key, page=0),
            )
        )
    rows.append(nav)
    return InlineKeyboardMarkup(inline_keyboard=rows)


def entry_keyboard(log_id: int) -> InlineKeyboardMarkup:
    """What to change in an entry."""
    actions = [
        (_("Duration"), EntryAction.MINUTES),
        (_("Content"), EntryAction.CONTENT),
        (_("Date"), EntryAction.DAY),
    ]
    return InlineKeyboardMarkup(
        inline_keyboard=[
            [button(text, EntryCb(action=action, log_id=log_id)) for text, action in actions],
            [button(_("🗑 Delete"), EntryCb(action=EntryAction.DELETE, log_id=log_id))],
        ]
    )


def confirm_delete_keyboard(log_id: int) -> InlineKeyboardMarkup:
    """Delete asks once more."""
    return InlineKeyboardMarkup(
        inline_keyboard=[
            [
                button(_("Yes, delete"), EntryCb(action=EntryAction.DELETE_OK, log_id=log_id)),
                button(_("Keep it"), EntryCb(action=EntryAction.BACK, log_id=log_id)),
            ]
        ]
    )


def ambiguous_keyboard(token: str) -> InlineKeyboardMarkup:
    """ "记为学习" / "这是提问" for a text that may be either."""
    return InlineKeyboardMarkup(
        inline_keyboard=[
            [
                button(_("Log as study"), AmbiguousCb(choice=AmbiguousChoice.LOG, token=token)),
                button(_("It's a question"), AmbiguousCb(choice=AmbiguousChoice.ASK, token=token)),
            ]
        ]
    )
