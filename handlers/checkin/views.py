"""The member's own study: /me (this month) and /history (a month's entries)."""

from __future__ import annotations

from datetime import date
from typing import Any

from aiogram.filters import CommandObject
from aiogram.types import CallbackQuery, InlineKeyboardMarkup, Message
from aiogram.utils.i18n import gettext as _
from sqlmodel.ext.asyncio.session import AsyncSession

from bot.keyboards.checkin import HISTORY_PAGE_SIZE, HistoryCb, history_keyboard, short_day
from bot.keyboards.paging import page_of
from bot.rules import FIRST_BROWSABLE, Month, StudyPolicy, format_hours
from bot.services import checkins, progress
from bot.text import TELEGRAM_TEXT_LIMIT
from handlers.checkin.common import progress_text, today_of
from handlers.guards import ensure_member, reject_stale
from storage.models import Member

HISTORY_CONTENT_CHARS = 60


async def show_me(message: Message, member: Member | None, **data: Any) -> None:
    """This month's progress, the branch's group study, and leave."""
    if not await ensure_member(message, member):
        return
    assert member is not None and member.id is not None
    session: AsyncSession = data["session"]
    policy: StudyPolicy = data["policy"]
    today = today_of(data)
    month = Month.of(today)
    p = await progress.month_progress(session, member, policy, today, month)
    half_days = await progress.org_group_half_days(session, member.org_id, month)
    lines = [
        _("📊 {name}, your study in {month}").format(name=member.name, month=month.key),
        progress_text(p),
        _("Your branch's group study this month: {done}/{target} half-days").format(
            done=f"{half_days:g}", target=policy.group_half_days
        ),
    ]
    if await progress.is_on_leave(session, member.id, month):
        lines.append(_("You are on leave this month: the targets do not apply to you."))
    await message.answer("\n\n".join(lines))


def _browsable_month(text: str) -> Month | None:
    """The month `YYYY-MM` names, if /history may show it."""
    try:
        month = Month.parse(text)
    except ValueError:
        return None
    return None if month < FIRST_BROWSABLE else month


async def history_command(
    message: Message, command: CommandObject, member: Member | None, **data: Any
) -> None:
    """`/history [YYYY-MM]`: the month's entries with edit and delete buttons."""
    if not await ensure_member(message, member):
        return
    today = today_of(data)
    month = _browsable_month(command.args) if command.args else Month.of(today)
    if month is None:
        await message.answer(_("Give the month as YYYY-MM, e.g. /history 2026-10."))
        return
    await _send_history(message, member, month, today, data)


async def menu_history(message: Message, member: Member | None, **data: Any) -> None:
    """The 📜 menu button: this month's entries."""
    if not await ensure_member(message, member):
        return
    today = today_of(data)
    await _send_history(message, member, Month.of(today), today, data)


async def history_page(
    callback: CallbackQuery, callback_data: HistoryCb, member: Member | None, **data: Any
) -> None:
    """Another page or month of /history."""
    if not await ensure_member(callback, member):
        return
    month = _browsable_month(callback_data.month)
    if month is None or not isinstance(callback.message, Message):
        await reject_stale(callback)
        return
    text, markup = await _history(member, month, callback_data.page, today_of(data), data)
    await callback.answer()
    await callback.message.edit_text(text, reply_markup=markup)


async def _send_history(
    message: Message, member: Member | None, month: Month, today: date, data: dict[str, Any]
) -> None:
    """The first page of the month's entries, as a new message."""
    text, markup = await _history(member, month, 0, today, data)
    await message.answer(text, reply_markup=markup)


async def _history(
    member: Member | None, month: Month, page: int, today: date, data: dict[str, Any]
) -> tuple[str, InlineKeyboardMarkup]:
    """The month's entries (a page of them) and their edit/delete buttons."""
    assert member is not None and member.id is not None
    policy: StudyPolicy = data["policy"]
    logs = await checkins.month_logs(data["session"], member.id, month)
    shown, page, pages = page_of(logs, page, HISTORY_PAGE_SIZE)
    total = sum(log.minutes for log in logs)
    lines = [
        _("📜 Your entries in {month}: {hours} h in total").format(
            month=month.key, hours=format_hours(total)
        )
    ]
    if not logs:
        lines.append(_("No entries in this month."))
    editable: list[tuple[int, int]] = []
    for n, log in enumerate(shown, start=page * HISTORY_PAGE_SIZE + 1):
        content = log.content
        if len(content) > HISTORY_CONTENT_CHARS:
            content = content[: HISTORY_CONTENT_CHARS - 1] + "…"
        locked = not policy.is_editable(log.study_date, today)
        lines.append(
            _("{n}. {day} · {hours} h · {content}").format(
                n=n, day=short_day(log.study_date), hours=format_hours(log.minutes), content=content
            )
            + (" 🔒" if locked else "")
        )
        if not locked:
            editable.append((n, log.id or 0))
    if pages > 1:
        lines.append(_("Page {page} of {pages}").format(page=page + 1, pages=pages))
    if len(editable) < len(shown):
        lines.append(
            _("🔒 Entries before {day} are locked.").format(
                day=short_day(policy.editable_since(today))
            )
        )
    markup = history_keyboard(month, page, pages, editable, current=Month.of(today))
    return "\n".join(lines)[:TELEGRAM_TEXT_LIMIT], markup
