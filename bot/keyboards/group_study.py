"""Callback data and keyboards of the group-study flow (pure builders)."""

from __future__ import annotations

from collections.abc import Collection, Sequence
from enum import StrEnum

from aiogram.filters.callback_data import CallbackData
from aiogram.types import InlineKeyboardButton, InlineKeyboardMarkup
from aiogram.utils.i18n import gettext as _

from bot.keyboards.ids import RowId
from bot.keyboards.paging import page_of, pager_row
from storage.models import GroupStudy, Member, Organization


class GsAction(StrEnum):
    NEW = "n"  # id = org
    ORGS = "o"  # page = picker page
    STATUS = "s"  # id = org
    TODAY = "d0"
    YESTERDAY = "d1"
    HALF_DAY = "h1"
    FULL_DAY = "h2"
    NO_SUMMARY = "ns"
    TOGGLE = "t"  # id = member, page = attendee page
    ALL = "a"
    NONE = "z"
    PAGE = "p"
    DONE = "ok"
    SAVE = "sv"
    VIEW = "v"  # id = group study
    EDIT_TOPIC = "et"
    EDIT_ATTENDEES = "ea"
    EDIT_LENGTH = "el"
    DELETE = "x"
    DELETE_CONFIRM = "xx"


class GsCb(CallbackData, prefix="gs"):
    action: GsAction
    id: RowId = 0
    page: int = 0


def _button(text: str, action: GsAction, id: int = 0, page: int = 0) -> InlineKeyboardButton:
    return InlineKeyboardButton(
        text=text, callback_data=GsCb(action=action, id=id, page=page).pack()
    )


def status_keyboard(
    org: Organization, editable: Sequence[GroupStudy], can_pick_org: bool
) -> InlineKeyboardMarkup:
    assert org.id is not None
    rows = [[_button(_("➕ Record group study"), GsAction.NEW, org.id)]]
    rows += [
        [_button(f"✏️ {study.study_date:%m-%d} {study.topic[:20]}", GsAction.VIEW, study.id or 0)]
        for study in editable
    ]
    if can_pick_org:
        rows.append([_button(_("🏢 Another organisation"), GsAction.ORGS)])
    return InlineKeyboardMarkup(inline_keyboard=rows)


def org_picker(orgs: Sequence[Organization], page: int) -> InlineKeyboardMarkup:
    shown, page, pages = page_of(orgs, page)
    rows = [[_button(org.name, GsAction.STATUS, org.id or 0)] for org in shown]
    rows.append(pager_row(page, pages, lambda n: GsCb(action=GsAction.ORGS, page=n)))
    return InlineKeyboardMarkup(inline_keyboard=[row for row in rows if row])


def day_keyboard() -> InlineKeyboardMarkup:
    return InlineKeyboardMarkup(
        inline_keyboard=[
            [_button(_("Today"), GsAction.TODAY), _button(_("Yesterday"), GsAction.YESTERDAY)]
        ]
    )


def length_keyboard() -> InlineKeyboardMarkup:
    return InlineKeyboardMarkup(
        inline_keyboard=[
            [
                _button(_("Half day"), GsAction.HALF_DAY),
                _button(_("Full day"), GsAction.FULL_DAY),
            ]
        ]
    )


def summary_keyboard() -> InlineKeyboardMarkup:
    return InlineKeyboardMarkup(inline_keyboard=[[_button(_("Skip"), GsAction.NO_SUMMARY)]])


def attendee_keyboard(
    members: Sequence[Member], selected: Collection[int], page: int
) -> InlineKeyboardMarkup:
    """Toggle buttons (paged) with "everyone", "none" and "done"."""
    shown, page, pages = page_of(members, page)
    rows = [
        [
            _button(
                f"{'✅' if member.id in selected else '⬜'} {member.name}",
                GsAction.TOGGLE,
                member.id or 0,
                page,
            )
        ]
        for member in shown
    ]
    rows.append(pager_row(page, pages, lambda n: GsCb(action=GsAction.PAGE, page=n)))
    rows.append(
        [
            _button(_("Everyone"), GsAction.ALL, page=page),
            _button(_("None"), GsAction.NONE, page=page),
        ]
    )
    rows.append([_button(_("Done ({count})").format(count=len(selected)), GsAction.DONE)])
    return InlineKeyboardMarkup(inline_keyboard=[row for row in rows if row])


def save_keyboard() -> InlineKeyboardMarkup:
    return InlineKeyboardMarkup(inline_keyboard=[[_button(_("💾 Save"), GsAction.SAVE)]])


def study_keyboard(study_id: int) -> InlineKeyboardMarkup:
    return InlineKeyboardMarkup(
        inline_keyboard=[
            [_button(_("Edit topic and summary"), GsAction.EDIT_TOPIC, study_id)],
            [_button(_("Edit attendees"), GsAction.EDIT_ATTENDEES, study_id)],
            [_button(_("Edit length"), GsAction.EDIT_LENGTH, study_id)],
            [_button(_("🗑 Delete"), GsAction.DELETE, study_id)],
        ]
    )


def delete_keyboard(study_id: int) -> InlineKeyboardMarkup:
    return InlineKeyboardMarkup(
        inline_keyboard=[[_button(_("Yes, delete"), GsAction.DELETE_CONFIRM, study_id)]]
    )
