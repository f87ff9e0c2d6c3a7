"""The monthly exchange meeting: overview, schedule, RSVP, 心得, digest, attendance.

One module a job: `overview` (/meeting, a meeting's card), `rsvp` (the invitee's side),
`host` (digest, attendance, move, edit, cancel), `schedule` (a new meeting); `common`
holds their states and problem texts.
"""

from __future__ import annotations

from aiogram import F, Router
from aiogram.filters import Command, StateFilter

from bot.keyboards.meetings import HostCb, MtAction, MtCb
from bot.keyboards.menu import MENU_MEETING
from handlers.flow import TYPED, not_text
from handlers.guards import reject_stale
from handlers.meetings.common import MeetingForm
from handlers.meetings.host import (
    attendance,
    cancel_confirm,
    edit_save,
    host_ask,
    move_time,
    send_digest,
)
from handlers.meetings.overview import overview, view
from handlers.meetings.rsvp import check_in, invitee_ask, leave_reason, quick_reply, share_text
from handlers.meetings.schedule import (
    draft_agenda,
    draft_place,
    draft_save,
    draft_starts,
    host_picked,
    new_meeting,
)


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
    on(invitee_ask, MtCb.filter(F.action.in_({MtAction.LEAVE, MtAction.SHARE})))
    on(check_in, MtCb.filter(F.action == MtAction.CHECK_IN))
    on(send_digest, MtCb.filter(F.action == MtAction.DIGEST))
    on(attendance, MtCb.filter(F.action.in_({MtAction.SHEET, MtAction.MARK})))
    on(host_ask, MtCb.filter(F.action.in_({MtAction.MOVE, MtAction.EDIT, MtAction.CANCEL})))
    on(cancel_confirm, MtCb.filter(F.action == MtAction.CANCEL_CONFIRM))
    on(new_meeting, MtCb.filter(F.action.in_({MtAction.NEW, MtAction.HOSTS})))
    on(host_picked, HostCb.filter())
    on(draft_save, MtCb.filter(F.action == MtAction.SAVE), MeetingForm.confirm)
    on(reject_stale, MtCb.filter())
    on(reject_stale, F.data.startswith(("mt:", "mh:")))  # forged data that does not unpack
    return router
