"""What the check-in modules share: their states, step filters, error texts, saving."""

from __future__ import annotations

import secrets
from datetime import date
from typing import Any

from aiogram.fsm.state import State, StatesGroup
from aiogram.types import Message
from aiogram.utils.i18n import gettext as _
from sqlmodel.ext.asyncio.session import AsyncSession

from bot.clock import Clock, local_today
from bot.keyboards import menu
from bot.keyboards.checkin import saved_keyboard, short_day
from bot.parsing import DurationError, DurationProblem, parse_duration
from bot.rules import Month, Progress, StudyPolicy, format_hours, progress_bar
from bot.services import checkins, progress
from bot.services.checkins import (
    CONTENT_MAX_CHARS,
    CONTENT_MIN_CHARS,
    CheckinError,
    CheckinProblem,
    Saved,
)
from storage.models import Member


class CheckinFlow(StatesGroup):
    duration = State()
    content = State()
    confirm = State()


class EditFlow(StatesGroup):
    minutes = State()
    content = State()


# ---- step filters and answers ---------------------------------------------------------


def typed_text(message: Message) -> bool:
    """Filter: text typed into a step, not a main-menu button (those go to their feature)."""
    buttons = [value for name, value in vars(menu).items() if name.startswith("MENU_")]
    return bool(message.text) and message.text not in {str(button) for button in buttons}


async def text_expected(message: Message) -> None:
    """A sticker, photo or voice where the flow waits for text."""
    await message.answer(_("Please send text. To stop, send /cancel."))


def today_of(data: dict[str, Any]) -> date:
    """The member's local today, from the handler's context data."""
    return local_today(data["clock"], data["settings"].tz)


def day_of(ordinal: int) -> date | None:
    """The day of a button's data; None for a forged number that is no date."""
    try:
        return date.fromordinal(ordinal)
    except (ValueError, OverflowError):
        return None


def new_token() -> str:
    return secrets.token_urlsafe(9)


async def typed_minutes(message: Message, data: dict[str, Any]) -> int | None:
    """A typed duration; None (and the reason answered) when it cannot be read."""
    try:
        return parse_duration(message.text or "")
    except DurationError as error:
        await message.answer(error_text(error, data["policy"], today_of(data)))
        return None


# ---- rendering -------------------------------------------------------------------------


def progress_text(p: Progress) -> str:
    """The month against the target: bar, what is left, days left, daily pace."""
    lines = [
        _("This month: {done} / {target} h").format(
            done=format_hours(p.done_minutes), target=format_hours(p.target_minutes)
        ),
        _("{bar} {percent}%").format(bar=progress_bar(p.ratio), percent=round(p.ratio * 100)),
    ]
    if p.reached:
        lines.append(_("🎉 You have reached this month's target."))
    elif p.days_left:
        lines.append(
            _("{left} h to go in {days} days: about {pace} h a day.").format(
                left=format_hours(p.left_minutes),
                days=p.days_left,
                pace=format_hours(p.minutes_per_day_needed),
            )
        )
    else:
        lines.append(_("{left} h short of the target.").format(left=format_hours(p.left_minutes)))
    return "\n".join(lines)


async def month_progress_text(
    session: AsyncSession, member: Member, policy: StudyPolicy, today: date, day: date
) -> str:
    """`progress_text` of the month `day` is in, as stored now."""
    p = await progress.month_progress(session, member, policy, today, Month.of(day))
    return progress_text(p)


def error_text(
    error: CheckinError | DurationError, policy: StudyPolicy, today: date, text: str = ""
) -> str:
    """The localized answer to a refused duration, content, day or change."""
    problem = error.problem
    max_hours = format_hours(policy.max_minutes_per_day)
    if problem is DurationProblem.MISSING:
        return _("How long did you study? Send hours like 1.5, 2小时 or 90分钟, e.g. /log 2 团章.")
    if problem is DurationProblem.NOT_A_NUMBER:
        return _("I could not read a duration. Send hours like 1.5, 2小时 or 90分钟.")
    if problem is DurationProblem.NEGATIVE:
        return _("The duration cannot be negative.")
    if problem in (DurationProblem.ZERO, CheckinProblem.ZERO):
        return _("The duration must be more than zero.")
    if problem in (DurationProblem.TOO_LONG, CheckinProblem.TOO_LONG):
        return _("One entry can be at most {max} h.").format(max=max_hours)
    if problem is CheckinProblem.FUTURE:
        return _("You cannot log study for a day in the future.")
    if problem is CheckinProblem.LOCKED:
        return _("Entries before {day} are locked and can no longer be changed.").format(
            day=short_day(policy.editable_since(today))
        )
    if problem is CheckinProblem.DAY_LIMIT:
        assert isinstance(error, CheckinError)
        return _(
            "That would be more than {max} h on one day: {logged} h are already logged for it."
        ).format(max=max_hours, logged=format_hours(error.day_minutes))
    if problem is CheckinProblem.CONTENT_SHORT:
        return _("Please say what you studied ({min}–{max} characters).").format(
            min=CONTENT_MIN_CHARS, max=CONTENT_MAX_CHARS
        )
    if problem is CheckinProblem.CONTENT_LONG:
        return _("That is too long: at most {max} characters, you sent {count}.").format(
            max=CONTENT_MAX_CHARS, count=len(text.strip())
        )
    return _("This entry no longer exists.")


# ---- saving --------------------------------------------------------------------------


async def save_and_report(
    message: Message,
    member: Member,
    data: dict[str, Any],
    *,
    minutes: int,
    content: str,
    day: date,
    key: str,
) -> Saved | None:
    """Store one entry and answer with the month's progress and an Undo button."""
    policy: StudyPolicy = data["policy"]
    clock: Clock = data["clock"]
    today = today_of(data)
    assert member.id is not None
    try:
        saved = await checkins.record_checkin(
            data["session"],
            member.id,
            minutes=minutes,
            content=content,
            day=day,
            today=today,
            policy=policy,
            key=key,
            now=clock.now(),
        )
    except CheckinError as error:
        await message.answer(error_text(error, policy, today, content))
        return None
    month = Progress(Month.of(day), saved.month_minutes, policy.target_minutes, today)
    head = (
        _("This was already saved.")
        if saved.duplicate
        else _("✅ Saved {hours} h on {day}: {content}").format(
            hours=format_hours(saved.minutes), day=short_day(day), content=saved.content
        )
    )
    markup = None if saved.duplicate else saved_keyboard(saved.log_id)
    await message.answer(f"{head}\n\n{progress_text(month)}", reply_markup=markup)
    return saved
