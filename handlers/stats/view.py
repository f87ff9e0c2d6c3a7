"""/stats: an organisation's month, drilling down and up, other months, nudging the behind.

A cadre's /stats shows their own month instead.
"""

from __future__ import annotations

from datetime import date, datetime

from aiogram.filters import CommandObject
from aiogram.types import CallbackQuery, InlineKeyboardMarkup, Message
from aiogram.utils.i18n import gettext as _
from sqlmodel.ext.asyncio.session import AsyncSession

from bot.context import AppContext
from bot.keyboards.stats import StatsAction, StatsCb, stats_keyboard
from bot.rules import Month, StudyPolicy, format_hours
from bot.services import stats as service
from bot.services.orgs import manageable_org, managed_root
from bot.services.progress import is_on_leave, month_progress
from bot.text import split_for_telegram
from handlers.flow import for_managers, for_members, reply_long, show_in_place
from handlers.guards import reject_stale
from handlers.stats.common import app_today, asked_month, not_started, tapped_month
from storage.models import Member, Organization

# Keeps one /stats message within Telegram's 4096 characters (a button edit shows one).
MAX_CHILD_LINES = 60


def percent(value: float) -> str:
    return f"{value:.0%}"


def render_stats(stats: service.OrgMonthStats, today: date, policy: StudyPolicy) -> str:
    total, target = stats.total, stats.target_minutes
    lines = [_("📈 {org} — {month}").format(org=stats.org.name, month=stats.month.key)]
    if not total.tracked:
        lines.append(_("Nobody is tracked here for this month."))
    else:
        lines += [
            _("Members tracked: {count}").format(count=total.tracked),
            _("Reached {hours} h: {count} ({rate})").format(
                hours=format_hours(target), count=total.reached, rate=percent(total.completion)
            ),
            _("Average {average} h, median {median} h").format(
                average=format_hours(round(total.average_minutes)),
                median=format_hours(round(total.median_minutes)),
            ),
        ]
    lines.append(_("On leave: {count}").format(count=total.on_leave))
    lines.append(
        _("Group study: {done} of {target} half-days").format(
            done=f"{stats.group_half_days:g}", target=stats.group_half_days_target
        )
    )
    if stats.meeting.held:
        lines.append(
            _("Exchange meeting: held, {attended} of {tracked} attended").format(
                attended=stats.meeting.attended, tracked=total.tracked
            )
        )
    elif stats.month == Month.of(today):
        lines.append(_("Exchange meeting: not held yet"))
    else:
        lines.append(_("Exchange meeting: not held"))
    if stats.children:
        lines += ["", _("Organisations by completion:")]
        lines += [
            f"{rank}. {kid.name} {percent(kid.completion)} ({kid.reached}/{kid.tracked})"
            for rank, kid in enumerate(stats.children[:MAX_CHILD_LINES], start=1)
        ]
        if len(stats.children) > MAX_CHILD_LINES:
            hidden = len(stats.children) - MAX_CHILD_LINES
            lines.append(_("… and {count} more (see /export)").format(count=hidden))
    if stats.behind:
        lines += ["", _("Furthest behind:")]
        lines += [
            _("· {name}: {hours} h").format(name=row.name, hours=format_hours(row.minutes))
            for row in stats.behind[: service.BEHIND_SHOWN]
        ]
        if len(stats.behind) > service.BEHIND_SHOWN:
            hidden = len(stats.behind) - service.BEHIND_SHOWN
            lines.append(_("… and {count} more behind (see /export)").format(count=hidden))
    lines += ["", service.counting_rule(policy, _)]
    return "\n".join(lines)


async def _org_stats(
    session: AsyncSession, org: Organization, month: Month, app: AppContext
) -> service.OrgMonthStats:
    return await service.org_month_stats(
        session,
        org,
        month,
        app.policy,
        month.utc_bounds(app.settings.tz),
        app.clock.now(),
        app.settings.group_study_half_days,
    )


def _keyboard(
    stats: service.OrgMonthStats, scope_root: Organization, today: date
) -> InlineKeyboardMarkup:
    parent = None
    if stats.org.id != scope_root.id and stats.org.parent_id is not None:
        parent = (stats.org.parent_id, stats.parent_name or "")
    return stats_keyboard(
        org_id=stats.org.id or 0,
        month=stats.month,
        parent=parent,
        kids=[(kid.org_id, kid.name, kid.completion) for kid in stats.children],
        can_go_next=stats.month < Month.of(today),
        nudge_count=len(stats.behind) if stats.month == Month.of(today) else 0,
    )


async def _own_month(
    message: Message,
    session: AsyncSession,
    member: Member,
    month: Month,
    policy: StudyPolicy,
    today: date,
) -> None:
    """A cadre's /stats: their own month, as in /me."""
    progress = await month_progress(session, member, policy, today, month)
    lines = [
        _("Your study in {month}: {done} of {target} h.").format(
            month=month.key,
            done=format_hours(progress.done_minutes),
            target=format_hours(progress.target_minutes),
        )
    ]
    if await is_on_leave(session, member.id or 0, month):
        lines.append(_("You are on leave this month."))
    elif progress.reached:
        lines.append(_("Target reached. Well done!"))
    else:
        lines.append(_("{left} h to go.").format(left=format_hours(progress.left_minutes)))
    lines.append(_("Statistics of organisations are for branch secretaries and admins."))
    await message.answer("\n".join(lines))


@for_members
async def stats_command(
    message: Message,
    session: AsyncSession,
    member: Member,
    app: AppContext,
    command: CommandObject | None = None,
) -> None:
    """/stats [YYYY-MM] (and the menu button): the manager's organisation, or one's own month."""
    today = app_today(app)
    month = await asked_month(message, command.args if command else None, today)
    if month is None:
        return
    root = await managed_root(session, member)
    if root is None:
        await _own_month(message, session, member, month, app.policy, today)
        return
    stats = await _org_stats(session, root, month, app)
    text = render_stats(stats, today, app.policy)
    await reply_long(message, text, _keyboard(stats, root, today))


@for_managers
async def stats_callback(
    callback: CallbackQuery,
    callback_data: StatsCb,
    session: AsyncSession,
    member: Member,
    app: AppContext,
) -> None:
    """Drill down/up, switch month, or nudge: the org id and month are re-checked."""
    org = await manageable_org(session, member, callback_data.org_id)
    root = await managed_root(session, member)
    today = app_today(app)
    month = tapped_month(callback_data.month)
    if org is None or root is None or month is None:
        await reject_stale(callback)
        return
    if month > Month.of(today):
        await callback.answer(not_started(month, today), show_alert=True)
        return
    stats = await _org_stats(session, org, month, app)
    if callback_data.action == StatsAction.NUDGE:
        await _nudge(callback, session, stats, today, app.clock.now())
        return
    text = split_for_telegram(render_stats(stats, today, app.policy))[0]
    await callback.answer()
    if isinstance(callback.message, Message):
        await show_in_place(callback, text, _keyboard(stats, root, today))


async def _nudge(
    callback: CallbackQuery,
    session: AsyncSession,
    stats: service.OrgMonthStats,
    today: date,
    now: datetime,
) -> None:
    if stats.month != Month.of(today) or not stats.behind:
        await callback.answer(_("Nobody to remind for this month."), show_alert=True)
        return
    queued = await service.nudge_behind(session, stats, today, now)
    await session.commit()
    already = len(stats.behind) - queued
    text = _("Reminders queued: {queued}.").format(queued=queued)
    if already:
        text += " " + _("{count} were already reminded today.").format(count=already)
    await callback.answer(text, show_alert=True)
