"""A stored group study: view it, change its topic, attendees or length, delete it."""

from __future__ import annotations

from aiogram.fsm.context import FSMContext
from aiogram.types import CallbackQuery, Message
from aiogram.utils.i18n import gettext as _
from sqlmodel.ext.asyncio.session import AsyncSession

from bot.context import AppContext
from bot.keyboards import group_study as kb
from bot.keyboards.group_study import GsAction, GsCb
from bot.services import group_study as service
from bot.services.group_study import GroupStudyError, GroupStudyProblem
from handlers.flow import ask_text, for_managers, say
from handlers.group_study.common import GroupStudyForm, app_today, refuse, study_fields, update
from handlers.group_study.record import ask_attendees, length_question
from handlers.guards import reject_stale
from storage.models import GroupStudy, Member

STUDY_ACTIONS = {
    GsAction.VIEW,
    GsAction.EDIT_TOPIC,
    GsAction.EDIT_ATTENDEES,
    GsAction.EDIT_LENGTH,
    GsAction.DELETE,
    GsAction.DELETE_CONFIRM,
}


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
            session, member, callback_data.id, app.policy, app_today(app)
        )
    except GroupStudyError as error:
        if error.problem in (GroupStudyProblem.NOT_ALLOWED, GroupStudyProblem.NOT_FOUND):
            await reject_stale(callback)
        else:
            await refuse(callback, error.problem, app.policy)
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
        await ask_attendees(callback, state, session)
    elif action == GsAction.EDIT_LENGTH:
        question, markup = length_question(app.policy), kb.length_keyboard()
        await ask_text(callback, state, GroupStudyForm.length, data, question, markup)
    elif action == GsAction.DELETE:
        question = _("Delete the group study of {day} “{topic}”?").format(
            day=study.study_date.isoformat(), topic=study.topic
        )
        await say(callback, question, kb.delete_keyboard(study.id))
    else:
        await service.remove(session, member, study.id, app.policy, app_today(app))
        await say(callback, _("🗑 Deleted."))


async def _study_text(session: AsyncSession, study: GroupStudy) -> str:
    count = len(await service.attendee_ids(session, study.id))
    fields = study_fields(
        study.study_date.isoformat(),
        study.half_days,
        study.minutes,
        study.topic,
        study.summary,
        count,
    )
    return _(
        "{day} · {half_days} half-days ({hours} h)\nTopic: {topic}\nSummary: {summary}\n"
        "Attendees: {count}"
    ).format(**fields)


@for_managers
async def edit_text_save(
    message: Message,
    state: FSMContext,
    session: AsyncSession,
    member: Member,
    app: AppContext,
) -> None:
    """The new topic, and below it the new summary, of a stored group study."""
    topic, _newline, summary = (message.text or "").strip().partition("\n")
    edit_id = (await state.get_data())["edit_id"]
    study = await update(
        message, state, session, member, app, edit_id, topic=topic, summary=summary
    )
    if study is not None:
        await message.answer(_("✅ Updated: {topic}").format(topic=study.topic))
