"""/meeting and one meeting's card.

/meeting shows the meetings the user is invited to (with their answer) and, for
secretaries and admins, those hosted in their subtree, a "schedule" button and — from
`meeting_deadline_day` on — the organisations with no meeting this month.
"""

from __future__ import annotations

from aiogram.fsm.context import FSMContext
from aiogram.types import CallbackQuery, Message
from aiogram.utils.i18n import gettext as _
from sqlmodel.ext.asyncio.session import AsyncSession

from bot.clock import Clock, local_today
from bot.config import Settings
from bot.keyboards import meetings as kb
from bot.keyboards.meetings import MtCb
from bot.rules import Month
from bot.services import meetings as service
from bot.services.meetings import MeetingProblem, local_time_text
from bot.services.orgs import manageable_org, managed_root
from handlers.flow import MANAGERS, for_members, reply_long, say
from handlers.meetings.common import answer_label, attempt, details, problem_text
from storage.models import MeetingStatus, Member, Organization


@for_members
async def overview(
    message: Message,
    state: FSMContext,
    session: AsyncSession,
    member: Member,
    clock: Clock,
    settings: Settings,
) -> None:
    """/meeting: my meetings, hosted meetings and the organisations still without one."""
    await state.clear()
    now = clock.now()
    lines = [_("🗣 Exchange meetings")]
    buttons: list[tuple[int, str]] = []
    mine = await service.my_meetings(session, member, now)
    if mine:
        lines.append(_("Invited:"))
    for meeting, reply in mine:
        when = local_time_text(meeting.starts_at, settings.tz)
        label = _("{starts} · your answer: {answer}").format(
            starts=when, answer=answer_label(reply.answer if reply else None)
        )
        lines.append(f"· {label}")
        buttons.append((meeting.id or 0, when))
    is_manager = member.role in MANAGERS
    if is_manager:
        seen = {meeting_id for meeting_id, _label in buttons}
        hosted = [
            (meeting, host)
            for meeting, host in await service.hosted_upcoming(session, member, now)
            if meeting.id not in seen
        ]
        if hosted:
            lines.append(_("Hosted in your organisation:"))
        for meeting, host in hosted:
            when = local_time_text(meeting.starts_at, settings.tz)
            lines.append(f"· {when} · {host} · {meeting.place}")
            buttons.append((meeting.id or 0, f"{when} · {host}"))
    if not buttons:
        lines.append(_("No meetings scheduled."))
    if is_manager:
        lines += await _missing_lines(session, member, clock, settings)
    markup = kb.overview_keyboard(buttons[: kb.MAX_LISTED], is_manager)
    await reply_long(message, "\n".join(lines), markup)


async def _missing_lines(
    session: AsyncSession, member: Member, clock: Clock, settings: Settings
) -> list[str]:
    """From the deadline day on: organisations of the subtree with no meeting this month."""
    today = local_today(clock, settings.tz)
    if today.day < settings.meeting_deadline_day:
        return []
    root = await managed_root(session, member)
    missing = await service.orgs_without_meeting(session, Month.of(today), root, tz=settings.tz)
    if not missing:
        return []
    header = _("⚠️ No meeting scheduled yet this month ({count}):").format(count=len(missing))
    return [header, "、".join(org.name for org in missing)]


@for_members
async def view(
    callback: CallbackQuery,
    callback_data: MtCb,
    session: AsyncSession,
    member: Member,
    clock: Clock,
    settings: Settings,
) -> None:
    """One meeting: details, the member's own answer and 心得, and what they may do."""
    meeting = await attempt(
        callback, service.visible_meeting(session, member, callback_data.meeting_id)
    )
    if meeting is None:
        return
    now = clock.now()
    host_org = await session.get(Organization, meeting.org_id)
    assert host_org is not None
    invited = await service.is_invited(session, member, meeting)
    host = await manageable_org(session, member, meeting.org_id) is not None
    lines = [details(host_org.name, meeting.starts_at, meeting.place, meeting.agenda, settings)]
    if meeting.status == MeetingStatus.CANCELLED:
        lines.append(problem_text(MeetingProblem.CANCELLED))
    if invited:
        reply = await service.my_reply(session, member, meeting.id or 0)
        lines.append(
            _("Your answer: {answer}").format(answer=answer_label(reply.answer if reply else None))
        )
        share = await service.my_share(session, member, meeting.id or 0)
        if share is not None:
            lines.append(_("Your reflections: {text}").format(text=share.text[:200]))
    scheduled = meeting.status == MeetingStatus.SCHEDULED
    markup = kb.meeting_keyboard(
        meeting.id or 0,
        invited=invited,
        open_=scheduled and meeting.starts_at > now,
        checkin=service.checkin_open(meeting, now, settings.meeting_checkin_window_minutes),
        host=host and scheduled,
        started=meeting.starts_at <= now,
    )
    await say(callback, "\n".join(lines), markup)
