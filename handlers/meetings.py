"""The monthly exchange meeting: overview, schedule, RSVP, 心得, digest, attendance.

/meeting shows the meetings the user is invited to (with their answer) and, for
secretaries and admins, those hosted in their subtree, a "schedule" button and — from
`meeting_deadline_day` on — the organisations with no meeting this month.
"""

from __future__ import annotations

import secrets
from datetime import datetime

from aiogram import F, Router
from aiogram.filters import Command, StateFilter
from aiogram.fsm.context import FSMContext
from aiogram.fsm.state import State, StatesGroup
from aiogram.types import BufferedInputFile, CallbackQuery, InlineKeyboardMarkup, Message
from aiogram.utils.i18n import gettext as _
from sqlmodel.ext.asyncio.session import AsyncSession

from bot.clock import Clock, local_today
from bot.config import Settings
from bot.context import AppContext
from bot.datetime_parsing import DateParseError, ParseProblem, parse_meeting_time
from bot.keyboards import meetings as kb
from bot.keyboards.meetings import HostCb, MtAction, MtCb
from bot.keyboards.menu import MENU_MEETING
from bot.rules import Month
from bot.services import meetings as service
from bot.services.meetings import MeetingError, MeetingProblem, local_time_text, member_names
from bot.services.orgs import manageable_org, managed_root
from handlers.guards import ensure_member, ensure_role, reject_stale
from handlers.reminders import SERVICE_KEY
from storage.models import MeetingStatus, Member, Organization, ReplyAnswer, Role

MANAGERS = (Role.SECRETARY, Role.ADMIN)
DIGEST_FILE = "meeting-{id}-digest.txt"


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


async def _say(
    callback: CallbackQuery, text: str, markup: InlineKeyboardMarkup | None = None
) -> None:
    await callback.answer()
    assert callback.bot is not None
    await callback.bot.send_message(callback.from_user.id, text, reply_markup=markup)


async def _refuse(event: Message | CallbackQuery, error: MeetingError, count: int = 0) -> None:
    """A forged or foreign id gets the stale-button answer; other problems their own text."""
    if isinstance(event, CallbackQuery) and error.problem == MeetingProblem.NOT_ALLOWED:
        await reject_stale(event)
        return
    text = problem_text(error.problem).format(count=count)
    if isinstance(event, CallbackQuery):
        await event.answer(text, show_alert=True)
    else:
        await event.answer(text)


def _wake_sender(app: AppContext) -> None:
    """Announcements were just queued: the reminder engine's sender need not wait its poll."""
    reminders = app.extras.get(SERVICE_KEY)
    if reminders is not None:
        reminders.sender.wake()


def _details(org_name: str, starts: datetime, place: str, agenda: str, settings: Settings) -> str:
    return _("🗣 {org} · exchange meeting\n🕒 {starts}\n📍 {place}\n📝 {agenda}").format(
        org=org_name, starts=local_time_text(starts, settings.tz), place=place, agenda=agenda
    )


# --- overview ------------------------------------------------------------------------


async def overview(
    message: Message,
    state: FSMContext,
    session: AsyncSession,
    member: Member | None,
    clock: Clock,
    settings: Settings,
) -> None:
    """/meeting: my meetings, hosted meetings and the organisations still without one."""
    if not await ensure_member(message, member):
        return
    assert member is not None
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
    chunks = service.split_for_telegram("\n".join(lines))
    for chunk in chunks[:-1]:
        await message.answer(chunk)
    markup = kb.overview_keyboard(buttons[: kb.MAX_LISTED], is_manager)
    await message.answer(chunks[-1], reply_markup=markup)


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


async def view(
    callback: CallbackQuery,
    callback_data: MtCb,
    session: AsyncSession,
    member: Member | None,
    clock: Clock,
    settings: Settings,
) -> None:
    """One meeting: details, the member's own answer and 心得, and what they may do."""
    if not await ensure_member(callback, member):
        return
    assert member is not None
    try:
        meeting = await service.visible_meeting(session, member, callback_data.meeting_id)
    except MeetingError as error:
        await _refuse(callback, error)
        return
    now = clock.now()
    host_org = await session.get(Organization, meeting.org_id)
    assert host_org is not None
    invited = await service.is_invited(session, member, meeting)
    host = await manageable_org(session, member, meeting.org_id) is not None
    lines = [_details(host_org.name, meeting.starts_at, meeting.place, meeting.agenda, settings)]
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
    await _say(callback, "\n".join(lines), markup)


