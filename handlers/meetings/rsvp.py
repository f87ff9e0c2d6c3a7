"""The invitee's side: answer, leave reason, 心得 (reflections), check-in."""

from __future__ import annotations

from aiogram.fsm.context import FSMContext
from aiogram.types import CallbackQuery, Message
from aiogram.utils.i18n import gettext as _
from sqlmodel.ext.asyncio.session import AsyncSession

from bot.clock import Clock
from bot.config import Settings
from bot.keyboards.meetings import MtAction, MtCb
from bot.services import meetings as service
from bot.services.meetings import MeetingProblem
from handlers.flow import ask_text, for_members, say
from handlers.meetings.common import MeetingForm, answer_label, attempt, finish
from storage.models import Member, ReplyAnswer


@for_members
async def quick_reply(
    callback: CallbackQuery,
    callback_data: MtCb,
    session: AsyncSession,
    member: Member,
    clock: Clock,
) -> None:
    """✅ attend / 🤔 undecided: stored at once, changeable until the start."""
    answer = (
        ReplyAnswer.ATTEND if callback_data.action == MtAction.ATTEND else ReplyAnswer.UNDECIDED
    )
    call = service.set_reply(session, member, callback_data.meeting_id, answer, clock.now())
    if await attempt(callback, call) is not None:
        await say(callback, _("Noted: {answer}.").format(answer=answer_label(answer)))


@for_members
async def invitee_ask(
    callback: CallbackQuery,
    callback_data: MtCb,
    state: FSMContext,
    session: AsyncSession,
    member: Member,
    clock: Clock,
) -> None:
    """🙏 asks for the leave reason; ✍️ for the 心得 text (it replaces an earlier one)."""
    call = service.open_invited(session, member, callback_data.meeting_id, clock.now())
    meeting = await attempt(callback, call)
    if meeting is None:
        return
    data = {"meeting_id": meeting.id}
    if callback_data.action == MtAction.LEAVE:
        question = _("Please send the reason for your leave (up to 200 characters).")
        await ask_text(callback, state, MeetingForm.leave_reason, data, question)
        return
    question = _(
        "Send your learning outcomes and reflections for the meeting (up to 1000 characters)."
    )
    if await service.my_share(session, member, meeting.id or 0) is not None:
        question += "\n" + _("Your current text will be replaced.")
    await ask_text(callback, state, MeetingForm.share, data, question)


@for_members
async def leave_reason(
    message: Message,
    state: FSMContext,
    session: AsyncSession,
    member: Member,
    clock: Clock,
) -> None:
    data = await state.get_data()
    call = service.set_reply(
        session, member, data["meeting_id"], ReplyAnswer.LEAVE, clock.now(), message.text or ""
    )
    if await finish(message, state, call, retry={MeetingProblem.BAD_REASON}):
        await message.answer(_("Noted: {answer}.").format(answer=answer_label(ReplyAnswer.LEAVE)))


@for_members
async def share_text(
    message: Message,
    state: FSMContext,
    session: AsyncSession,
    member: Member,
    clock: Clock,
) -> None:
    data = await state.get_data()
    text = message.text or ""
    call = service.submit_share(session, member, data["meeting_id"], text, clock.now())
    if await finish(
        message, state, call, retry={MeetingProblem.BAD_SHARE}, count=len(text.strip())
    ):
        await message.answer(
            _("✅ Your reflections are saved. You can change them until the start.")
        )


@for_members
async def check_in(
    callback: CallbackQuery,
    callback_data: MtCb,
    session: AsyncSession,
    member: Member,
    clock: Clock,
    settings: Settings,
) -> None:
    call = service.check_in(
        session,
        member,
        callback_data.meeting_id,
        clock.now(),
        settings.meeting_checkin_window_minutes,
    )
    if await attempt(callback, call) is not None:
        await say(callback, _("📍 You are checked in."))
