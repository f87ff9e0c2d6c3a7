"""Group study (集体学习): month status, record a session, edit and delete it.

Flow: /group → ➕ → day → length → topic → summary → attendees (toggles) → 💾 Save.
The draft lives in the FSM; its random token is the idempotency key of the record.
"""

from __future__ import annotations

import re
import secrets
from datetime import date, timedelta
from typing import Any

from aiogram import F, Router
from aiogram.filters import Command, StateFilter
from aiogram.fsm.context import FSMContext
from aiogram.fsm.state import State, StatesGroup
from aiogram.types import CallbackQuery, InlineKeyboardMarkup, Message
from aiogram.utils.i18n import gettext as _
from sqlmodel.ext.asyncio.session import AsyncSession

from bot.clock import Clock, local_today
from bot.config import Settings
from bot.datetime_parsing import DateParseError, ParseProblem, parse_past_day
from bot.keyboards import group_study as kb
from bot.keyboards.group_study import GsAction, GsCb
from bot.keyboards.menu import MENU_GROUP
from bot.rules import Month, StudyPolicy, progress_bar
from bot.services import group_study as service
from bot.services.group_study import GroupStudyError, GroupStudyProblem, StudyLength
from bot.services.orgs import manageable_org, managed_root, subtree
from handlers.guards import ensure_role, reject_stale
from storage.models import GroupStudy, Member, Organization, Role

MANAGERS = (Role.SECRETARY, Role.ADMIN)
_HOURS = re.compile(r"^\s*(\d{1,2}(?:\.\d+)?)\s*(?:h|小时|个小时|hours?)?\s*$", re.IGNORECASE)


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


def _half_days(value: float) -> str:
    return f"{value:g}"


def _today(clock: Clock, settings: Settings) -> date:
    return local_today(clock, settings.tz)


async def _say(
    callback: CallbackQuery, text: str, markup: InlineKeyboardMarkup | None = None
) -> None:
    """Answers a tap with a new message in the user's private chat."""
    await callback.answer()
    assert callback.bot is not None
    await callback.bot.send_message(callback.from_user.id, text, reply_markup=markup)


async def _alert(callback: CallbackQuery, text: str) -> None:
    await callback.answer(text, show_alert=True)


async def _status(
    session: AsyncSession, actor: Member, org: Organization, policy: StudyPolicy, today: date
) -> tuple[str, InlineKeyboardMarkup]:
    """The month status text of `org` and its buttons."""
    status = await service.month_status(session, org, Month.of(today), policy)
    ratio = status.half_days / status.required if status.required else 1.0
    lines = [
        _("👥 {org} · group study in {month}: {done}/{required} half-days").format(
            org=org.name,
            month=status.month.key,
            done=_half_days(status.half_days),
            required=status.required,
        ),
        progress_bar(ratio),
    ]
    if not status.sessions:
        lines.append(_("No group study recorded this month yet."))
    for study, count in status.sessions:
        lines.append(
            _("· {day} · {half_days} half-days · {topic} · {count} attended").format(
                day=f"{study.study_date:%m-%d}",
                half_days=_half_days(study.half_days),
                topic=study.topic,
                count=count,
            )
        )
    editable = [s for s, _n in status.sessions if policy.is_editable(s.study_date, today)]
    root = await managed_root(session, actor)
    can_pick = root is not None and len(await subtree(session, root)) > 1
    return "\n".join(lines), kb.status_keyboard(org, editable, can_pick_org=can_pick)


async def show_status(
    message: Message,
    state: FSMContext,
    session: AsyncSession,
    member: Member | None,
    policy: StudyPolicy,
    clock: Clock,
    settings: Settings,
) -> None:
    """/group: the month status of the organisation the secretary or admin manages."""
    if not await ensure_role(message, member, *MANAGERS):
        return
    assert member is not None
    await state.clear()
    root = await managed_root(session, member)
    assert root is not None
    text, markup = await _status(session, member, root, policy, _today(clock, settings))
    await message.answer(text, reply_markup=markup)