# --- invitee: answer, leave reason, 心得, check-in ------------------------------------


async def quick_reply(
    callback: CallbackQuery,
    callback_data: MtCb,
    session: AsyncSession,
    member: Member | None,
    clock: Clock,
) -> None:
    """✅ attend / 🤔 undecided: stored at once, changeable until the start."""
    if not await ensure_member(callback, member):
        return
    assert member is not None
    answer = (
        ReplyAnswer.ATTEND if callback_data.action == MtAction.ATTEND else ReplyAnswer.UNDECIDED
    )
    try:
        await service.set_reply(session, member, callback_data.meeting_id, answer, clock.now())
    except MeetingError as error:
        await _refuse(callback, error)
        return
    await _say(callback, _("Noted: {answer}.").format(answer=answer_label(answer)))


async def leave_start(
    callback: CallbackQuery,
    callback_data: MtCb,
    state: FSMContext,
    session: AsyncSession,
    member: Member | None,
    clock: Clock,
) -> None:
    """🙏: asks for the reason; the answer is stored with it."""
    if not await ensure_member(callback, member):
        return
    assert member is not None
    try:
        meeting = await service.open_invited(session, member, callback_data.meeting_id, clock.now())
    except MeetingError as error:
        await _refuse(callback, error)
        return
    await state.set_state(MeetingForm.leave_reason)
    await state.set_data({"meeting_id": meeting.id})
    await _say(callback, _("Please send the reason for your leave (up to 200 characters)."))


async def leave_reason(
    message: Message,
    state: FSMContext,
    session: AsyncSession,
    member: Member | None,
    clock: Clock,
) -> None:
    if not await ensure_member(message, member):
        return
    assert member is not None
    data = await state.get_data()
    try:
        await service.set_reply(
            session, member, data["meeting_id"], ReplyAnswer.LEAVE, clock.now(), message.text or ""
        )
    except MeetingError as error:
        await _refuse(message, error)
        if error.problem != MeetingProblem.BAD_REASON:
            await state.clear()
        return
    await state.clear()
    await message.answer(_("Noted: {answer}.").format(answer=answer_label(ReplyAnswer.LEAVE)))


async def share_start(
    callback: CallbackQuery,
    callback_data: MtCb,
    state: FSMContext,
    session: AsyncSession,
    member: Member | None,
    clock: Clock,
) -> None:
    """✍️: asks for the 心得 text (replaces an earlier one until the start)."""
    if not await ensure_member(callback, member):
        return
    assert member is not None
    try:
        meeting = await service.open_invited(session, member, callback_data.meeting_id, clock.now())
    except MeetingError as error:
        await _refuse(callback, error)
        return
    await state.set_state(MeetingForm.share)
    await state.set_data({"meeting_id": meeting.id})
    text = _("Send your learning outcomes and reflections for the meeting (up to 1000 characters).")
    share = await service.my_share(session, member, meeting.id or 0)
    if share is not None:
        text += "\n" + _("Your current text will be replaced.")
    await _say(callback, text)


async def share_text(
    message: Message,
    state: FSMContext,
    session: AsyncSession,
    member: Member | None,
    clock: Clock,
) -> None:
    if not await ensure_member(message, member):
        return
    assert member is not None
    data = await state.get_data()
    text = message.text or ""
    try:
        await service.submit_share(session, member, data["meeting_id"], text, clock.now())
    except MeetingError as error:
        await _refuse(message, error, count=len(text.strip()))
        if error.problem != MeetingProblem.BAD_SHARE:
            await state.clear()
        return
    await state.clear()
    await message.answer(_("✅ Your reflections are saved. You can change them until the start."))


async def check_in(
    callback: CallbackQuery,
    callback_data: MtCb,
    session: AsyncSession,
    member: Member | None,
    clock: Clock,
    settings: Settings,
) -> None:
    if not await ensure_member(callback, member):
        return
    assert member is not None
    try:
        await service.check_in(
            session,
            member,
            callback_data.meeting_id,
            clock.now(),
            settings.meeting_checkin_window_minutes,
        )
    except MeetingError as error:
        await _refuse(callback, error)
        return
    await _say(callback, _("📍 You are checked in."))


