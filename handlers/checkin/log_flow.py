"""The three-tap /log flow: how long, what, which day; its draft and Save."""

from __future__ import annotations

from datetime import date
from typing import Any

from aiogram.fsm.context import FSMContext
from aiogram.types import CallbackQuery, InlineKeyboardMarkup, Message
from aiogram.utils.i18n import gettext as _

from bot.keyboards.checkin import (
    DraftAction,
    DraftCb,
    DraftDayCb,
    DurationCb,
    day_label,
    day_picker,
    draft_keyboard,
    duration_keyboard,
    short_day,
)
from bot.rules import StudyPolicy, format_hours
from bot.services import checkins
from bot.services.checkins import CONTENT_MAX_CHARS, CONTENT_MIN_CHARS, CheckinError
from handlers.checkin.common import (
    CheckinFlow,
    day_of,
    error_text,
    new_token,
    save_and_report,
    today_of,
    typed_minutes,
)
from handlers.guards import ensure_member, reject_stale
from storage.models import Member


async def start_flow(message: Message, state: FSMContext) -> None:
    """Step 1 of the button flow: how long (quick buttons or typed)."""
    await state.set_state(CheckinFlow.duration)
    await state.set_data({})
    await message.answer(
        _("How long did you study? Tap a button or type it, e.g. 1.5 or 90分钟."),
        reply_markup=duration_keyboard(),
    )


async def ask_content(message: Message, state: FSMContext, minutes: int, day: date) -> None:
    """Step 2: a new draft with its duration and day waits for what was studied."""
    await state.set_data({"token": new_token(), "minutes": minutes, "day": day.toordinal()})
    await state.set_state(CheckinFlow.content)
    await message.answer(
        _("{hours} h. What did you study? ({min}–{max} characters)").format(
            hours=format_hours(minutes), min=CONTENT_MIN_CHARS, max=CONTENT_MAX_CHARS
        )
    )


def _summary(data: dict[str, Any], today: date) -> str:
    day = date.fromordinal(data["day"])
    return "\n".join(
        [
            _("Please check, then save:"),
            _("⏱ {hours} h").format(hours=format_hours(data["minutes"])),
            _("📖 {content}").format(content=data["content"]),
            _("📅 {day}").format(day=f"{day_label(day, today)} ({short_day(day)})"),
        ]
    )


def _draft_markup(data: dict[str, Any], today: date, policy: StudyPolicy) -> InlineKeyboardMarkup:
    day = date.fromordinal(data["day"])
    return draft_keyboard(data["token"], day, today, policy.editable_since(today))


async def menu_log(message: Message, state: FSMContext, member: Member | None) -> None:
    """The 📝 menu button: the button flow."""
    if not await ensure_member(message, member):
        return
    await start_flow(message, state)


async def log_start_tapped(
    callback: CallbackQuery, state: FSMContext, member: Member | None
) -> None:
    """The one-tap button on a pushed reminder: the same flow as the 📝 menu button."""
    if not await ensure_member(callback, member):
        return
    await callback.answer()
    if isinstance(callback.message, Message):
        await start_flow(callback.message, state)


async def duration_typed(message: Message, state: FSMContext, **data: Any) -> None:
    """A typed duration in step 1."""
    if not await ensure_member(message, data["member"]):
        return
    minutes = await typed_minutes(message, data)
    if minutes is None:
        return
    await ask_content(message, state, minutes, today_of(data))


async def duration_tapped(
    callback: CallbackQuery, callback_data: DurationCb, state: FSMContext, **data: Any
) -> None:
    """A quick-duration button in step 1."""
    if not await ensure_member(callback, data["member"]):
        return
    if await state.get_state() != CheckinFlow.duration.state or not isinstance(
        callback.message, Message
    ):
        await reject_stale(callback)
        return
    try:
        minutes = checkins.check_minutes(callback_data.minutes, data["policy"])
    except CheckinError:
        await reject_stale(callback)
        return
    await callback.answer()
    await ask_content(callback.message, state, minutes, today_of(data))


async def content_typed(message: Message, state: FSMContext, **data: Any) -> None:
    """Step 2: what was studied; then the summary with day buttons and Save."""
    if not await ensure_member(message, data["member"]):
        return
    policy: StudyPolicy = data["policy"]
    today = today_of(data)
    try:
        content = checkins.clean_content(message.text)
    except CheckinError as error:
        await message.answer(error_text(error, policy, today, message.text or ""))
        return
    draft = await state.get_data()
    if "minutes" not in draft:  # state without its draft (stopped between two writes)
        await start_flow(message, state)
        return
    draft["content"] = content
    await state.set_state(CheckinFlow.confirm)
    await state.set_data(draft)
    await message.answer(_summary(draft, today), reply_markup=_draft_markup(draft, today, policy))


async def confirm_typed(message: Message) -> None:
    """Text while the summary waits for a tap."""
    await message.answer(_("Tap ✅ Save to store the entry, or /cancel."))


async def _draft(state: FSMContext, token: str) -> dict[str, Any] | None:
    """The current draft if the tapped button belongs to it."""
    if await state.get_state() != CheckinFlow.confirm.state:
        return None
    draft = await state.get_data()
    return draft if draft.get("token") == token else None


async def draft_day_tapped(
    callback: CallbackQuery, callback_data: DraftDayCb, state: FSMContext, **data: Any
) -> None:
    """Another day for the draft (only editable days are accepted)."""
    if not await ensure_member(callback, data["member"]):
        return
    draft = await _draft(state, callback_data.token)
    if draft is None or not isinstance(callback.message, Message):
        await reject_stale(callback)
        return
    policy: StudyPolicy = data["policy"]
    today = today_of(data)
    day = day_of(callback_data.day)
    if day is None:
        await reject_stale(callback)
        return
    try:
        checkins.check_day(day, today, policy)
    except CheckinError as error:
        await callback.answer(error_text(error, policy, today), show_alert=True)
        return
    draft["day"] = day.toordinal()
    await state.set_data(draft)
    await callback.answer()
    await callback.message.edit_text(
        _summary(draft, today), reply_markup=_draft_markup(draft, today, policy)
    )


async def draft_action(
    callback: CallbackQuery, callback_data: DraftCb, state: FSMContext, **data: Any
) -> None:
    """Save, cancel, or show every editable day; a second Save stores nothing."""
    member: Member | None = data["member"]
    if not await ensure_member(callback, member):
        return
    assert member is not None and member.id is not None
    key = f"draft:{callback_data.token}"
    draft = await _draft(state, callback_data.token)
    message = callback.message
    if draft is None or not isinstance(message, Message):
        if callback_data.action is DraftAction.SAVE and await checkins.saved_under_key(
            data["session"], member.id, key
        ):
            await callback.answer(_("This was already saved."), show_alert=True)
        else:
            await reject_stale(callback)
        return
    policy: StudyPolicy = data["policy"]
    today = today_of(data)
    if callback_data.action is DraftAction.CANCEL:
        await state.clear()
        await callback.answer()
        await message.edit_text(_("Cancelled. Nothing was saved."))
    elif callback_data.action is DraftAction.DAYS:
        await callback.answer()
        await message.edit_reply_markup(
            reply_markup=day_picker(
                today,
                policy.editable_since(today),
                lambda day: DraftDayCb(token=draft["token"], day=day),
            )
        )
    else:
        await callback.answer()
        saved = await save_and_report(
            message,
            member,
            data,
            minutes=draft["minutes"],
            content=draft["content"],
            day=date.fromordinal(draft["day"]),
            key=key,
        )
        if saved is not None:
            await state.clear()