async def pick_org(
    callback: CallbackQuery, callback_data: GsCb, session: AsyncSession, member: Member | None
) -> None:
    """The organisations of the subtree, paged, to see or record another one's group study."""
    if not await ensure_role(callback, member, *MANAGERS):
        return
    root = await managed_root(session, member)
    assert root is not None
    orgs = await subtree(session, root)
    await _say(callback, _("Choose the organisation:"), kb.org_picker(orgs, callback_data.page))


async def org_status(
    callback: CallbackQuery,
    callback_data: GsCb,
    session: AsyncSession,
    member: Member | None,
    policy: StudyPolicy,
    clock: Clock,
    settings: Settings,
) -> None:
    if not await ensure_role(callback, member, *MANAGERS):
        return
    assert member is not None
    org = await manageable_org(session, member, callback_data.id)
    if org is None:
        await reject_stale(callback)
        return
    text, markup = await _status(session, member, org, policy, _today(clock, settings))
    await _say(callback, text, markup)


async def start_new(
    callback: CallbackQuery,
    callback_data: GsCb,
    state: FSMContext,
    session: AsyncSession,
    member: Member | None,
) -> None:
    """➕: a fresh draft for the organisation; asks for the day."""
    if not await ensure_role(callback, member, *MANAGERS):
        return
    org = await manageable_org(session, member, callback_data.id)
    if org is None:
        await reject_stale(callback)
        return
    await state.set_state(GroupStudyForm.day)
    await state.set_data({"token": secrets.token_hex(8), "org_id": org.id, "selected": []})
    await _say(
        callback,
        _("Group study of {org}. Which day was it? Tap a button or send a date like 11-18.").format(
            org=org.name
        ),
        kb.day_keyboard(),
    )


async def _accept_day(
    event: Message | CallbackQuery,
    state: FSMContext,
    day: date,
    today: date,
    policy: StudyPolicy,
) -> None:
    try:
        service.check_day(day, today, policy)
    except GroupStudyError as error:
        await _answer(event, problem_text(error.problem, policy))
        return
    await state.update_data(day=day.isoformat())
    await state.set_state(GroupStudyForm.length)
    await _answer(event, _length_question(policy), kb.length_keyboard(), alert=False)


def _length_question(policy: StudyPolicy) -> str:
    return _("How long was it? Tap a button or send hours (a half day is {hours} h).").format(
        hours=f"{policy.half_day_minutes / 60:g}"
    )


async def _answer(
    event: Message | CallbackQuery,
    text: str,
    markup: InlineKeyboardMarkup | None = None,
    *,
    alert: bool = True,
) -> None:
    """A reply to a message, or to a tap: an alert for errors, a message otherwise."""
    if isinstance(event, Message):
        await event.answer(text, reply_markup=markup)
    elif alert:
        await _alert(event, text)
    else:
        await _say(event, text, markup)


async def day_button(
    callback: CallbackQuery,
    callback_data: GsCb,
    state: FSMContext,
    member: Member | None,
    policy: StudyPolicy,
    clock: Clock,
    settings: Settings,
) -> None:
    if not await ensure_role(callback, member, *MANAGERS):
        return
    today = _today(clock, settings)
    day = today if callback_data.action == GsAction.TODAY else today - timedelta(days=1)
    await _accept_day(callback, state, day, today, policy)


async def day_text(
    message: Message,
    state: FSMContext,
    member: Member | None,
    policy: StudyPolicy,
    clock: Clock,
    settings: Settings,
) -> None:
    if not await ensure_role(message, member, *MANAGERS):
        return
    today = _today(clock, settings)
    try:
        day = parse_past_day(message.text or "", today)
    except DateParseError as error:
        if error.problem == ParseProblem.FUTURE:
            await message.answer(problem_text(GroupStudyProblem.FUTURE_DATE, policy))
        else:
            await message.answer(_("I could not read that date. Send it like 11-18 or 11月18日."))
        return
    await _accept_day(message, state, day, today, policy)