# --- host: digest, attendance, move, cancel ------------------------------------------


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


async def send_digest(
    callback: CallbackQuery,
    callback_data: MtCb,
    session: AsyncSession,
    member: Member | None,
    settings: Settings,
) -> None:
    """📋: the digest as messages (≤ 4096 characters each) and as a UTF-8 .txt file."""
    if not await ensure_role(callback, member, *MANAGERS):
        return
    assert member is not None and callback.bot is not None
    try:
        digest = await service.digest(session, member, callback_data.meeting_id)
    except MeetingError as error:
        await _refuse(callback, error)
        return
    await callback.answer()
    text = render_digest(digest, settings)
    for chunk in service.split_for_telegram(text):
        await callback.bot.send_message(callback.from_user.id, chunk)
    document = BufferedInputFile(
        text.encode("utf-8"), filename=DIGEST_FILE.format(id=callback_data.meeting_id)
    )
    await callback.bot.send_document(callback.from_user.id, document)


async def attendance(
    callback: CallbackQuery,
    callback_data: MtCb,
    session: AsyncSession,
    member: Member | None,
    clock: Clock,
) -> None:
    """☑️ sheet (paged) and its toggles, for the host after the start."""
    if not await ensure_role(callback, member, *MANAGERS):
        return
    assert member is not None
    meeting_id, now = callback_data.meeting_id, clock.now()
    try:
        if callback_data.action == MtAction.MARK:
            await service.toggle_attendance(
                session, member, meeting_id, callback_data.member_id, now
            )
        _meeting, people, present = await service.attendance_sheet(session, member, meeting_id, now)
    except MeetingError as error:
        await _refuse(callback, error)
        return
    markup = kb.attendance_keyboard(meeting_id, people, present, callback_data.page)
    if callback_data.action == MtAction.MARK and callback.message is not None:
        await callback.answer()
        await callback.message.edit_reply_markup(reply_markup=markup)  # type: ignore[union-attr]
        return
    text = _("Tap the names of those present ({count} of {total}).").format(
        count=len(present), total=len(people)
    )
    await _say(callback, text, markup)


async def move_start(
    callback: CallbackQuery,
    callback_data: MtCb,
    state: FSMContext,
    session: AsyncSession,
    member: Member | None,
    clock: Clock,
) -> None:
    if not await ensure_role(callback, member, *MANAGERS):
        return
    assert member is not None
    try:
        meeting = await service.open_hosted(session, member, callback_data.meeting_id, clock.now())
    except MeetingError as error:
        await _refuse(callback, error)
        return
    await state.set_state(MeetingForm.move)
    await state.set_data({"meeting_id": meeting.id})
    await _say(callback, _("Send the new date and time, e.g. 12月5日 19:30."))


async def move_time(
    message: Message,
    state: FSMContext,
    session: AsyncSession,
    member: Member | None,
    clock: Clock,
    settings: Settings,
    app: AppContext,
) -> None:
    if not await ensure_role(message, member, *MANAGERS):
        return
    assert member is not None
    starts = await _parse_time(message, clock, settings)
    if starts is None:
        return
    data = await state.get_data()
    try:
        meeting = await service.move(
            session, member, data["meeting_id"], starts, clock.now(), settings.tz
        )
    except MeetingError as error:
        await _refuse(message, error)
        await state.clear()
        return
    await state.clear()
    _wake_sender(app)
    await message.answer(
        _("🕒 Moved to {starts}. Those who said they would attend are notified.").format(
            starts=local_time_text(meeting.starts_at, settings.tz)
        )
    )


async def edit_start(
    callback: CallbackQuery,
    callback_data: MtCb,
    state: FSMContext,
    session: AsyncSession,
    member: Member | None,
    clock: Clock,
) -> None:
    """✏️: place on the first line, agenda below."""
    if not await ensure_role(callback, member, *MANAGERS):
        return
    assert member is not None
    try:
        meeting = await service.open_hosted(session, member, callback_data.meeting_id, clock.now())
    except MeetingError as error:
        await _refuse(callback, error)
        return
    await state.set_state(MeetingForm.edit)
    await state.set_data({"meeting_id": meeting.id})
    await _say(callback, _("Send the place on the first line and the agenda on the next lines."))


