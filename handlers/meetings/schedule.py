"""Scheduling a new meeting: host organisation, start, place, agenda, announcement."""

from __future__ import annotations

import secrets
from collections.abc import Callable
from datetime import datetime

from aiogram.fsm.context import FSMContext
from aiogram.types import CallbackQuery, Message
from aiogram.utils.i18n import gettext as _
from sqlmodel.ext.asyncio.session import AsyncSession

from bot.clock import Clock
from bot.config import Settings
from bot.context import AppContext
from bot.keyboards import meetings as kb
from bot.keyboards.meetings import HostCb, MtCb
from bot.services import meetings as service
from bot.services.meetings import MeetingError, MeetingProblem, local_time_text
from handlers.flow import ask_text, for_managers, next_step, say, tapped_org
from handlers.meetings.common import MeetingForm, details, parse_time, refuse, wake_sender
from storage.models import Member, Organization


@for_managers
async def new_meeting(
    callback: CallbackQuery,
    callback_data: MtCb,
    state: FSMContext,
    session: AsyncSession,
    member: Member,
) -> None:
    """➕: picks the host organisation (at once if there is only one)."""
    orgs = await service.host_candidates(session, member)
    if len(orgs) == 1:
        await _start_draft(callback, state, orgs[0])
        return
    await say(
        callback,
        _("Which organisation hosts the meeting? Its whole subtree is invited."),
        kb.host_picker(orgs, callback_data.page),
    )


@for_managers
async def host_picked(
    callback: CallbackQuery,
    callback_data: HostCb,
    state: FSMContext,
    session: AsyncSession,
    member: Member,
) -> None:
    org = await tapped_org(callback, member, session, callback_data.org_id)
    if org is not None:
        await _start_draft(callback, state, org)


async def _start_draft(callback: CallbackQuery, state: FSMContext, org: Organization) -> None:
    question = _(
        "New exchange meeting of {org}. When does it start? "
        "E.g. 2026-12-05 19:30, 12月5日 19:30, 12/5 19:30 or 下周三 19:30."
    ).format(org=org.name)
    data = {"token": secrets.token_hex(8), "org_id": org.id, "org": org.name}
    await ask_text(callback, state, MeetingForm.starts, data, question)


@for_managers
async def draft_starts(
    message: Message, state: FSMContext, member: Member, clock: Clock, settings: Settings
) -> None:
    starts = await parse_time(message, clock, settings)
    if starts is not None:
        question = _("Where? Send the place or the online meeting link.")
        await next_step(message, state, MeetingForm.place, question, starts=starts.isoformat())


async def _checked(message: Message, check: Callable[[str], str]) -> str | None:
    """The typed text as `check` cleans it, or None after telling the user what is wrong."""
    try:
        return check(message.text or "")
    except MeetingError as error:
        await refuse(message, error)
        return None


@for_managers
async def draft_place(message: Message, state: FSMContext, member: Member) -> None:
    place = await _checked(message, service.check_place)
    if place is not None:
        question = _("The agenda (up to 1000 characters):")
        await next_step(message, state, MeetingForm.agenda, question, place=place)


@for_managers
async def draft_agenda(
    message: Message, state: FSMContext, member: Member, settings: Settings
) -> None:
    agenda = await _checked(message, service.check_agenda)
    if agenda is None:
        return
    data = await state.get_data()
    starts = datetime.fromisoformat(data["starts"])
    card = details(data["org"], starts, data["place"], agenda, settings)
    text = _("Please check:") + "\n" + card
    await next_step(message, state, MeetingForm.confirm, text, kb.save_keyboard(), agenda=agenda)


@for_managers
async def draft_save(
    callback: CallbackQuery,
    state: FSMContext,
    session: AsyncSession,
    member: Member,
    clock: Clock,
    settings: Settings,
    app: AppContext,
) -> None:
    """📣: stores the meeting once and queues the announcement to every invitee."""
    data = await state.get_data()
    draft = service.MeetingDraft(
        org_id=data["org_id"],
        starts_at=datetime.fromisoformat(data["starts"]),
        place=data["place"],
        agenda=data["agenda"],
        idempotency_key=f"mt:{data['token']}",
    )
    try:
        meeting, created = await service.schedule(session, member, draft, clock.now(), settings.tz)
    except MeetingError as error:
        await refuse(callback, error)
        if error.problem == MeetingProblem.PAST:
            await state.set_state(MeetingForm.starts)
        return
    await state.clear()
    if not created:
        await say(callback, _("This meeting was already scheduled."))
        return
    wake_sender(app)
    count = sum(person.id != member.id for person in await service.invitees(session, meeting))
    await say(
        callback,
        _("📣 Scheduled for {starts}. The announcement goes to {count} invitees.").format(
            starts=local_time_text(meeting.starts_at, settings.tz), count=count
        ),
    )
