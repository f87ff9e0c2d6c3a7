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

from bot.clock import local_today
from bot.context import AppContext
from bot.datetime_parsing import DateParseError, ParseProblem, parse_past_day
from bot.keyboards import group_study as kb
from bot.keyboards.group_study import GsAction, GsCb
from bot.keyboards.menu import MENU_GROUP
from bot.rules import Month, StudyPolicy, progress_bar
from bot.services import group_study as service
from bot.services.group_study import GroupStudyError, GroupStudyProblem, StudyLength
from bot.services.orgs import manageable_org, managed_root
from bot.text import split_for_telegram
from handlers.flow import (
    TYPED,
    ask_text,
    for_managers,
    managed_orgs,
    next_step,
    not_text,
    redraw_buttons,
    reply,
    say,
    tapped_org,
)
from handlers.guards import reject_stale
from storage.models import GroupStudy, Member, Organization

STUDY_ACTIONS = {
    GsAction.VIEW,
    GsAction.EDIT_TOPIC,
    GsAction.EDIT_ATTENDEES,
    GsAction.EDIT_LENGTH,
    GsAction.DELETE,
    GsAction.DELETE_CONFIRM,
}
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


def _today(app: AppContext) -> date:
    return local_today(app.clock, app.settings.tz)


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
    can_pick = len(await managed_orgs(session, actor)) > 1
    return "\n".join(lines), kb.status_keyboard(org, editable, can_pick_org=can_pick)


async def _send_status(
    event: Message | CallbackQuery, text: str, markup: InlineKeyboardMarkup
) -> None:
    """A status lists every session of the month (topics up to 200 characters): split it."""
    *first, last = split_for_telegram(text)
    for chunk in first:
        if isinstance(event, Message):
            await event.answer(chunk)
        else:
            await event.bot.send_message(event.from_user.id, chunk)
    await reply(event, last, markup)


@for_managers
async def show_status(
    message: Message,
    state: FSMContext,
    session: AsyncSession,
    member: Member,
    app: AppContext,
) -> None:
    """/group: the month status of the organisation the secretary or admin manages."""
    await state.clear()
    root = await managed_root(session, member)
    assert root is not None
    await _send_status(message, *await _status(session, member, root, app.policy, _today(app)))


@for_managers
async def pick_org(
    callback: CallbackQuery, callback_data: GsCb, session: AsyncSession, member: Member
) -> None:
    """The organisations of the subtree, paged, to see or record another one's group study."""
    orgs = await managed_orgs(session, member)
    await say(callback, _("Choose the organisation:"), kb.org_picker(orgs, callback_data.page))


@for_managers
async def org_status(
    callback: CallbackQuery,
    callback_data: GsCb,
    session: AsyncSession,
    member: Member,
    app: AppContext,
) -> None:
    org = await tapped_org(callback, member, session, callback_data.id)
    if org is None:
        return
    await _send_status(callback, *await _status(session, member, org, app.policy, _today(app)))


@for_managers
async def start_new(
    callback: CallbackQuery,
    callback_data: GsCb,
    state: FSMContext,
    session: AsyncSession,
    member: Member,
) -> None:
    """➕: a fresh draft for the organisation; asks for the day."""
    org = await tapped_org(callback, member, session, callback_data.id)
    if org is None:
        return
    question = _(
        "Group study of {org}. Which day was it? Tap a button or send a date like 11-18."
    ).format(org=org.name)
    data = {"token": secrets.token_hex(8), "org_id": org.id, "selected": []}
    await ask_text(callback, state, GroupStudyForm.day, data, question, kb.day_keyboard())


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
    question = _length_question(policy)
    markup = kb.length_keyboard()
    await next_step(event, state, GroupStudyForm.length, question, markup, day=day.isoformat())


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
    if isinstance(event, CallbackQuery) and alert:
        await _alert(event, text)
    else:
        await reply(event, text, markup)


@for_managers
async def day_button(
    callback: CallbackQuery,
    callback_data: GsCb,
    state: FSMContext,
    member: Member,
    app: AppContext,
) -> None:
    today = _today(app)
    day = today if callback_data.action == GsAction.TODAY else today - timedelta(days=1)
    await _accept_day(callback, state, day, today, app.policy)


@for_managers
async def day_text(
    message: Message,
    state: FSMContext,
    member: Member,
    app: AppContext,
) -> None:
    today = _today(app)
    try:
        day = parse_past_day(message.text or "", today)
    except DateParseError as error:
        if error.problem == ParseProblem.FUTURE:
            await message.answer(problem_text(GroupStudyProblem.FUTURE_DATE, app.policy))
        else:
            await message.answer(_("I could not read that date. Send it like 11-18 or 11月18日."))
        return
    await _accept_day(message, state, day, today, app.policy)


