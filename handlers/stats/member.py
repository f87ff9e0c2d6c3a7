"""/member: one member's month, last six months and entries, for their managers."""

from __future__ import annotations

from aiogram.filters import CommandObject
from aiogram.types import CallbackQuery, Message
from aiogram.utils.i18n import gettext as _
from sqlmodel.ext.asyncio.session import AsyncSession

from bot.context import AppContext
from bot.keyboards.stats import MemberCb, member_choice_keyboard
from bot.rules import Month, StudyPolicy, format_hours
from bot.services import stats as service
from bot.services.orgs import can_manage_member
from handlers.flow import for_managers, reply_long
from handlers.guards import reject_stale
from handlers.stats.common import app_today, asked_month, scope_root, tapped_month
from storage.models import Member


@for_managers
async def member_command(
    message: Message,
    session: AsyncSession,
    member: Member,
    app: AppContext,
    command: CommandObject | None = None,
) -> None:
    """/member NAME [YYYY-MM]: one member of the manager's subtree; several matches → buttons."""
    root = await scope_root(session, member)
    words = (command.args or "").split() if command else []
    today = app_today(app)
    month = Month.of(today)
    if len(words) > 1:
        asked = await asked_month(message, words[-1], today)
        if asked is None:
            return
        month, words = asked, words[:-1]
    query = " ".join(words)[:40]
    if not query:
        await message.answer(_("Usage: /member NAME, e.g. /member 张三"))
        return
    found = await service.find_members(session, root, query)
    if not found:
        await message.answer(_("Nobody called “{name}” in your organisation.").format(name=query))
        return
    if len(found) > 1:
        choices = [(m.id or 0, f"{m.name} · {org.name}") for m, org in found]
        await message.answer(
            _("Several members match “{name}”. Which one?").format(name=query),
            reply_markup=member_choice_keyboard(choices, month),
        )
        return
    await _send_member(message, session, found[0][0], month, app.policy)


@for_managers
async def member_callback(
    callback: CallbackQuery,
    callback_data: MemberCb,
    session: AsyncSession,
    member: Member,
    app: AppContext,
) -> None:
    """A tap on one of several matching members: re-checked against the tapper's scope."""
    target = await service.get_member(session, callback_data.member_id)
    today = app_today(app)
    month = tapped_month(callback_data.month)
    if (
        target is None
        or month is None
        or month > Month.of(today)
        or not await can_manage_member(session, member, target)
    ):
        await reject_stale(callback)
        return
    await callback.answer()
    if isinstance(callback.message, Message):
        await _send_member(callback.message, session, target, month, app.policy)


async def _send_member(
    message: Message, session: AsyncSession, target: Member, month: Month, policy: StudyPolicy
) -> None:
    history = await service.member_history(session, target, month, policy)
    done = history.months[-1][1]
    if history.on_leave:
        status = _("on leave")
    elif done >= policy.target_minutes:
        status = _("reached")
    else:
        status = _("{left} h to go").format(left=format_hours(policy.target_minutes - done))
    lines = [
        _("👤 {name} · {org}").format(name=target.name, org=history.org.name),
        _("{month}: {done} of {target} h ({status})").format(
            month=month.key,
            done=format_hours(done),
            target=format_hours(policy.target_minutes),
            status=status,
        ),
        "",
        _("Last 6 months:"),
        *(f"{m.key}  {format_hours(minutes)} h" for m, minutes in history.months),
        "",
        _("Entries in {month}:").format(month=month.key),
    ]
    lines += [
        f"{entry.study_date:%m-%d}  {format_hours(entry.minutes)} h  {entry.content}"
        for entry in history.entries
    ] or [_("No entries.")]
    await reply_long(message, "\n".join(lines))
