"""Personal study check-in: /log (buttons or one message), plain-text check-ins, /me, /history."""

from __future__ import annotations

import secrets
from datetime import date, timedelta
from typing import Any

from aiogram import F, Router
from aiogram.filters import Command, CommandObject, StateFilter
from aiogram.fsm.context import FSMContext
from aiogram.fsm.state import State, StatesGroup
from aiogram.types import CallbackQuery, InlineKeyboardMarkup, Message
from aiogram.utils.i18n import gettext as _
from sqlmodel.ext.asyncio.session import AsyncSession

from bot.clock import Clock, local_today
from bot.config import Settings
from bot.keyboards import menu
from bot.keyboards.checkin import (
    HISTORY_PAGE_SIZE,
    AmbiguousCb,
    AmbiguousChoice,
    DraftAction,
    DraftCb,
    DraftDayCb,
    DurationCb,
    EntryAction,
    EntryCb,
    EntryDayCb,
    HistoryCb,
    LogStartCb,
    ambiguous_keyboard,
    confirm_delete_keyboard,
    day_label,
    day_picker,
    draft_keyboard,
    duration_keyboard,
    entry_keyboard,
    history_keyboard,
    is_checkin_data,
    saved_keyboard,
    short_day,
)
from bot.keyboards.menu import MENU_HISTORY, MENU_LOG, MENU_ME
from bot.keyboards.paging import page_of
from bot.parsing import (
    Classified,
    DurationError,
    DurationProblem,
    TextKind,
    classify,
    parse_duration,
    parse_one_shot,
)
from bot.rules import FIRST_BROWSABLE, Month, Progress, StudyPolicy, format_hours, progress_bar
from bot.services import checkins, progress
from bot.services.checkins import (
    CONTENT_MAX_CHARS,
    CONTENT_MIN_CHARS,
    CheckinError,
    CheckinProblem,
    Saved,
)
from bot.text import TELEGRAM_TEXT_LIMIT
from handlers.guards import ensure_member, reject_stale
from storage.models import Member, StudyLog

HISTORY_CONTENT_CHARS = 60


class CheckinFlow(StatesGroup):
    duration = State()
    content = State()
    confirm = State()


class EditFlow(StatesGroup):
    minutes = State()
    content = State()


# ---- rendering -------------------------------------------------------------------------


def _today(clock: Clock, settings: Settings) -> date:
    return local_today(clock, settings.tz)


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