async def _accept_length(
    event: Message | CallbackQuery,
    state: FSMContext,
    length: StudyLength,
    session: AsyncSession,
    member: Member,
    app: AppContext,
) -> None:
    """The length of the new draft, or (when editing) of the stored session at once."""
    counted = _("Counted as {half_days} half-days ({hours} h).").format(
        half_days=_half_days(length.half_days), hours=f"{length.minutes / 60:g}"
    )
    edit_id = (await state.get_data()).get("edit_id")
    if edit_id is None:
        question = counted + "\n" + _("What was the topic?")
        await next_step(
            event,
            state,
            GroupStudyForm.topic,
            question,
            half_days=length.half_days,
            minutes=length.minutes,
        )
        return
    study = await _update(event, state, session, member, app, edit_id, length=length)
    if study is not None:
        await reply(event, "✅ " + counted)


async def _update(
    event: Message | CallbackQuery,
    state: FSMContext,
    session: AsyncSession,
    member: Member,
    app: AppContext,
    edit_id: int,
    **changes: Any,
) -> GroupStudy | None:
    """Applies an edit to a stored group study and ends the flow; None after refusing it."""
    today = _today(app)
    try:
        study = await service.update(
            session, member, edit_id, app.policy, today, app.clock.now(), **changes
        )
    except GroupStudyError as error:
        await _answer(event, problem_text(error.problem, app.policy))
        return None
    await state.clear()
    return study


@for_managers
async def length_button(
    callback: CallbackQuery,
    callback_data: GsCb,
    state: FSMContext,
    session: AsyncSession,
    member: Member,
    app: AppContext,
) -> None:
    half_days = 1 if callback_data.action == GsAction.HALF_DAY else 2
    length = service.length_of_half_days(half_days, app.policy)
    await _accept_length(callback, state, length, session, member, app)


@for_managers
async def length_text(
    message: Message,
    state: FSMContext,
    session: AsyncSession,
    member: Member,
    app: AppContext,
) -> None:
    match = _HOURS.match(message.text or "")
    try:
        if match is None:
            raise GroupStudyError(GroupStudyProblem.BAD_LENGTH)
        length = service.length_of_hours(float(match.group(1)), app.policy)
    except GroupStudyError as error:
        await message.answer(problem_text(error.problem, app.policy))
        return
    await _accept_length(message, state, length, session, member, app)


@for_managers
async def topic_text(
    message: Message, state: FSMContext, member: Member, policy: StudyPolicy
) -> None:
    topic = (message.text or "").strip()
    try:
        service.check_text(topic, "")
    except GroupStudyError as error:
        await message.answer(problem_text(error.problem, policy))
        return
    question = _("A short summary (up to 1000 characters), or tap Skip.")
    markup = kb.summary_keyboard()
    await next_step(message, state, GroupStudyForm.summary, question, markup, topic=topic)


async def _ask_attendees(
    event: Message | CallbackQuery, state: FSMContext, session: AsyncSession
) -> None:
    data = await state.get_data()
    await state.set_state(GroupStudyForm.attendees)
    members = await service.org_members(session, data["org_id"])
    markup = kb.attendee_keyboard(members, set(data["selected"]), 0)
    await reply(event, _("Who attended? Tap names, then Done."), markup)


@for_managers
async def summary_text(
    message: Message,
    state: FSMContext,
    session: AsyncSession,
    member: Member,
    policy: StudyPolicy,
) -> None:
    summary = (message.text or "").strip()
    if len(summary) > service.SUMMARY_MAX:
        await message.answer(problem_text(GroupStudyProblem.BAD_SUMMARY, policy))
        return
    await state.update_data(summary=summary)
    await _ask_attendees(message, state, session)


@for_managers
async def skip_summary(
    callback: CallbackQuery, state: FSMContext, session: AsyncSession, member: Member
) -> None:
    await state.update_data(summary="")
    await _ask_attendees(callback, state, session)


@for_managers
async def toggle_attendee(
    callback: CallbackQuery,
    callback_data: GsCb,
    state: FSMContext,
    session: AsyncSession,
    member: Member,
) -> None:
    """✅/⬜, everyone, none and paging; a member of another organisation is refused."""
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
    await redraw_buttons(callback, kb.attendee_keyboard(members, selected, callback_data.page))


