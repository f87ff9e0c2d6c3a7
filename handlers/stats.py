"""/stats, /member, /export and /chart: an organisation's month for secretaries and admins.

Scope is checked on every message and callback: an admin sees their subtree, a secretary
their organisation's subtree, a cadre only their own month.
"""

from __future__ import annotations

import asyncio
from datetime import date, datetime

from aiogram import F, Router
from aiogram.exceptions import TelegramBadRequest
from aiogram.filters import Command, CommandObject
from aiogram.types import (
    BufferedInputFile,
    CallbackQuery,
    InlineKeyboardMarkup,
    InputMediaPhoto,
    Message,
)
from aiogram.utils.i18n import gettext as _
from sqlmodel.ext.asyncio.session import AsyncSession

from bot.clock import Clock, local_today
from bot.config import Settings
from bot.keyboards.menu import MENU_STATS
from bot.keyboards.stats import (
    MemberCb,
    StatsAction,
    StatsCb,
    member_choice_keyboard,
    stats_keyboard,
)
from bot.rules import FIRST_BROWSABLE, Month, StudyPolicy, format_hours
from bot.services import stats as service
from bot.services.charts import ChartLabels, chart_data, render_charts
from bot.services.export import ExportRequest, export_month
from bot.services.orgs import can_manage_member, manageable_org, managed_root
from bot.services.progress import is_on_leave, month_progress
from bot.text import split_for_telegram
from handlers.guards import ensure_member, ensure_role, reject_stale
from storage.models import Member, Organization, Role

# Keeps one /stats message within Telegram's 4096 characters (a button edit shows one).
MAX_CHILD_LINES = 60


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


def _tapped_month(text: str) -> Month | None:
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
            for row in stats.behind
        ]
    lines += ["", service.counting_rule(policy, _)]
    return "\n".join(lines)


