"""Shared by the statistics handlers: the month a user names or taps, scope, long replies."""

from __future__ import annotations

from datetime import date

from aiogram.types import Message
from aiogram.utils.i18n import gettext as _
from sqlmodel.ext.asyncio.session import AsyncSession

from bot.clock import local_today
from bot.context import AppContext
from bot.rules import FIRST_BROWSABLE, Month
from bot.services.orgs import managed_root
from storage.models import Member, Organization


class MonthError(ValueError):
    """The user's month could not be used; the message says why (localized)."""


def parse_month(text: str | None, today: date) -> Month:
    """The month named in `text` (this month if empty); never a future month."""
    this_month = Month.of(today)
    if not text:
        return this_month
    try:
        month = Month.parse(text)
    except ValueError:
        raise MonthError(
            _("I could not read the month “{text}”. Write it as YYYY-MM, e.g. {example}.").format(
                text=text[:20], example=this_month.key
            )
        ) from None
    if month > this_month:
        raise MonthError(not_started(month, today))
    if month < FIRST_BROWSABLE:
        raise MonthError(_("Statistics go back to {first}.").format(first=FIRST_BROWSABLE.key))
    return month


async def asked_month(message: Message, text: str | None, today: date) -> Month | None:
    """The month typed after a command, or None after telling the user what is wrong."""
    try:
        return parse_month(text, today)
    except MonthError as error:
        await message.answer(str(error))
        return None


def tapped_month(text: str) -> Month | None:
    """The month in a button's data, None if forged or out of range."""
    try:
        month = Month.parse(text)
    except ValueError:
        return None
    return month if month >= FIRST_BROWSABLE else None


def not_started(month: Month, today: date) -> str:
    return _("{month} has not started yet: statistics go up to {current}.").format(
        month=month.key, current=Month.of(today).key
    )


def app_today(app: AppContext) -> date:
    return local_today(app.clock, app.settings.tz)


async def scope_root(session: AsyncSession, member: Member) -> Organization:
    """The root of a manager's subtree."""
    root = await managed_root(session, member)
    assert root is not None
    return root