@for_managers
async def attendees_done(
    callback: CallbackQuery,
    state: FSMContext,
    session: AsyncSession,
    member: Member,
    app: AppContext,
) -> None:
    """Done: saves edited attendees at once, or shows the new draft with 💾 Save."""
    data = await state.get_data()
    if not data["selected"]:
        await _alert(callback, problem_text(GroupStudyProblem.NO_ATTENDEES, app.policy))
        return
    if "edit_id" in data:
        selected = data["selected"]
        edit_id = data["edit_id"]
        study = await _update(callback, state, session, member, app, edit_id, attendees=selected)
        if study is not None:
            await say(callback, _("✅ Attendees updated: {count}.").format(count=len(selected)))
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
    await say(callback, text, kb.save_keyboard())


@for_managers
async def save(
    callback: CallbackQuery,
    state: FSMContext,
    session: AsyncSession,
    member: Member,
    app: AppContext,
) -> None:
    """💾: stores the draft once (its token is the idempotency key)."""
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
    today = _today(app)
    try:
        _study, created = await service.record(session, member, draft, app.policy, today)
    except GroupStudyError as error:
        await _alert(callback, problem_text(error.problem, app.policy))
        return
    await state.clear()
    org = await manageable_org(session, member, draft.org_id)
    assert org is not None
    text, markup = await _status(session, member, org, app.policy, today)
    saved = _("✅ Group study saved.") if created else _("This group study was already saved.")
    await _send_status(callback, f"{saved}\n\n{text}", markup)


async def _editable(
    callback: CallbackQuery,
    callback_data: GsCb,
    session: AsyncSession,
    member: Member,
    app: AppContext,
) -> GroupStudy | None:
    """The group study the tap refers to, if the member may change it now; else answers."""
    try:
        return await service.editable_study(
            session, member, callback_data.id, app.policy, _today(app)
        )
    except GroupStudyError as error:
        if error.problem in (GroupStudyProblem.NOT_ALLOWED, GroupStudyProblem.NOT_FOUND):
            await reject_stale(callback)
        else:
            await _alert(callback, problem_text(error.problem, app.policy))
        return None


@for_managers
async def study_action(
    callback: CallbackQuery,
    callback_data: GsCb,
    state: FSMContext,
    session: AsyncSession,
    member: Member,
    app: AppContext,
) -> None:
    """The buttons of one stored group study: view, edit, delete (while it is editable)."""
    study = await _editable(callback, callback_data, session, member, app)
    if study is None:
        return
    assert study.id is not None
    action, data = callback_data.action, {"edit_id": study.id}
    if action == GsAction.VIEW:
        await say(callback, await _study_text(session, study), kb.study_keyboard(study.id))
    elif action == GsAction.EDIT_TOPIC:
        question = _("Send the new topic on the first line; further lines become the summary.")
        await ask_text(callback, state, GroupStudyForm.edit_text, data, question)
    elif action == GsAction.EDIT_ATTENDEES:
        selected = sorted(await service.attendee_ids(session, study.id))
        await state.set_data({**data, "org_id": study.org_id, "selected": selected})
        await _ask_attendees(callback, state, session)
    elif action == GsAction.EDIT_LENGTH:
        question, markup = _length_question(app.policy), kb.length_keyboard()
        await ask_text(callback, state, GroupStudyForm.length, data, question, markup)
    elif action == GsAction.DELETE:
        question = _("Delete the group study of {day} “{topic}”?").format(
            day=study.study_date.isoformat(), topic=study.topic
        )
        await say(callback, question, kb.delete_keyboard(study.id))
    else:
        await service.remove(session, member, study.id, app.policy, _today(app))
        await say(callback, _("🗑 Deleted."))


async def _study_text(session: AsyncSession, study: GroupStudy) -> str:
    count = len(await service.attendee_ids(session, study.id))
    return _(
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


@for_managers
async def edit_text_save(
    message: Message,
    state: FSMContext,
    session: AsyncSession,
    member: Member,
    app: AppContext,
) -> None:
    topic, _newline, summary = (message.text or "").strip().partition("\n")
    edit_id = (await state.get_data())["edit_id"]
    study = await _update(
        message,
        state,
        session,
        member,
        app,
        edit_id,
        topic=topic,
        summary=summary,
    )
    if study is not None:
        await message.answer(_("✅ Updated: {topic}").format(topic=study.topic))


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
    on(study_action, GsCb.filter(F.action.in_(STUDY_ACTIONS)))
    on(reject_stale, GsCb.filter())  # a step's button after the step has passed
    on(reject_stale, F.data.startswith("gs:"))  # forged data that does not unpack
    return router
