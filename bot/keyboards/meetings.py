"""Callback data and keyboards of the exchange-meeting flow (pure builders)."""

from __future__ import annotations

from collections.abc import Collection, Sequence
from enum import StrEnum

from aiogram.filters.callback_data import CallbackData
from aiogram.types import InlineKeyboardButton, InlineKeyboardMarkup
from aiogram.utils.i18n import gettext as _

from bot.keyboards.ids import RowId
from bot.keyboards.paging import page_of, pager_row
from storage.models import Member, Organization

# Meetings with a button in /meeting (Telegram allows 100 buttons; a phone shows far fewer).
MAX_LISTED = 30


class MtAction(StrEnum):
    VIEW = "v"
    ATTEND = "a"
    LEAVE = "l"
    UNDECIDED = "u"
    SHARE = "s"
    CHECK_IN = "c"
    DIGEST = "d"
    SHEET = "t"  # attendance sheet, page
    MARK = "m"  # member_id, page
    MOVE = "mv"
    EDIT = "e"
    CANCEL = "x"
    CANCEL_CONFIRM = "xx"
    NEW = "n"  # org_id in meeting_id's place is never used: see HostCb
    HOSTS = "h"  # page of the host picker
    SAVE = "sv"


class MtCb(CallbackData, prefix="mt"):
    action: MtAction
    meeting_id: RowId = 0
    member_id: RowId = 0
    page: int = 0


class HostCb(CallbackData, prefix="mh"):
    """A host organisation picked for a new meeting."""

    org_id: RowId


def _button(
    text: str, action: MtAction, meeting_id: int = 0, **fields: int
) -> InlineKeyboardButton:
    data = MtCb(action=action, meeting_id=meeting_id, **fields).pack()
    return InlineKeyboardButton(text=text, callback_data=data)


def reply_buttons(meeting_id: int) -> list[list[InlineKeyboardButton]]:
    return [
        [
            _button(_("✅ Attend"), MtAction.ATTEND, meeting_id),
            _button(_("🙏 Ask for leave"), MtAction.LEAVE, meeting_id),
            _button(_("🤔 Undecided"), MtAction.UNDECIDED, meeting_id),
        ],
        [_button(_("✍️ Submit my reflections"), MtAction.SHARE, meeting_id)],
    ]


def announce_keyboard(meeting_id: int) -> InlineKeyboardMarkup:
    return InlineKeyboardMarkup(inline_keyboard=reply_buttons(meeting_id))


def meeting_keyboard(
    meeting_id: int, *, invited: bool, open_: bool, checkin: bool, host: bool, started: bool
) -> InlineKeyboardMarkup | None:
    """What a user may do with one meeting, by their relation to it and its time."""
    rows: list[list[InlineKeyboardButton]] = []
    if invited and open_:
        rows += reply_buttons(meeting_id)
    if invited and checkin:
        rows.append([_button(_("📍 Check in"), MtAction.CHECK_IN, meeting_id)])
    if host:
        rows.append([_button(_("📋 Digest"), MtAction.DIGEST, meeting_id)])
        if started:
            rows.append([_button(_("☑️ Mark attendance"), MtAction.SHEET, meeting_id)])
        else:
            rows.append(
                [
                    _button(_("🕒 Move"), MtAction.MOVE, meeting_id),
                    _button(_("✏️ Edit"), MtAction.EDIT, meeting_id),
                    _button(_("✖️ Cancel meeting"), MtAction.CANCEL, meeting_id),
                ]
            )
    return InlineKeyboardMarkup(inline_keyboard=rows) if rows else None


def overview_keyboard(
    meetings: Sequence[tuple[int, str]], can_schedule: bool
) -> InlineKeyboardMarkup:
    """One button per (meeting id, label), and "schedule" for hosts."""
    rows = [[_button(label, MtAction.VIEW, meeting_id)] for meeting_id, label in meetings]
    if can_schedule:
        rows.append([_button(_("➕ Schedule a meeting"), MtAction.NEW)])
    return InlineKeyboardMarkup(inline_keyboard=rows)


def host_picker(orgs: Sequence[Organization], page: int) -> InlineKeyboardMarkup:
    shown, page, pages = page_of(orgs, page)
    rows = [
        [InlineKeyboardButton(text=org.name, callback_data=HostCb(org_id=org.id or 0).pack())]
        for org in shown
    ]
    rows.append(pager_row(page, pages, lambda n: MtCb(action=MtAction.HOSTS, page=n)))
    return InlineKeyboardMarkup(inline_keyboard=[row for row in rows if row])


def save_keyboard() -> InlineKeyboardMarkup:
    return InlineKeyboardMarkup(
        inline_keyboard=[[_button(_("📣 Schedule and announce"), MtAction.SAVE)]]
    )


def cancel_keyboard(meeting_id: int) -> InlineKeyboardMarkup:
    return InlineKeyboardMarkup(
        inline_keyboard=[[_button(_("Yes, cancel it"), MtAction.CANCEL_CONFIRM, meeting_id)]]
    )


def attendance_keyboard(
    meeting_id: int, people: Sequence[Member], present: Collection[int], page: int
) -> InlineKeyboardMarkup:
    shown, page, pages = page_of(people, page)
    rows = [
        [
            _button(
                f"{'✅' if person.id in present else '⬜'} {person.name}",
                MtAction.MARK,
                meeting_id,
                member_id=person.id or 0,
                page=page,
            )
        ]
        for person in shown
    ]
    rows.append(
        pager_row(page, pages, lambda n: MtCb(action=MtAction.SHEET, meeting_id=meeting_id, page=n))
    )
    return InlineKeyboardMarkup(inline_keyboard=[row for row in rows if row])
