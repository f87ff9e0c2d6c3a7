"""Group study (集体学习): month status, record a session, edit and delete it.

One module a job: `status` (/group, an organisation's month, picking another one),
`record` (➕ day → length → topic → summary → attendees → 💾 Save), `edit` (a stored
session's view, edits and delete); `common` holds their states, problem texts and the
edit call.
"""

from __future__ import annotations

from aiogram import F, Router
from aiogram.filters import Command, StateFilter

from bot.keyboards.group_study import GsAction, GsCb
from bot.keyboards.menu import MENU_GROUP
from handlers.flow import TYPED, not_text
from handlers.group_study.common import GroupStudyForm
from handlers.group_study.edit import STUDY_ACTIONS, edit_text_save, study_action
from handlers.group_study.record import (
    attendees_done,
    day_button,
    day_text,
    length_button,
    length_text,
    save,
    skip_summary,
    start_new,
    summary_text,
    toggle_attendee,
    topic_text,
)
from handlers.group_study.status import org_status, pick_org, show_status
from handlers.guards import reject_stale


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