async def edit_save(
    message: Message,
    state: FSMContext,
    session: AsyncSession,
    member: Member | None,
    clock: Clock,
) -> None:
    if not await ensure_role(message, member, *MANAGERS):
        return
    assert member is not None
    place, _newline, agenda = (message.text or "").strip().partition("\n")
    data = await state.get_data()
    try:
        await service.edit_details(session, member, data["meeting_id"], place, agenda, clock.now())
    except MeetingError as error:
        await _refuse(message, error)
        if error.problem not in (MeetingProblem.BAD_PLACE, MeetingProblem.BAD_AGENDA):
            await state.clear()
        return
    await state.clear()
    await message.answer(_("✅ Place and agenda updated."))


async def cancel_ask(
    callback: CallbackQuery,
    callback_data: MtCb,
    session: AsyncSession,
    member: Member | None,
    clock: Clock,
) -> None:
    if not await ensure_role(callback, member, *MANAGERS):
        return
    assert member is not None
    try:
        meeting = await service.open_hosted(session, member, callback_data.meeting_id, clock.now())
    except MeetingError as error:
        await _refuse(callback, error)
        return
    await _say(callback, _("Cancel this meeting?"), kb.cancel_keyboard(meeting.id or 0))


async def cancel_confirm(
    callback: CallbackQuery,
    callback_data: MtCb,
    session: AsyncSession,
    member: Member | None,
    clock: Clock,
    settings: Settings,
    app: AppContext,
) -> None:
    if not await ensure_role(callback, member, *MANAGERS):
        return
    assert member is not None
    try:
        await service.cancel(session, member, callback_data.meeting_id, clock.now(), settings.tz)
    except MeetingError as error:
        await _refuse(callback, error)
        return
    _wake_sender(app)
    await _say(callback, _("✖️ Cancelled. Those who said they would attend are notified."))


# --- host: schedule a new meeting ----------------------------------------------------


async def new_meeting(
    callback: CallbackQuery,
    callback_data: MtCb,
    state: FSMContext,
    session: AsyncSession,
    member: Member | None,
) -> None:
    """➕: picks the host organisation (at once if there is only one)."""
    if not await ensure_role(callback, member, *MANAGERS):
        return
    assert member is not None
    orgs = await service.host_candidates(session, member)
    if len(orgs) == 1:
        await _start_draft(callback, state, orgs[0])
        return
    await _say(
        callback,
        _("Which organisation hosts the meeting? Its whole subtree is invited."),
        kb.host_picker(orgs, callback_data.page),
    )


async def host_picked(
    callback: CallbackQuery,
    callback_data: HostCb,
    state: FSMContext,
    session: AsyncSession,
    member: Member | None,
) -> None:
    if not await ensure_role(callback, member, *MANAGERS):
        return
    org = await manageable_org(session, member, callback_data.org_id)
    if org is None:
        await reject_stale(callback)
        return
    await _start_draft(callback, state, org)


async def _start_draft(callback: CallbackQuery, state: FSMContext, org: Organization) -> None:
    await state.set_state(MeetingForm.starts)
    await state.set_data({"token": secrets.token_hex(8), "org_id": org.id, "org": org.name})
    await _say(
        callback,
        _(
            "New exchange meeting of {org}. When does it start? "
            "E.g. 2026-12-05 19:30, 12月5日 19:30, 12/5 19:30 or 下周三 19:30."
        ).format(org=org.name),
    )


async def _parse_time(message: Message, clock: Clock, settings: Settings) -> datetime | None:
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


async def draft_starts(
    message: Message, state: FSMContext, member: Member | None, clock: Clock, settings: Settings
) -> None:
    if not await ensure_role(message, member, *MANAGERS):
        return
    starts = await _parse_time(message, clock, settings)
    if starts is None:
        return
    await state.update_data(starts=starts.isoformat())
    await state.set_state(MeetingForm.place)
    await message.answer(_("Where? Send the place or the online meeting link."))


async def draft_place(message: Message, state: FSMContext, member: Member | None) -> None:
    if not await ensure_role(message, member, *MANAGERS):
        return
    try:
        place = service.check_place(message.text or "")
    except MeetingError as error:
        await _refuse(message, error)
        return
    await state.update_data(place=place)
    await state.set_state(MeetingForm.agenda)
    await message.answer(_("The agenda (up to 1000 characters):"))