async def _accept_length(
    event: Message | CallbackQuery,
    state: FSMContext,
    length: StudyLength,
    session: AsyncSession,
    member: Member,
    policy: StudyPolicy,
    clock: Clock,
    settings: Settings,
) -> None:
    """The length of the new draft, or (when editing) of the stored session at once."""
    counted = _("Counted as {half_days} half-days ({hours} h).").format(
        half_days=_half_days(length.half_days), hours=f"{length.minutes / 60:g}"
    )
    edit_id = (await state.get_data()).get("edit_id")
    if edit_id is not None:
        try:
            await service.update(
                session,
                member,
                edit_id,
                policy,
                _today(clock, settings),
                clock.now(),
                length=length,
            )
        except GroupStudyError as error:
            await _answer(event, problem_text(error.problem, policy))
            return
        await state.clear()
        await _answer(event, "✅ " + counted, alert=False)
        return
    await state.update_data(half_days=length.half_days, minutes=length.minutes)
    await state.set_state(GroupStudyForm.topic)
    await _answer(event, counted + "\n" + _("What was the topic?"), alert=False)


async def length_button(
    callback: CallbackQuery,
    callback_data: GsCb,
    state: FSMContext,
    session: AsyncSession,
    member: Member | None,
    policy: StudyPolicy,
    clock: Clock,
    settings: Settings,
) -> None:
    if not await ensure_role(callback, member, *MANAGERS):
        return
    assert member is not None
    half_days = 1 if callback_data.action == GsAction.HALF_DAY else 2
    length = service.length_of_half_days(half_days, policy)
    await _accept_length(callback, state, length, session, member, policy, clock, settings)


async def length_text(
    message: Message,
    state: FSMContext,
    session: AsyncSession,
    member: Member | None,
    policy: StudyPolicy,
    clock: Clock,
    settings: Settings,
) -> None:
    if not await ensure_role(message, member, *MANAGERS):
        return
    assert member is not None
    match = _HOURS.match(message.text or "")
    try:
        if match is None:
            raise GroupStudyError(GroupStudyProblem.BAD_LENGTH)
        length = service.length_of_hours(float(match.group(1)), policy)
    except GroupStudyError as error:
        await message.answer(problem_text(error.problem, policy))
        return
    await _accept_length(message, state, length, session, member, policy, clock, settings)


async def topic_text(
    message: Message, state: FSMContext, member: Member | None, policy: StudyPolicy
) -> None:
    if not await ensure_role(message, member, *MANAGERS):
        return
    topic = (message.text or "").strip()
    try:
        service.check_text(topic, "")
    except GroupStudyError as error:
        await message.answer(problem_text(error.problem, policy))
        return
    await state.update_data(topic=topic)
    await state.set_state(GroupStudyForm.summary)
    await message.answer(
        _("A short summary (up to 1000 characters), or tap Skip."),
        reply_markup=kb.summary_keyboard(),
    )


async def _ask_attendees(
    event: Message | CallbackQuery, state: FSMContext, session: AsyncSession
) -> None:
    data = await state.get_data()
    await state.set_state(GroupStudyForm.attendees)
    members = await service.org_members(session, data["org_id"])
    markup = kb.attendee_keyboard(members, set(data["selected"]), 0)
    await _answer(event, _("Who attended? Tap names, then Done."), markup, alert=False)


async def summary_text(
    message: Message,
    state: FSMContext,
    session: AsyncSession,
    member: Member | None,
    policy: StudyPolicy,
) -> None:
    if not await ensure_role(message, member, *MANAGERS):
        return
    summary = (message.text or "").strip()
    if len(summary) > service.SUMMARY_MAX:
        await message.answer(problem_text(GroupStudyProblem.BAD_SUMMARY, policy))
        return
    await state.update_data(summary=summary)
    await _ask_attendees(message, state, session)


async def skip_summary(
    callback: CallbackQuery, state: FSMContext, session: AsyncSession, member: Member | None
) -> None:
    if not await ensure_role(callback, member, *MANAGERS):
        return
    await state.update_data(summary="")
    await _ask_attendees(callback, state, session)


