"""The host's tools for a scheduled meeting: digest, attendance, move, edit, cancel."""

from __future__ import annotations

from aiogram.fsm.context import FSMContext
from aiogram.types import BufferedInputFile, CallbackQuery, Message
from aiogram.utils.i18n import gettext as _
from sqlmodel.ext.asyncio.session import AsyncSession

from bot.clock import Clock
from bot.config import Settings
from bot.context import AppContext
from bot.keyboards import meetings as kb
from bot.keyboards.meetings import MtAction, MtCb
from bot.services import meetings as service
from bot.services.meetings import MeetingProblem, local_time_text, member_names
from bot.text import split_for_telegram
from handlers.flow import ask_text, for_managers, redraw_buttons, say
from handlers.meetings.common import MeetingForm, attempt, finish, parse_time, wake_sender
from storage.models import Member

DIGEST_FILE = "meeting-{id}-digest.txt"


def render_digest(digest: service.Digest, settings: Settings) -> str:
    meeting = digest.meeting
    lines = [
        _("📋 Digest · {org} exchange meeting · {starts}").format(
            org=digest.host.name, starts=local_time_text(meeting.starts_at, settings.tz)
        ),
        _("📍 {place}").format(place=meeting.place),
        "",
        _("✅ Coming ({count}): {names}").format(
            count=len(digest.coming), names=member_names(digest.coming) or "—"
        ),
        _("🙏 On leave ({count}):").format(count=len(digest.on_leave)),
    ]
    lines += [f"· {person.name}：{reason}" for person, reason in digest.on_leave] or ["· —"]
    lines += [
        _("🤔 Undecided ({count}): {names}").format(
            count=len(digest.undecided), names=member_names(digest.undecided) or "—"
        ),
        _("❔ No answer ({count}): {names}").format(
            count=len(digest.unanswered), names=member_names(digest.unanswered) or "—"
        ),
    ]
    if digest.present:
        lines.append(
            _("☑️ Present ({count}): {names}").format(
                count=len(digest.present), names=member_names(digest.present)
            )
        )
    lines += ["", _("✍️ Reflections ({count}):").format(count=len(digest.shares))]
    for person, text in digest.shares:
        lines += [f"【{person.name}】", text, ""]
    return "\n".join(lines).rstrip()


@for_managers
async def send_digest(
    callback: CallbackQuery,
    callback_data: MtCb,
    session: AsyncSession,
    member: Member,
    settings: Settings,
) -> None:
    """📋: the digest as messages (≤ 4096 characters each) and as a UTF-8 .txt file."""
    assert callback.bot is not None
    digest = await attempt(callback, service.digest(session, member, callback_data.meeting_id))
    if digest is None:
        return
    await callback.answer()
    text = render_digest(digest, settings)
    for chunk in split_for_telegram(text):
        await callback.bot.send_message(callback.from_user.id, chunk)
    document = BufferedInputFile(
        text.encode("utf-8"), filename=DIGEST_FILE.format(id=callback_data.meeting_id)
    )
    await callback.bot.send_document(callback.from_user.id, document)


@for_managers
async def attendance(
    callback: CallbackQuery,
    callback_data: MtCb,
    session: AsyncSession,
    member: Member,
    clock: Clock,
) -> None:
    """☑️ sheet (paged) and its toggles, for the host after the start."""
    meeting_id, now = callback_data.meeting_id, clock.now()
    if callback_data.action == MtAction.MARK:
        call = service.toggle_attendance(session, member, meeting_id, callback_data.member_id, now)
        if await attempt(callback, call) is None:
            return
    sheet = await attempt(callback, service.attendance_sheet(session, member, meeting_id, now))
    if sheet is None:
        return
    _meeting, people, present = sheet
    markup = kb.attendance_keyboard(meeting_id, people, present, callback_data.page)
    if callback_data.action == MtAction.MARK and callback.message is not None:
        await redraw_buttons(callback, markup)
        return
    text = _("Tap the names of those present ({count} of {total}).").format(
        count=len(present), total=len(people)
    )
    await say(callback, text, markup)


@for_managers
async def host_ask(
    callback: CallbackQuery,
    callback_data: MtCb,
    state: FSMContext,
    session: AsyncSession,
    member: Member,
    clock: Clock,
) -> None:
    """🕒 move, ✏️ edit (place on the first line, agenda below), ✖️ cancel: before the start."""
    call = service.open_hosted(session, member, callback_data.meeting_id, clock.now())
    meeting = await attempt(callback, call)
    if meeting is None:
        return
    data = {"meeting_id": meeting.id}
    if callback_data.action == MtAction.MOVE:
        question = _("Send the new date and time, e.g. 12月5日 19:30.")
        await ask_text(callback, state, MeetingForm.move, data, question)
    elif callback_data.action == MtAction.EDIT:
        question = _("Send the place on the first line and the agenda on the next lines.")
        await ask_text(callback, state, MeetingForm.edit, data, question)
    else:
        await say(callback, _("Cancel this meeting?"), kb.cancel_keyboard(meeting.id or 0))


@for_managers
async def move_time(
    message: Message,
    state: FSMContext,
    session: AsyncSession,
    member: Member,
    clock: Clock,
    settings: Settings,
    app: AppContext,
) -> None:
    starts = await parse_time(message, clock, settings)
    if starts is None:
        return
    data = await state.get_data()
    call = service.move(session, member, data["meeting_id"], starts, clock.now(), settings.tz)
    if not await finish(message, state, call):
        return
    wake_sender(app)
    await message.answer(
        _("🕒 Moved to {starts}. Those who said they would attend are notified.").format(
            starts=local_time_text(starts, settings.tz)
        )
    )


@for_managers
async def edit_save(
    message: Message,
    state: FSMContext,
    session: AsyncSession,
    member: Member,
    clock: Clock,
) -> None:
    place, _newline, agenda = (message.text or "").strip().partition("\n")
    data = await state.get_data()
    call = service.edit_details(session, member, data["meeting_id"], place, agenda, clock.now())
    retry = {MeetingProblem.BAD_PLACE, MeetingProblem.BAD_AGENDA}
    if await finish(message, state, call, retry=retry):
        await message.answer(_("✅ Place and agenda updated."))


@for_managers
async def cancel_confirm(
    callback: CallbackQuery,
    callback_data: MtCb,
    session: AsyncSession,
    member: Member,
    clock: Clock,
    settings: Settings,
    app: AppContext,
) -> None:
    call = service.cancel(session, member, callback_data.meeting_id, clock.now(), settings.tz)
    if await attempt(callback, call) is None:
        return
    wake_sender(app)
    await say(callback, _("✖️ Cancelled. Those who said they would attend are notified."))
