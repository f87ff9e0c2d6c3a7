"""Shared by the group-study handlers: states, problem texts, formatting, the edit call."""

from __future__ import annotations

from datetime import date
from typing import Any

from aiogram.fsm.context import FSMContext
from aiogram.fsm.state import State, StatesGroup
from aiogram.types import CallbackQuery, Message
from aiogram.utils.i18n import gettext as _
from sqlmodel.ext.asyncio.session import AsyncSession

from bot.clock import local_today
from bot.context import AppContext
from bot.rules import StudyPolicy
from bot.services import group_study as service
from bot.services.group_study import GroupStudyError, GroupStudyProblem
from handlers.guards import notify
from storage.models import GroupStudy, Member


class GroupStudyForm(StatesGroup):
    day = State()
    length = State()
    topic = State()
    summary = State()
    attendees = State()
    confirm = State()
    edit_text = State()


def problem_text(problem: GroupStudyProblem, policy: StudyPolicy) -> str:
    texts = {
        GroupStudyProblem.NOT_ALLOWED: _("This organisation is not in your scope."),
        GroupStudyProblem.NOT_FOUND: _("This group study no longer exists."),
        GroupStudyProblem.FUTURE_DATE: _(
            "That day is in the future. Record group study after it took place."
        ),
        GroupStudyProblem.OUTSIDE_WINDOW: _(
            "That day can no longer be changed: records stay editable for the current month "
            "and, until day {day}, for the previous month."
        ).format(day=policy.edit_lock_day),
        GroupStudyProblem.NO_ATTENDEES: _("Tick at least one attendee."),
        GroupStudyProblem.FOREIGN_ATTENDEE: _("Only members of this organisation can be ticked."),
        GroupStudyProblem.BAD_LENGTH: _("Send the length in hours, e.g. 3.5, or tap a button."),
        GroupStudyProblem.BAD_TOPIC: _("Send a topic of 1–200 characters."),
        GroupStudyProblem.BAD_SUMMARY: _("The summary can be at most 1000 characters."),
    }
    return texts[problem]


async def refuse(
    event: Message | CallbackQuery, problem: GroupStudyProblem, policy: StudyPolicy
) -> None:
    """The problem's text: an alert on a tap, a reply to a message."""
    await notify(event, problem_text(problem, policy))


def half_days_text(value: float) -> str:
    return f"{value:g}"


def hours_text(minutes: int) -> str:
    return f"{minutes / 60:g}"


def study_fields(
    day: str, half_days: float, minutes: int, topic: str, summary: str, count: int
) -> dict[str, Any]:
    """The placeholders of a group study's details (the draft check and a stored one)."""
    return {
        "day": day,
        "half_days": half_days_text(half_days),
        "hours": hours_text(minutes),
        "topic": topic,
        "summary": summary or "—",
        "count": count,
    }


def app_today(app: AppContext) -> date:
    return local_today(app.clock, app.settings.tz)


async def update(
    event: Message | CallbackQuery,
    state: FSMContext,
    session: AsyncSession,
    member: Member,
    app: AppContext,
    edit_id: int,
    **changes: Any,
) -> GroupStudy | None:
    """Applies an edit to a stored group study and ends the flow; None after refusing it."""
    try:
        study = await service.update(
            session, member, edit_id, app.policy, app_today(app), app.clock.now(), **changes
        )
    except GroupStudyError as error:
        await refuse(event, error.problem, app.policy)
        return None
    await state.clear()
    return study