async def toggle_attendee(
    callback: CallbackQuery,
    callback_data: GsCb,
    state: FSMContext,
    session: AsyncSession,
    member: Member | None,
) -> None:
    """✅/⬜, everyone, none and paging; a member of another organisation is refused."""
    if not await ensure_role(callback, member, *MANAGERS):
        return
    data = await state.get_data()
    members = await service.org_members(session, data["org_id"])
    ids = [person.id for person in members]
    selected = set(data["selected"])
    action = callback_data.action
    if action == GsAction.TOGGLE:
        if callback_data.id not in ids:
            await reject_stale(callback)
            return
        selected ^= {callback_data.id}
    elif action == GsAction.ALL:
        selected = set(ids)
    elif action == GsAction.NONE:
        selected = set()
    await state.update_data(selected=sorted(selected))
    await callback.answer()
    if callback.message is not None:
        markup = kb.attendee_keyboard(members, selected, callback_data.page)
        await callback.message.edit_reply_markup(reply_markup=markup)  # type: ignore[union-attr]


async def attendees_done(
    callback: CallbackQuery,
    state: FSMContext,
    session: AsyncSession,
    member: Member | None,
    policy: StudyPolicy,
    clock: Clock,
    settings: Settings,
) -> None:
    """Done: saves edited attendees at once, or shows the new draft with 💾 Save."""
    if not await ensure_role(callback, member, *MANAGERS):
        return
    assert member is not None
    data = await state.get_data()
    if not data["selected"]:
        await _alert(callback, problem_text(GroupStudyProblem.NO_ATTENDEES, policy))
        return
    if "edit_id" in data:
        await _save_edit(callback, state, session, member, policy, clock, settings, data)
        return
    await state.set_state(GroupStudyForm.confirm)
    text = _(
        "Please check:\n{day} · {half_days} half-days ({hours} h)\nTopic: {topic}\n"
        "Summary: {summary}\nAttendees: {count}"
    ).format(
        day=data["day"],
        half_days=_half_days(data["half_days"]),
        hours=f"{data['minutes'] / 60:g}",
        topic=data["topic"],
        summary=data["summary"] or "—",
        count=len(data["selected"]),
    )
    await _say(callback, text, kb.save_keyboard())


async def save(
    callback: CallbackQuery,
    state: FSMContext,
    session: AsyncSession,
    member: Member | None,
    policy: StudyPolicy,
    clock: Clock,
    settings: Settings,
) -> None:
    """💾: stores the draft once (its token is the idempotency key)."""
    if not await ensure_role(callback, member, *MANAGERS):
        return
    assert member is not None
    data = await state.get_data()
    draft = service.GroupStudyDraft(
        org_id=data["org_id"],
        study_date=date.fromisoformat(data["day"]),
        length=StudyLength(data["half_days"], data["minutes"]),
        topic=data["topic"],
        summary=data["summary"],
        attendee_ids=frozenset(data["selected"]),
        idempotency_key=f"gs:{data['token']}",
    )
    today = _today(clock, settings)
    try:
        _study, created = await service.record(session, member, draft, policy, today)
    except GroupStudyError as error:
        await _alert(callback, problem_text(error.problem, policy))
        return
    await state.clear()
    org = await manageable_org(session, member, draft.org_id)
    assert org is not None
    text, markup = await _status(session, member, org, policy, today)
    saved = _("✅ Group study saved.") if created else _("This group study was already saved.")
    await _say(callback, f"{saved}\n\n{text}", markup)


async def _editable(
    callback: CallbackQuery,
    callback_data: GsCb,
    session: AsyncSession,
    member: Member | None,
    policy: StudyPolicy,
    clock: Clock,
    settings: Settings,
) -> GroupStudy | None:
    """The group study the tap refers to, if the member may change it now; else answers."""
    if not await ensure_role(callback, member, *MANAGERS):
        return None
    assert member is not None
    try:
        return await service.editable_study(
            session, member, callback_data.id, policy, _today(clock, settings)
        )
    except GroupStudyError as error:
        if error.problem in (GroupStudyProblem.NOT_ALLOWED, GroupStudyProblem.NOT_FOUND):
            await reject_stale(callback)
        else:
            await _alert(callback, problem_text(error.problem, policy))
        return None


