"""The member's own entries: undo, edit (duration, content, day) and delete."""

from __future__ import annotations

from typing import Any

from aiogram.fsm.context import FSMContext
from aiogram.types import CallbackQuery, Message
from aiogram.utils.i18n import gettext as _
from sqlmodel.ext.asyncio.session import AsyncSession

from bot.keyboards.checkin import (
    EntryAction,
    EntryCb,
    EntryDayCb,
    confirm_delete_keyboard,
    day_picker,
    entry_keyboard,
    short_day,
)
from bot.rules import StudyPolicy, format_hours
from bot.services import checkins
from bot.services.checkins import (
    CONTENT_MAX_CHARS,
    CONTENT_MIN_CHARS,
    CheckinError,
    CheckinProblem,
)
from handlers.checkin.common import (
    EditFlow,
    day_of,
    error_text,
    month_progress_text,
    today_of,
    typed_minutes,
)
from handlers.guards import ensure_member, notify, reject_stale
from storage.models import Member, StudyLog


def _entry_line(log: StudyLog) -> str:
    return _("{day} · {hours} h · {content}").format(
        day=short_day(log.study_date), hours=format_hours(log.minutes), content=log.content
    )


async def entry_action(
    callback: CallbackQuery, callback_data: EntryCb, state: FSMContext, **data: Any
) -> None:
    """Undo, edit and delete buttons of the member's own editable entries."""
    member: Member | None = data["member"]
    if not await ensure_member(callback, member):
        return
    assert member is not None and member.id is not None
    session: AsyncSession = data["session"]
    policy: StudyPolicy = data["policy"]
    today = today_of(data)
    log = await checkins.own_log(session, member.id, callback_data.log_id)
    message = callback.message
    if log is None or not isinstance(message, Message):
        await reject_stale(callback)
        return
    if not policy.is_editable(log.study_date, today):
        await callback.answer(
            error_text(CheckinError(CheckinProblem.LOCKED), policy, today), show_alert=True
        )
        return
    action = callback_data.action
    await callback.answer()
    if action in (EntryAction.UNDO, EntryAction.DELETE_OK):
        await checkins.delete_checkin(session, member.id, log.id or 0, today, policy)
        head = _("Undone.") if action is EntryAction.UNDO else _("Deleted.")
        month = await month_progress_text(session, member, policy, today, log.study_date)
        await message.answer(f"{head} {_entry_line(log)}\n\n{month}")
    elif action is EntryAction.EDIT:
        await message.answer(
            _("{entry}\nWhat do you want to change?").format(entry=_entry_line(log)),
            reply_markup=entry_keyboard(log.id or 0),
        )
    elif action is EntryAction.DELETE:
        await message.answer(
            _("Delete this entry?\n{entry}").format(entry=_entry_line(log)),
            reply_markup=confirm_delete_keyboard(log.id or 0),
        )
    elif action is EntryAction.MINUTES:
        await state.set_state(EditFlow.minutes)
        await state.set_data({"log_id": log.id})
        await message.answer(_("Send the new duration, e.g. 1.5 or 90分钟."))
    elif action is EntryAction.CONTENT:
        await state.set_state(EditFlow.content)
        await state.set_data({"log_id": log.id})
        await message.answer(
            _("Send the new content ({min}–{max} characters).").format(
                min=CONTENT_MIN_CHARS, max=CONTENT_MAX_CHARS
            )
        )
    elif action is EntryAction.DAY:
        await message.answer(
            _("Which day?"),
            reply_markup=day_picker(
                today,
                policy.editable_since(today),
                lambda day: EntryDayCb(log_id=log.id or 0, day=day),
            ),
        )
    else:
        await message.answer(_("Nothing was changed."))


async def _apply_edit(
    event: Message | CallbackQuery, log_id: int, data: dict[str, Any], **change: Any
) -> bool:
    """Apply one change to the member's entry and answer.

    True when the edit is over: stored, or the entry is gone or locked (asking again
    would not help); False when the user may send a better value.
    """
    member: Member = data["member"]
    assert member.id is not None
    policy: StudyPolicy = data["policy"]
    today = today_of(data)
    session: AsyncSession = data["session"]
    try:
        log = await checkins.update_checkin(
            session,
            member.id,
            log_id,
            today=today,
            policy=policy,
            now=data["clock"].now(),
            **change,
        )
    except CheckinError as error:
        if isinstance(event, CallbackQuery) and error.problem is CheckinProblem.NOT_FOUND:
            await reject_stale(event)
        else:
            await notify(event, error_text(error, policy, today, change.get("content") or ""))
        return error.problem in (CheckinProblem.NOT_FOUND, CheckinProblem.LOCKED)
    month = await month_progress_text(session, member, policy, today, log.study_date)
    text = _("Changed: {entry}").format(entry=_entry_line(log)) + "\n\n" + month
    if isinstance(event, CallbackQuery):
        await event.answer()
        if isinstance(event.message, Message):
            await event.message.answer(text)
    else:
        await event.answer(text)
    return True


async def entry_day_tapped(callback: CallbackQuery, callback_data: EntryDayCb, **data: Any) -> None:
    """A new day for an entry being edited."""
    if not await ensure_member(callback, data["member"]):
        return
    day = day_of(callback_data.day)
    if day is None:
        await reject_stale(callback)
        return
    await _apply_edit(callback, callback_data.log_id, data, day=day)


async def edit_minutes_typed(message: Message, state: FSMContext, **data: Any) -> None:
    """A new duration for the entry being edited."""
    if not await ensure_member(message, data["member"]):
        return
    minutes = await typed_minutes(message, data)
    if minutes is None:
        return
    log_id = (await state.get_data()).get("log_id", 0)
    if await _apply_edit(message, log_id, data, minutes=minutes):
        await state.clear()


async def edit_content_typed(message: Message, state: FSMContext, **data: Any) -> None:
    """New content for the entry being edited."""
    if not await ensure_member(message, data["member"]):
        return
    log_id = (await state.get_data()).get("log_id", 0)
    if await _apply_edit(message, log_id, data, content=message.text or ""):
        await state.clear()
