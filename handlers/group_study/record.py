"""Recording a group study: day → length → topic → summary → attendees → 💾 Save.

The draft lives in the FSM; its random token is the idempotency key of the record. The
length and attendee steps also serve the edit of a stored session (`edit_id` in the data).
"""

from __future__ import annotations

import re
import secrets
from datetime import date, timedelta

from aiogram.fsm.context import FSMContext
from aiogram.types import CallbackQuery, Message
from aiogram.utils.i18n import gettext as _
from sqlmodel.ext.asyncio.session import AsyncSession

from bot.context import AppContext
from bot.datetime_parsing import DateParseError, ParseProblem, parse_past_day
from bot.keyboards import group_study as kb
from bot.keyboards.group_study import GsAction, GsCb
from bot.rules import StudyPolicy
from bot.services import group_study as service
from bot.services.group_study import GroupStudyError, GroupStudyProblem, StudyLength
from bot.services.orgs import manageable_org
from handlers.flow import ask_text, for_managers, next_step, redraw_buttons, reply, say, tapped_org
from handlers.group_study.common import (
    GroupStudyForm,
    app_today,
    half_days_text,
    hours_text,
    refuse,
    study_fields,
    update,
)
from handlers.group_study.status import send_status
from handlers.guards import reject_stale
from storage.models import Member

_HOURS = re.compile(r"^\s*(\d{1,2}(?:\.\d+)?)\s*(?:h|小时|个小时|hours?)?\s*$", re.IGNORECASE)


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


def length_question(policy: StudyPolicy) -> str:
    return _("How long was it? Tap a button or send hours (a half day is {hours} h).").format(
        hours=hours_text(policy.half_day_minutes)
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
        await refuse(event, error.problem, policy)
        return
    question = length_question(policy)
    markup = kb.length_keyboard()
    await next_step(event, state, GroupStudyForm.length, question, markup, day=day.isoformat())


@for_managers
async def day_button(
    callback: CallbackQuery,
    callback_data: GsCb,
    state: FSMContext,
    member: Member,
    app: AppContext,
) -> None:
    today = app_today(app)
    day = today if callback_data.action == GsAction.TODAY else today - timedelta(days=1)
    await _accept_day(callback, state, day, today, app.policy)


@for_managers
async def day_text(
    message: Message,
    state: FSMContext,
    member: Member,
    app: AppContext,
) -> None:
    today = app_today(app)
    try:
        day = parse_past_day(message.text or "", today)
    except DateParseError as error:
        if error.problem == ParseProblem.FUTURE:
            await refuse(message, GroupStudyProblem.FUTURE_DATE, app.policy)
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
        half_days=half_days_text(length.half_days), hours=hours_text(length.minutes)
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
    study = await update(event, state, session, member, app, edit_id, length=length)
    if study is not None:
        await reply(event, "✅ " + counted)


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
        await refuse(message, error.problem, app.policy)
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
        await refuse(message, error.problem, policy)
        return
    question = _("A short summary (up to 1000 characters), or tap Skip.")
    markup = kb.summary_keyboard()
    await next_step(message, state, GroupStudyForm.summary, question, markup, topic=topic)


async def ask_attendees(
    event: Message | CallbackQuery, state: FSMContext, session: AsyncSession
) -> None:
    """The attendee toggles of the draft (or the edited session), with its ticks."""
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
        await refuse(message, GroupStudyProblem.BAD_SUMMARY, policy)
        return
    await state.update_data(summary=summary)
    await ask_attendees(message, state, session)


@for_managers
async def skip_summary(
    callback: CallbackQuery, state: FSMContext, session: AsyncSession, member: Member
) -> None:
    await state.update_data(summary="")
    await ask_attendees(callback, state, session)


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
    selected = data["selected"]
    if not selected:
        await refuse(callback, GroupStudyProblem.NO_ATTENDEES, app.policy)
        return
    if "edit_id" in data:
        study = await update(
            callback, state, session, member, app, data["edit_id"], attendees=selected
        )
        if study is not None:
            await say(callback, _("✅ Attendees updated: {count}.").format(count=len(selected)))
        return
    await state.set_state(GroupStudyForm.confirm)
    fields = study_fields(
        data["day"],
        data["half_days"],
        data["minutes"],
        data["topic"],
        data["summary"],
        len(selected),
    )
    text = _(
        "Please check:\n{day} · {half_days} half-days ({hours} h)\nTopic: {topic}\n"
        "Summary: {summary}\nAttendees: {count}"
    ).format(**fields)
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
    today = app_today(app)
    try:
        _study, created = await service.record(session, member, draft, app.policy, today)
    except GroupStudyError as error:
        await refuse(callback, error.problem, app.policy)
        return
    await state.clear()
    org = await manageable_org(session, member, draft.org_id)
    assert org is not None
    saved = _("✅ Group study saved.") if created else _("This group study was already saved.")
    await send_status(callback, session, member, org, app.policy, today, head=saved)