async def _org_stats(
    session: AsyncSession,
    org: Organization,
    month: Month,
    settings: Settings,
    policy: StudyPolicy,
    clock: Clock,
) -> service.OrgMonthStats:
    return await service.org_month_stats(
        session,
        org,
        month,
        policy,
        month.utc_bounds(settings.tz),
        clock.now(),
        settings.group_study_half_days,
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


async def stats_command(
    message: Message,
    session: AsyncSession,
    member: Member | None,
    settings: Settings,
    policy: StudyPolicy,
    clock: Clock,
    command: CommandObject | None = None,
) -> None:
    """/stats [YYYY-MM] (and the menu button): the manager's organisation, or one's own month."""
    if not await ensure_member(message, member):
        return
    assert member is not None
    today = local_today(clock, settings.tz)
    try:
        month = parse_month(command.args if command else None, today)
    except MonthError as error:
        await message.answer(str(error))
        return
    root = await managed_root(session, member)
    if root is None:
        await _own_month(message, session, member, month, policy, today)
        return
    stats = await _org_stats(session, root, month, settings, policy, clock)
    await _send_long(message, render_stats(stats, today, policy), _keyboard(stats, root, today))


async def _send_long(message: Message, text: str, markup: InlineKeyboardMarkup | None) -> None:
    chunks = split_for_telegram(text)
    for index, chunk in enumerate(chunks):
        await message.answer(chunk, reply_markup=markup if index == len(chunks) - 1 else None)


async def stats_callback(
    callback: CallbackQuery,
    callback_data: StatsCb,
    session: AsyncSession,
    member: Member | None,
    settings: Settings,
    policy: StudyPolicy,
    clock: Clock,
) -> None:
    """Drill down/up, switch month, or nudge: the org id and month are re-checked."""
    if not await ensure_role(callback, member, Role.SECRETARY, Role.ADMIN):
        return
    org = await manageable_org(session, member, callback_data.org_id)
    root = await managed_root(session, member)
    today = local_today(clock, settings.tz)
    month = _tapped_month(callback_data.month)
    if org is None or root is None or month is None:
        await reject_stale(callback)
        return
    if month > Month.of(today):
        await callback.answer(not_started(month, today), show_alert=True)
        return
    stats = await _org_stats(session, org, month, settings, policy, clock)
    if callback_data.action == StatsAction.NUDGE:
        await _nudge(callback, session, stats, today, clock.now())
        return
    text = split_for_telegram(render_stats(stats, today, policy))[0]
    await callback.answer()
    if isinstance(callback.message, Message):
        try:
            await callback.message.edit_text(text, reply_markup=_keyboard(stats, root, today))
        except TelegramBadRequest as error:  # the same view tapped twice
            if "message is not modified" not in str(error):
                raise


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


async def export_command(
    message: Message,
    session: AsyncSession,
    member: Member | None,
    settings: Settings,
    policy: StudyPolicy,
    clock: Clock,
    locale: str,
    command: CommandObject | None = None,
) -> None:
    """/export [YYYY-MM] [--csv]: the month of the manager's subtree as .xlsx (or CSV zip)."""
    if not await ensure_role(message, member, Role.SECRETARY, Role.ADMIN):
        return
    root = await managed_root(session, member)
    assert root is not None
    words = (command.args or "").split() if command else []
    as_csv = "--csv" in words
    words = [word for word in words if word != "--csv"]
    today = local_today(clock, settings.tz)
    try:
        if len(words) > 1:
            raise MonthError(_("Usage: /export [YYYY-MM] [--csv]"))
        month = parse_month(words[0] if words else None, today)
    except MonthError as error:
        await message.answer(str(error))
        return
    request = ExportRequest(
        org=root,
        month=month,
        policy=policy,
        tz=settings.tz,
        now=clock.now(),
        group_half_days_target=settings.group_study_half_days,
        translate=_,
    )
    result = await export_month(session, request, csv=as_csv, actor=member, via="bot")
    await session.commit()
    extension = "zip" if as_csv else "xlsx"
    filename = f"branchbot-{root.code}-{month.key}.{extension}"
    await message.answer_document(
        BufferedInputFile(result.data, filename=filename),
        caption=_("{org} — {month}: {rows} rows.").format(
            org=root.name, month=month.key, rows=result.rows
        ),
    )


def chart_labels(policy: StudyPolicy) -> ChartLabels:
    return ChartLabels(
        completion_title=_("Completion by organisation — {org} {month}"),
        completion_axis=_("Completion %"),
        hours_title=_("Hours of members — {org} {month}"),
        hours_axis=_("Hours studied"),
        members_axis=_("Number of members"),
        target_line=_("Target {hours} h").format(hours=format_hours(policy.target_minutes)),
        trend_title=_("Last 6 months — {org}"),
        trend_rate=_("Completion %"),
        trend_hours=_("Average hours"),
    )


async def chart_command(
    message: Message,
    session: AsyncSession,
    member: Member | None,
    settings: Settings,
    policy: StudyPolicy,
    clock: Clock,
    command: CommandObject | None = None,
) -> None:
    """/chart [YYYY-MM]: three PNGs of the manager's subtree, sent as one album."""
    if not await ensure_role(message, member, Role.SECRETARY, Role.ADMIN):
        return
    root = await managed_root(session, member)
    assert root is not None
    try:
        month = parse_month(command.args if command else None, local_today(clock, settings.tz))
    except MonthError as error:
        await message.answer(str(error))
        return
    data = await chart_data(session, root, month, policy, settings.tz)
    # Drawing is CPU work (~0.3 s a chart): off the event loop so other chats keep flowing.
    images = await asyncio.to_thread(render_charts, data, chart_labels(policy))
    caption = _("{org} — {month}: completion, hours and trend.").format(
        org=root.name, month=month.key
    )
    await message.answer_media_group(
        [
            InputMediaPhoto(
                media=BufferedInputFile(png, filename=f"chart-{index}.png"),
                caption=caption if index == 0 else None,
            )
            for index, png in enumerate(images)
        ]
    )


async def member_command(
    message: Message,
    session: AsyncSession,
    member: Member | None,
    settings: Settings,
    policy: StudyPolicy,
    clock: Clock,
    command: CommandObject | None = None,
) -> None:
    """/member NAME [YYYY-MM]: one member of the manager's subtree; several matches → buttons."""
    if not await ensure_role(message, member, Role.SECRETARY, Role.ADMIN):
        return
    root = await managed_root(session, member)
    assert root is not None
    words = (command.args or "").split() if command else []
    today = local_today(clock, settings.tz)
    month = Month.of(today)
    if len(words) > 1:
        try:
            month = parse_month(words[-1], today)
            words = words[:-1]
        except MonthError as error:
            await message.answer(str(error))
            return
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
    await _send_member(message, session, found[0][0], month, policy, today)


async def member_callback(
    callback: CallbackQuery,
    callback_data: MemberCb,
    session: AsyncSession,
    member: Member | None,
    settings: Settings,
    policy: StudyPolicy,
    clock: Clock,
) -> None:
    """A tap on one of several matching members: re-checked against the tapper's scope."""
    if not await ensure_role(callback, member, Role.SECRETARY, Role.ADMIN):
        return
    target = await service.get_member(session, callback_data.member_id)
    today = local_today(clock, settings.tz)
    month = _tapped_month(callback_data.month)
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
        await _send_member(callback.message, session, target, month, policy, today)


async def _send_member(
    message: Message,
    session: AsyncSession,
    target: Member,
    month: Month,
    policy: StudyPolicy,
    today: date,
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
    await _send_long(message, "\n".join(lines), None)


def create_router() -> Router:
    router = Router(name="stats")
    private = F.chat.type == "private"
    router.message.register(stats_command, Command("stats"), private)
    router.message.register(stats_command, F.text == MENU_STATS, private)
    router.message.register(export_command, Command("export"), private)
    router.message.register(chart_command, Command("chart"), private)
    router.message.register(member_command, Command("member"), private)
    router.callback_query.register(stats_callback, StatsCb.filter())
    router.callback_query.register(member_callback, MemberCb.filter())
    # Our prefixes but data that does not unpack: forged or from an older version.
    router.callback_query.register(reject_stale, F.data.startswith(("sts:", "stm:")))
    return router
