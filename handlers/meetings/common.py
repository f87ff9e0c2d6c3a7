"""Shared by the exchange-meeting handlers: states, problem texts, service-call wrappers."""

from __future__ import annotations

from collections.abc import Awaitable, Collection
from datetime import datetime
from typing import TypeVar

from aiogram.fsm.context import FSMContext
from aiogram.fsm.state import State, StatesGroup
from aiogram.types import CallbackQuery, Message
from aiogram.utils.i18n import gettext as _

from bot.clock import Clock
from bot.config import Settings
from bot.context import AppContext
from bot.datetime_parsing import DateParseError, ParseProblem, parse_meeting_time
from bot.services.meetings import MeetingError, MeetingProblem, local_time_text
from handlers.guards import reject_stale
from handlers.reminders import SERVICE_KEY
from storage.models import ReplyAnswer

T = TypeVar("T")


class MeetingForm(StatesGroup):
    starts = State()
    place = State()
    agenda = State()
    confirm = State()
    leave_reason = State()
    share = State()
    move = State()
    edit = State()


def problem_text(problem: MeetingProblem) -> str:
    return {
        MeetingProblem.NOT_ALLOWED: _("This button is no longer valid."),
        MeetingProblem.NOT_FOUND: _("This meeting no longer exists."),
        MeetingProblem.PAST: _("That time has already passed. Send a time in the future."),
        MeetingProblem.BAD_PLACE: _("Send the place or online link (1–300 characters)."),
        MeetingProblem.BAD_AGENDA: _("Send the agenda (1–1000 characters); it cannot be empty."),
        MeetingProblem.CANCELLED: _("This meeting has been cancelled."),
        MeetingProblem.STARTED: _(
            "The meeting has already started; this can no longer be changed."
        ),
        MeetingProblem.NOT_STARTED: _("Attendance can be marked once the meeting has started."),
        MeetingProblem.BAD_REASON: _("Send the reason for your leave (1–200 characters)."),
        MeetingProblem.BAD_SHARE: _(
            "Your reflections must be 1–1000 characters (you sent {count})."
        ),
        MeetingProblem.CHECKIN_CLOSED: _("Check-in is open only during the meeting."),
    }[problem]


def answer_label(answer: ReplyAnswer | None) -> str:
    return {
        ReplyAnswer.ATTEND: _("attending"),
        ReplyAnswer.LEAVE: _("on leave"),
        ReplyAnswer.UNDECIDED: _("undecided"),
        None: _("no answer yet"),
    }[answer]


async def refuse(event: Message | CallbackQuery, error: MeetingError, count: int = 0) -> None:
    """A forged or foreign id gets the stale-button answer; other problems their own text."""
    if isinstance(event, CallbackQuery) and error.problem == MeetingProblem.NOT_ALLOWED:
        await reject_stale(event)
        return
    text = problem_text(error.problem).format(count=count)
    if isinstance(event, CallbackQuery):
        await event.answer(text, show_alert=True)
    else:
        await event.answer(text)


async def attempt(event: Message | CallbackQuery, call: Awaitable[T]) -> T | None:
    """The service call's result (never None), or None after refusing its problem."""
    try:
        return await call
    except MeetingError as error:
        await refuse(event, error)
        return None


async def finish(
    message: Message,
    state: FSMContext,
    call: Awaitable[object],
    retry: Collection[MeetingProblem] = (),
    count: int = 0,
) -> bool:
    """Runs a text step's service call; the flow ends unless the text may be sent again."""
    try:
        await call
    except MeetingError as error:
        await refuse(message, error, count)
        if error.problem not in retry:
            await state.clear()
        return False
    await state.clear()
    return True


def wake_sender(app: AppContext) -> None:
    """Announcements were just queued: the reminder engine's sender need not wait its poll."""
    reminders = app.extras.get(SERVICE_KEY)
    if reminders is not None:
        reminders.sender.wake()


def details(org_name: str, starts: datetime, place: str, agenda: str, settings: Settings) -> str:
    return _("🗣 {org} · exchange meeting\n🕒 {starts}\n📍 {place}\n📝 {agenda}").format(
        org=org_name, starts=local_time_text(starts, settings.tz), place=place, agenda=agenda
    )


async def parse_time(message: Message, clock: Clock, settings: Settings) -> datetime | None:
    """The typed start time, or None after telling the user what is wrong."""
    try:
        return parse_meeting_time(message.text or "", clock.now(), settings.tz)
    except DateParseError as error:
        if error.problem == ParseProblem.PAST:
            await message.answer(problem_text(MeetingProblem.PAST))
        else:
            await message.answer(
                _("I could not read that time. Send it like 2026-12-05 19:30 or 12月5日 19:30.")
            )
        return None