async def view_study(
    callback: CallbackQuery,
    callback_data: GsCb,
    session: AsyncSession,
    member: Member | None,
    policy: StudyPolicy,
    clock: Clock,
    settings: Settings,
) -> None:
    study = await _editable(callback, callback_data, session, member, policy, clock, settings)
    if study is None:
        return
    count = len(await service.attendee_ids(session, study.id))
    text = _(
        "{day} · {half_days} half-days ({hours} h)\nTopic: {topic}\nSummary: {summary}\n"
        "Attendees: {count}"
    ).format(
        day=study.study_date.isoformat(),
        half_days=_half_days(study.half_days),
        hours=f"{study.minutes / 60:g}",
        topic=study.topic,
        summary=study.summary or "—",
        count=count,
    )
    await _say(callback, text, kb.study_keyboard(study.id))


async def edit_text_start(
    callback: CallbackQuery,
    callback_data: GsCb,
    state: FSMContext,
    session: AsyncSession,
    member: Member | None,
    policy: StudyPolicy,
    clock: Clock,
    settings: Settings,
) -> None:
    study = await _editable(callback, callback_data, session, member, policy, clock, settings)
    if study is None:
        return
    await state.set_state(GroupStudyForm.edit_text)
    await state.set_data({"edit_id": study.id})
    await _say(
        callback,
        _("Send the new topic on the first line; further lines become the summary."),
    )


async def edit_text_save(
    message: Message,
    state: FSMContext,
    session: AsyncSession,
    member: Member | None,
    policy: StudyPolicy,
    clock: Clock,
    settings: Settings,
) -> None:
    if not await ensure_role(message, member, *MANAGERS):
        return
    assert member is not None
    topic, _newline, summary = (message.text or "").strip().partition("\n")
    data = await state.get_data()
    try:
        study = await service.update(
            session,
            member,
            data["edit_id"],
            policy,
            _today(clock, settings),
            clock.now(),
            topic=topic,
            summary=summary,
        )
    except GroupStudyError as error:
        await message.answer(problem_text(error.problem, policy))
        return
    await state.clear()
    await message.answer(_("✅ Updated: {topic}").format(topic=study.topic))


async def edit_attendees_start(
    callback: CallbackQuery,
    callback_data: GsCb,
    state: FSMContext,
    session: AsyncSession,
    member: Member | None,
    policy: StudyPolicy,
    clock: Clock,
    settings: Settings,
) -> None:
    study = await _editable(callback, callback_data, session, member, policy, clock, settings)
    if study is None:
        return
    selected = sorted(await service.attendee_ids(session, study.id))
    await state.set_data({"edit_id": study.id, "org_id": study.org_id, "selected": selected})
    await _ask_attendees(callback, state, session)


async def edit_length_start(
    callback: CallbackQuery,
    callback_data: GsCb,
    state: FSMContext,
    session: AsyncSession,
    member: Member | None,
    policy: StudyPolicy,
    clock: Clock,
    settings: Settings,
) -> None:
    study = await _editable(callback, callback_data, session, member, policy, clock, settings)
    if study is None:
        return
    await state.set_state(GroupStudyForm.length)
    await state.set_data({"edit_id": study.id})
    await _say(callback, _length_question(policy), kb.length_keyboard())


async def _save_edit(
    callback: CallbackQuery,
    state: FSMContext,
    session: AsyncSession,
    member: Member,
    policy: StudyPolicy,
    clock: Clock,
    settings: Settings,
    data: dict[str, Any],
) -> None:
    try:
        await service.update(
            session,
            member,
            data["edit_id"],
            policy,
            _today(clock, settings),
            clock.now(),
            attendees=data["selected"],
        )
    except GroupStudyError as error:
        await _alert(callback, problem_text(error.problem, policy))
        return
    await state.clear()
    await _say(callback, _("✅ Attendees updated: {count}.").format(count=len(data["selected"])))