async def draft_agenda(
    message: Message, state: FSMContext, member: Member | None, settings: Settings
) -> None:
    if not await ensure_role(message, member, *MANAGERS):
        return
    try:
        agenda = service.check_agenda(message.text or "")
    except MeetingError as error:
        await _refuse(message, error)
        return
    data = await state.update_data(agenda=agenda)
    await state.set_state(MeetingForm.confirm)
    starts = datetime.fromisoformat(data["starts"])
    text = _details(data["org"], starts, data["place"], agenda, settings)
    await message.answer(_("Please check:") + "\n" + text, reply_markup=kb.save_keyboard())


async def draft_save(
    callback: CallbackQuery,
    state: FSMContext,
    session: AsyncSession,
    member: Member | None,
    clock: Clock,
    settings: Settings,
    app: AppContext,
) -> None:
    """📣: stores the meeting once and queues the announcement to every invitee."""
    if not await ensure_role(callback, member, *MANAGERS):
        return
    assert member is not None
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
        await _refuse(callback, error)
        if error.problem == MeetingProblem.PAST:
            await state.set_state(MeetingForm.starts)
        return
    await state.clear()
    if not created:
        await _say(callback, _("This meeting was already scheduled."))
        return
    _wake_sender(app)
    count = sum(person.id != member.id for person in await service.invitees(session, meeting))
    await _say(
        callback,
        _("📣 Scheduled for {starts}. The announcement goes to {count} invitees.").format(
            starts=local_time_text(meeting.starts_at, settings.tz), count=count
        ),
    )


async def not_text(message: Message) -> None:
    """A sticker, photo or voice where the flow waits for text."""
    await message.answer(_("Please send text, or /cancel to stop."))


# Text typed in a step; a command (e.g. /meeting in the middle of a flow) goes on to its router.
TYPED = F.text & ~F.text.startswith("/")


def create_router() -> Router:
    router = Router(name="meetings")
    router.message.filter(F.chat.type == "private")
    on = router.callback_query.register
    text_states = (
        MeetingForm.starts,
        MeetingForm.place,
        MeetingForm.agenda,
        MeetingForm.leave_reason,
        MeetingForm.share,
        MeetingForm.move,
        MeetingForm.edit,
    )

    router.message.register(overview, Command("meeting"))
    router.message.register(overview, F.text == MENU_MEETING)
    router.message.register(draft_starts, MeetingForm.starts, TYPED)
    router.message.register(draft_place, MeetingForm.place, TYPED)
    router.message.register(draft_agenda, MeetingForm.agenda, TYPED)
    router.message.register(leave_reason, MeetingForm.leave_reason, TYPED)
    router.message.register(share_text, MeetingForm.share, TYPED)
    router.message.register(move_time, MeetingForm.move, TYPED)
    router.message.register(edit_save, MeetingForm.edit, TYPED)
    router.message.register(not_text, StateFilter(*text_states), ~F.text)

    on(view, MtCb.filter(F.action == MtAction.VIEW))
    on(quick_reply, MtCb.filter(F.action.in_({MtAction.ATTEND, MtAction.UNDECIDED})))
    on(leave_start, MtCb.filter(F.action == MtAction.LEAVE))
    on(share_start, MtCb.filter(F.action == MtAction.SHARE))
    on(check_in, MtCb.filter(F.action == MtAction.CHECK_IN))
    on(send_digest, MtCb.filter(F.action == MtAction.DIGEST))
    on(attendance, MtCb.filter(F.action.in_({MtAction.SHEET, MtAction.MARK})))
    on(move_start, MtCb.filter(F.action == MtAction.MOVE))
    on(edit_start, MtCb.filter(F.action == MtAction.EDIT))
    on(cancel_ask, MtCb.filter(F.action == MtAction.CANCEL))
    on(cancel_confirm, MtCb.filter(F.action == MtAction.CANCEL_CONFIRM))
    on(new_meeting, MtCb.filter(F.action.in_({MtAction.NEW, MtAction.HOSTS})))
    on(host_picked, HostCb.filter())
    on(draft_save, MtCb.filter(F.action == MtAction.SAVE), MeetingForm.confirm)
    on(reject_stale, MtCb.filter())
    return router
