"""Check-ins in one message: `/log 2.5 团章`, plain text, and the "study or question?" buttons."""

from __future__ import annotations

from datetime import timedelta
from typing import Any

from aiogram.filters import CommandObject
from aiogram.fsm.context import FSMContext
from aiogram.types import CallbackQuery, Message
from aiogram.utils.i18n import gettext as _

from bot.keyboards.checkin import AmbiguousCb, AmbiguousChoice, ambiguous_keyboard
from bot.parsing import Classified, DurationError, TextKind, classify, parse_one_shot
from bot.rules import StudyPolicy, format_hours
from bot.services import checkins
from bot.services.checkins import CheckinError
from handlers.checkin.common import error_text, new_token, save_and_report, today_of
from handlers.checkin.log_flow import ask_content, start_flow
from handlers.guards import ensure_member, reject_stale
from storage.models import Member


def _message_key(message: Message) -> str:
    """A redelivered update carries the same chat and message id: it stores nothing new."""
    return f"msg:{message.chat.id}:{message.message_id}"


async def log_command(
    message: Message,
    command: CommandObject,
    state: FSMContext,
    member: Member | None,
    **data: Any,
) -> None:
    """`/log` starts the flow; `/log 2.5 学习团章第一章` saves in one message."""
    if not await ensure_member(message, member):
        return
    assert member is not None
    if not command.args:
        await start_flow(message, state)
        return
    try:
        shot = parse_one_shot(command.args)
    except DurationError as error:
        await message.answer(error_text(error, data["policy"], today_of(data)))
        return
    key = _message_key(message)
    await _one_shot(message, state, member, shot.minutes, shot.content, shot.day_offset, key, data)


async def _one_shot(
    message: Message,
    state: FSMContext,
    member: Member,
    minutes: int,
    content: str,
    day_offset: int,
    key: str,
    data: dict[str, Any],
) -> None:
    """Save a check-in read from one message, or ask for its content if it had none."""
    day = today_of(data) + timedelta(days=day_offset)
    if not content:
        await ask_content(message, state, minutes, day)
        return
    await save_and_report(
        message,
        member,
        data,
        minutes=minutes,
        content=content,
        day=day,
        key=key,
    )


async def checkin_text(message: Message) -> dict[str, Classified] | bool:
    """Filter: a private text that logs study (or might); questions fall through."""
    text = message.text or ""
    if text.startswith("/"):
        return False
    found = classify(text)
    if found.kind in (TextKind.CHECKIN, TextKind.AMBIGUOUS):
        return {"classified": found}
    return False


async def plain_checkin(
    message: Message, classified: Classified, state: FSMContext, **data: Any
) -> None:
    """`学习2小时 读《习近平谈治国理政》第三卷` saves; an unclear one asks first."""
    member: Member | None = data["member"]
    if not await ensure_member(message, member):
        return
    assert member is not None and classified.minutes is not None
    if classified.kind is TextKind.AMBIGUOUS:
        token = new_token()
        await state.set_data({"ambiguous": {"token": token, "text": message.text}})
        await message.answer(
            _("Shall I log this as {hours} h of study, or is it a question?").format(
                hours=format_hours(classified.minutes)
            ),
            reply_markup=ambiguous_keyboard(token),
        )
        return
    await _logged_classified(message, state, member, classified, _message_key(message), data)


async def _logged_classified(
    message: Message,
    state: FSMContext,
    member: Member,
    classified: Classified,
    key: str,
    data: dict[str, Any],
) -> None:
    """Save a recognised plain-text check-in (its minutes checked before asking content)."""
    assert classified.minutes is not None
    policy: StudyPolicy = data["policy"]
    try:
        minutes = checkins.check_minutes(classified.minutes, policy)
    except CheckinError as error:
        await message.answer(error_text(error, policy, today_of(data)))
        return
    await _one_shot(
        message, state, member, minutes, classified.content, classified.day_offset, key, data
    )


async def ambiguous_tapped(
    callback: CallbackQuery, callback_data: AmbiguousCb, state: FSMContext, **data: Any
) -> None:
    """The answer to "log as study, or a question?"."""
    member: Member | None = data["member"]
    if not await ensure_member(callback, member):
        return
    assert member is not None
    pending = (await state.get_data()).get("ambiguous") or {}
    message = callback.message
    if pending.get("token") != callback_data.token or not isinstance(message, Message):
        await reject_stale(callback)
        return
    await state.set_data({})
    await callback.answer()
    text = pending["text"]
    if callback_data.choice is AmbiguousChoice.ASK:
        await _ask_criteria(message, text, member, data)
        return
    key = f"ask:{callback_data.token}"  # each question stores one entry at most
    await _logged_classified(message, state, member, classify(text), key, data)


async def _ask_criteria(message: Message, text: str, member: Member, data: dict[str, Any]) -> None:
    """Hand the text to the criteria answers (if that feature is there)."""
    from handlers import criteria  # lazy: the criteria feature may not be built yet

    answer = getattr(criteria, "answer_question", None)
    if answer is None:
        await message.answer(_("Please ask your question with /ask."))
        return
    await answer(
        message,
        text,
        member=member,
        session=data["session"],
        app=data["app"],
        locale=data["locale"],
    )