async def delete_ask(
    callback: CallbackQuery,
    callback_data: GsCb,
    session: AsyncSession,
    member: Member | None,
    policy: StudyPolicy,
    clock: Clock,
    settings: Settings,
) -> None:
    study = await _editable(callback, callback_data, session, member, policy, clock, settings)
    if study is None:
        return
    await _say(
        callback,
        _("Delete the group study of {day} “{topic}”?").format(
            day=study.study_date.isoformat(), topic=study.topic
        ),
        kb.delete_keyboard(study.id),
    )


async def delete_confirm(
    callback: CallbackQuery,
    callback_data: GsCb,
    session: AsyncSession,
    member: Member | None,
    policy: StudyPolicy,
    clock: Clock,
    settings: Settings,
) -> None:
    study = await _editable(callback, callback_data, session, member, policy, clock, settings)
    if study is None:
        return
    assert member is not None
    await service.remove(session, member, study.id, policy, _today(clock, settings))
    await _say(callback, _("🗑 Deleted."))


async def not_text(message: Message) -> None:
    """A sticker, photo or voice where the flow waits for text."""
    await message.answer(_("Please send text, or /cancel to stop."))


# Text typed in a step; a command (e.g. /meeting in the middle of a flow) goes on to its router.
TYPED = F.text & ~F.text.startswith("/")


def create_router() -> Router:
    router = Router(name="group_study")
    router.message.filter(F.chat.type == "private")
    on = router.callback_query.register
    in_form = StateFilter(GroupStudyForm.attendees)

    router.message.register(show_status, Command("group"))
    router.message.register(show_status, F.text == MENU_GROUP)
    router.message.register(day_text, GroupStudyForm.day, TYPED)
    router.message.register(length_text, GroupStudyForm.length, TYPED)
    router.message.register(topic_text, GroupStudyForm.topic, TYPED)
    router.message.register(summary_text, GroupStudyForm.summary, TYPED)
    router.message.register(edit_text_save, GroupStudyForm.edit_text, TYPED)
    router.message.register(
        not_text,
        StateFilter(
            GroupStudyForm.day,
            GroupStudyForm.length,
            GroupStudyForm.topic,
            GroupStudyForm.summary,
            GroupStudyForm.edit_text,
        ),
        ~F.text,
    )

    on(pick_org, GsCb.filter(F.action == GsAction.ORGS))
    on(org_status, GsCb.filter(F.action == GsAction.STATUS))
    on(start_new, GsCb.filter(F.action == GsAction.NEW))
    on(
        day_button,
        GsCb.filter(F.action.in_({GsAction.TODAY, GsAction.YESTERDAY})),
        GroupStudyForm.day,
    )
    on(
        length_button,
        GsCb.filter(F.action.in_({GsAction.HALF_DAY, GsAction.FULL_DAY})),
        GroupStudyForm.length,
    )
    on(skip_summary, GsCb.filter(F.action == GsAction.NO_SUMMARY), GroupStudyForm.summary)
    on(
        toggle_attendee,
        GsCb.filter(F.action.in_({GsAction.TOGGLE, GsAction.ALL, GsAction.NONE, GsAction.PAGE})),
        in_form,
    )
    on(attendees_done, GsCb.filter(F.action == GsAction.DONE), in_form)
    on(save, GsCb.filter(F.action == GsAction.SAVE), GroupStudyForm.confirm)
    on(view_study, GsCb.filter(F.action == GsAction.VIEW))
    on(edit_text_start, GsCb.filter(F.action == GsAction.EDIT_TOPIC))
    on(edit_attendees_start, GsCb.filter(F.action == GsAction.EDIT_ATTENDEES))
    on(edit_length_start, GsCb.filter(F.action == GsAction.EDIT_LENGTH))
    on(delete_ask, GsCb.filter(F.action == GsAction.DELETE))
    on(delete_confirm, GsCb.filter(F.action == GsAction.DELETE_CONFIRM))
    on(reject_stale, GsCb.filter())  # a step's button after the step has passed
    return router