def _error_text(
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


async def _say(event: Message | CallbackQuery, text: str) -> None:
    if isinstance(event, CallbackQuery):
        await event.answer(text, show_alert=True)
    else:
        await event.answer(text)


def _entry_line(log: StudyLog) -> str:
    return _("{day} · {hours} h · {content}").format(
        day=short_day(log.study_date), hours=format_hours(log.minutes), content=log.content
    )


# ---- saving --------------------------------------------------------------------------


async def _save_and_report(
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
    today = _today(clock, data["settings"])
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
        await message.answer(_error_text(error, policy, today, content))
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


def _day_of(ordinal: int) -> date | None:
    """The day of a button's data; None for a forged number that is no date."""
    try:
        return date.fromordinal(ordinal)
    except (ValueError, OverflowError):
        return None


def _new_token() -> str:
    return secrets.token_urlsafe(9)


async def _ask_content(message: Message, state: FSMContext, minutes: int, day: date) -> None:
    await state.set_data({"token": _new_token(), "minutes": minutes, "day": day.toordinal()})
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


# ---- /log: one message, or the button flow --------------------------------------------


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
    policy: StudyPolicy = data["policy"]
    today = _today(data["clock"], data["settings"])
    try:
        shot = parse_one_shot(command.args)
    except DurationError as error:
        await message.answer(_error_text(error, policy, today))
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
    today = _today(data["clock"], data["settings"])
    day = today + timedelta(days=day_offset)
    if not content:
        await _ask_content(message, state, minutes, day)
        return
    await _save_and_report(
        message,
        member,
        data,
        minutes=minutes,
        content=content,
        day=day,
        key=key,
    )


def _message_key(message: Message) -> str:
    """A redelivered update carries the same chat and message id: it stores nothing new."""
    return f"msg:{message.chat.id}:{message.message_id}"


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


async def start_flow(message: Message, state: FSMContext) -> None:
    """Step 1 of the button flow: how long (quick buttons or typed)."""
    await state.set_state(CheckinFlow.duration)
    await state.set_data({})
    await message.answer(
        _("How long did you study? Tap a button or type it, e.g. 1.5 or 90分钟."),
        reply_markup=duration_keyboard(),
    )


async def duration_typed(message: Message, state: FSMContext, **data: Any) -> None:
    """A typed duration in step 1."""
    if not await ensure_member(message, data["member"]):
        return
    today = _today(data["clock"], data["settings"])
    try:
        minutes = parse_duration(message.text or "")
    except DurationError as error:
        await message.answer(_error_text(error, data["policy"], today))
        return
    await _ask_content(message, state, minutes, today)


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
    today = _today(data["clock"], data["settings"])
    try:
        minutes = checkins.check_minutes(callback_data.minutes, data["policy"])
    except CheckinError:
        await reject_stale(callback)
        return
    await callback.answer()
    await _ask_content(callback.message, state, minutes, today)


async def content_typed(message: Message, state: FSMContext, **data: Any) -> None:
    """Step 2: what was studied; then the summary with day buttons and Save."""
    if not await ensure_member(message, data["member"]):
        return
    policy: StudyPolicy = data["policy"]
    today = _today(data["clock"], data["settings"])
    try:
        content = checkins.clean_content(message.text)
    except CheckinError as error:
        await message.answer(_error_text(error, policy, today, message.text or ""))
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


async def text_expected(message: Message) -> None:
    """A sticker, photo or voice where the flow waits for text."""
    await message.answer(_("Please send text. To stop, send /cancel."))


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
    today = _today(data["clock"], data["settings"])
    day = _day_of(callback_data.day)
    if day is None:
        await reject_stale(callback)
        return
    try:
        checkins.check_day(day, today, policy)
    except CheckinError as error:
        await callback.answer(_error_text(error, policy, today), show_alert=True)
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
    draft = await _draft(state, callback_data.token)
    message = callback.message
    if draft is None or not isinstance(message, Message):
        key = f"draft:{callback_data.token}"
        if callback_data.action is DraftAction.SAVE and await checkins.saved_under_key(
            data["session"], member.id, key
        ):
            await callback.answer(_("This was already saved."), show_alert=True)
        else:
            await reject_stale(callback)
        return
    policy: StudyPolicy = data["policy"]
    today = _today(data["clock"], data["settings"])
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
        saved = await _save_and_report(
            message,
            member,
            data,
            minutes=draft["minutes"],
            content=draft["content"],
            day=date.fromordinal(draft["day"]),
            key=f"draft:{draft['token']}",
        )
        if saved is not None:
            await state.clear()


# ---- plain text check-ins and the ambiguous case --------------------------------------


def typed_text(message: Message) -> bool:
    """Filter: text typed into a step, not a main-menu button (those go to their feature)."""
    buttons = [value for name, value in vars(menu).items() if name.startswith("MENU_")]
    return bool(message.text) and message.text not in {str(button) for button in buttons}


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
        token = _new_token()
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
    today = _today(data["clock"], data["settings"])
    try:
        minutes = checkins.check_minutes(classified.minutes, policy)
    except CheckinError as error:
        await message.answer(_error_text(error, policy, today))
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


# ---- undo, edit, delete --------------------------------------------------------------


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
    today = _today(data["clock"], data["settings"])
    log = await checkins.own_log(session, member.id, callback_data.log_id)
    message = callback.message
    if log is None or not isinstance(message, Message):
        await reject_stale(callback)
        return
    if not policy.is_editable(log.study_date, today):
        await callback.answer(
            _error_text(CheckinError(CheckinProblem.LOCKED), policy, today), show_alert=True
        )
        return
    action = callback_data.action
    await callback.answer()
    if action in (EntryAction.UNDO, EntryAction.DELETE_OK):
        await checkins.delete_checkin(session, member.id, log.id or 0, today, policy)
        head = _("Undone.") if action is EntryAction.UNDO else _("Deleted.")
        month = Month.of(log.study_date)
        p = await progress.month_progress(session, member, policy, today, month)
        await message.answer(f"{head} {_entry_line(log)}\n\n{progress_text(p)}")
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
    today = _today(data["clock"], data["settings"])
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
            await _say(event, _error_text(error, policy, today, change.get("content") or ""))
        return error.problem in (CheckinProblem.NOT_FOUND, CheckinProblem.LOCKED)
    month = Month.of(log.study_date)
    p = await progress.month_progress(session, member, policy, today, month)
    text = _("Changed: {entry}").format(entry=_entry_line(log)) + "\n\n" + progress_text(p)
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
    day = _day_of(callback_data.day)
    if day is None:
        await reject_stale(callback)
        return
    await _apply_edit(callback, callback_data.log_id, data, day=day)


async def edit_minutes_typed(message: Message, state: FSMContext, **data: Any) -> None:
    """A new duration for the entry being edited."""
    if not await ensure_member(message, data["member"]):
        return
    try:
        minutes = parse_duration(message.text or "")
    except DurationError as error:
        today = _today(data["clock"], data["settings"])
        await message.answer(_error_text(error, data["policy"], today))
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


# ---- /me and /history ---------------------------------------------------------------


async def show_me(message: Message, member: Member | None, **data: Any) -> None:
    """This month's progress, the branch's group study, and leave."""
    if not await ensure_member(message, member):
        return
    assert member is not None and member.id is not None
    session: AsyncSession = data["session"]
    policy: StudyPolicy = data["policy"]
    today = _today(data["clock"], data["settings"])
    month = Month.of(today)
    p = await progress.month_progress(session, member, policy, today, month)
    half_days = await progress.org_group_half_days(session, member.org_id, month)
    lines = [
        _("📊 {name}, your study in {month}").format(name=member.name, month=month.key),
        progress_text(p),
        _("Your branch's group study this month: {done}/{target} half-days").format(
            done=f"{half_days:g}", target=policy.group_half_days
        ),
    ]
    if await progress.is_on_leave(session, member.id, month):
        lines.append(_("You are on leave this month: the targets do not apply to you."))
    await message.answer("\n\n".join(lines))


async def history_command(
    message: Message, command: CommandObject, member: Member | None, **data: Any
) -> None:
    """`/history [YYYY-MM]`: the month's entries with edit and delete buttons."""
    if not await ensure_member(message, member):
        return
    today = _today(data["clock"], data["settings"])
    month = Month.of(today)
    if command.args:
        try:
            month = Month.parse(command.args)
            if month < FIRST_BROWSABLE:
                raise ValueError(month)
        except ValueError:
            await message.answer(_("Give the month as YYYY-MM, e.g. /history 2026-10."))
            return
    text, markup = await _history(member, month, 0, today, data)
    await message.answer(text, reply_markup=markup)


async def menu_history(message: Message, member: Member | None, **data: Any) -> None:
    """The 📜 menu button: this month's entries."""
    if not await ensure_member(message, member):
        return
    today = _today(data["clock"], data["settings"])
    text, markup = await _history(member, Month.of(today), 0, today, data)
    await message.answer(text, reply_markup=markup)


async def history_page(
    callback: CallbackQuery, callback_data: HistoryCb, member: Member | None, **data: Any
) -> None:
    """Another page or month of /history."""
    if not await ensure_member(callback, member):
        return
    try:
        month = Month.parse(callback_data.month)
    except ValueError:
        await reject_stale(callback)
        return
    if month < FIRST_BROWSABLE or not isinstance(callback.message, Message):
        await reject_stale(callback)
        return
    today = _today(data["clock"], data["settings"])
    text, markup = await _history(member, month, callback_data.page, today, data)
    await callback.answer()
    await callback.message.edit_text(text, reply_markup=markup)


async def _history(
    member: Member | None, month: Month, page: int, today: date, data: dict[str, Any]
) -> tuple[str, InlineKeyboardMarkup]:
    """The month's entries (a page of them) and their edit/delete buttons."""
    assert member is not None and member.id is not None
    policy: StudyPolicy = data["policy"]
    logs = await checkins.month_logs(data["session"], member.id, month)
    shown, page, pages = page_of(logs, page, HISTORY_PAGE_SIZE)
    total = sum(log.minutes for log in logs)
    lines = [
        _("📜 Your entries in {month}: {hours} h in total").format(
            month=month.key, hours=format_hours(total)
        )
    ]
    if not logs:
        lines.append(_("No entries in this month."))
    editable: list[tuple[int, int]] = []
    for n, log in enumerate(shown, start=page * HISTORY_PAGE_SIZE + 1):
        content = log.content
        if len(content) > HISTORY_CONTENT_CHARS:
            content = content[: HISTORY_CONTENT_CHARS - 1] + "…"
        locked = not policy.is_editable(log.study_date, today)
        lines.append(
            _("{n}. {day} · {hours} h · {content}").format(
                n=n, day=short_day(log.study_date), hours=format_hours(log.minutes), content=content
            )
            + (" 🔒" if locked else "")
        )
        if not locked:
            editable.append((n, log.id or 0))
    if pages > 1:
        lines.append(_("Page {page} of {pages}").format(page=page + 1, pages=pages))
    if any(not policy.is_editable(log.study_date, today) for log in shown):
        lines.append(
            _("🔒 Entries before {day} are locked.").format(
                day=short_day(policy.editable_since(today))
            )
        )
    markup = history_keyboard(month, page, pages, editable, current=Month.of(today))
    return "\n".join(lines)[:TELEGRAM_TEXT_LIMIT], markup


async def forged_button(callback: CallbackQuery) -> None:
    """Data with our prefix that none of our factories could read."""
    await reject_stale(callback)


# ---- wiring -------------------------------------------------------------------------


def create_router() -> Router:
    """Private chats only: personal study data is never shown in groups."""
    router = Router(name="checkin")
    private = F.chat.type == "private"
    router.message.filter(private)
    router.callback_query.filter(F.message.chat.type == "private")
    router.message.register(log_command, Command("log"))
    router.message.register(menu_log, F.text == MENU_LOG)
    router.message.register(show_me, Command("me"))
    router.message.register(show_me, F.text == MENU_ME)
    router.message.register(history_command, Command("history"))
    router.message.register(menu_history, F.text == MENU_HISTORY)

    router.message.register(duration_typed, CheckinFlow.duration, typed_text)
    router.message.register(content_typed, CheckinFlow.content, typed_text)
    router.message.register(confirm_typed, CheckinFlow.confirm, typed_text)
    router.message.register(edit_minutes_typed, EditFlow.minutes, typed_text)
    router.message.register(edit_content_typed, EditFlow.content, typed_text)
    router.message.register(
        text_expected,
        StateFilter(CheckinFlow.duration, CheckinFlow.content, EditFlow.minutes, EditFlow.content),
        ~F.text,
    )
    router.message.register(plain_checkin, StateFilter(None), F.text, checkin_text)

    router.callback_query.register(duration_tapped, DurationCb.filter())
    router.callback_query.register(draft_day_tapped, DraftDayCb.filter())
    router.callback_query.register(draft_action, DraftCb.filter())
    router.callback_query.register(ambiguous_tapped, AmbiguousCb.filter())
    router.callback_query.register(entry_action, EntryCb.filter())
    router.callback_query.register(entry_day_tapped, EntryDayCb.filter())
    router.callback_query.register(history_page, HistoryCb.filter())
    router.callback_query.register(log_start_tapped, LogStartCb.filter())
    router.callback_query.register(forged_button, F.data.func(is_checkin_data))
    return router
