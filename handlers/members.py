"""/members: secretaries and admins manage the members of their subtree."""

from __future__ import annotations

from aiogram import F, Router
from aiogram.filters import Command, StateFilter
from aiogram.fsm.context import FSMContext
from aiogram.fsm.state import State, StatesGroup
from aiogram.types import CallbackQuery, InlineKeyboardMarkup, Message
from aiogram.utils.i18n import gettext as _
from sqlmodel.ext.asyncio.session import AsyncSession

from bot.clock import Clock, local_today
from bot.config import Settings
from bot.keyboards.onboarding import (
    MEMBERS_PER_PAGE,
    MemberAction,
    MemberCb,
    confirm_remove_keyboard,
    member_keyboard,
    members_keyboard,
    role_label,
)
from bot.keyboards.paging import page_count
from bot.rules import Month
from bot.services.members import (
    LEAVE_REASON_MAX,
    change_role,
    clear_leave,
    leave_of,
    managed_member,
    may_change_role,
    may_remove,
    members_page,
    remove_member,
    set_leave,
)
from bot.services.orgs import managed_root
from handlers.flow import MANAGERS, for_managers, show_in_place
from handlers.guards import ensure_role, reject_stale
from storage.models import Member, Organization, Role


class LeaveForm(StatesGroup):
    reason = State()


def this_month(clock: Clock, settings: Settings) -> str:
    return Month.of(local_today(clock, settings.tz)).key


async def _list_view(
    session: AsyncSession, member: Member, page: int, month: str
) -> tuple[str, InlineKeyboardMarkup]:
    root = await managed_root(session, member)
    assert root is not None
    page = max(page, 0)
    result = await members_page(
        session, root, month, offset=page * MEMBERS_PER_PAGE, limit=MEMBERS_PER_PAGE
    )
    if not result.rows and page > 0:  # members left since the list was shown
        page = page_count(result.total, MEMBERS_PER_PAGE) - 1
        result = await members_page(
            session, root, month, offset=page * MEMBERS_PER_PAGE, limit=MEMBERS_PER_PAGE
        )
    text = _("Members of {org}: {total}. Tap a name to manage them.").format(
        org=root.name, total=result.total
    )
    return text, members_keyboard(result.rows, page, result.total)


async def _card_view(
    session: AsyncSession, actor: Member, target: Member, org: Organization, page: int, month: str
) -> tuple[str, InlineKeyboardMarkup]:
    leave = await leave_of(session, target, month)
    lines = [
        f"{target.name} · {org.name} · {role_label(target.role)}",
        _("Leave in {month}: {reason}").format(month=month, reason=leave.reason or "—")
        if leave
        else _("Not on leave in {month}.").format(month=month),
    ]
    roles = list(Role) if may_change_role(actor, target) else []
    markup = member_keyboard(
        target, page, on_leave=leave is not None, roles=roles, removable=may_remove(actor, target)
    )
    return "\n".join(lines), markup


@for_managers
async def list_members(
    message: Message,
    member: Member,
    session: AsyncSession,
    clock: Clock,
    settings: Settings,
) -> None:
    """`/members`: the members of the user's subtree, a page at a time."""
    text, markup = await _list_view(session, member, 0, this_month(clock, settings))
    await message.answer(text, reply_markup=markup)


@for_managers
async def member_action(
    callback: CallbackQuery,
    callback_data: MemberCb,
    member: Member,
    session: AsyncSession,
    state: FSMContext,
    clock: Clock,
    settings: Settings,
) -> None:
    """Every button of the list and of a member's card; the scope is checked each time."""
    month = this_month(clock, settings)
    page, action = callback_data.page, callback_data.action
    if action == MemberAction.PAGE:
        await callback.answer()
        await show_in_place(callback, *await _list_view(session, member, page, month))
        return
    found = await managed_member(session, member, callback_data.member_id)
    if found is None:
        await reject_stale(callback)
        return
    target, org = found
    if action == MemberAction.LEAVE:
        await state.set_state(LeaveForm.reason)
        await state.set_data({"member_id": target.id, "page": page})
        await callback.answer()
        await show_in_place(
            callback,
            _(
                "Why is {name} on leave in {month}? Send the reason (up to {max} characters)."
            ).format(name=target.name, month=month, max=LEAVE_REASON_MAX),
        )
        return
    if action == MemberAction.REMOVE:
        if not may_remove(member, target):
            await reject_stale(callback)
            return
        await callback.answer()
        await show_in_place(
            callback,
            _("Remove {name} from {org}? Their study records are kept.").format(
                name=target.name, org=org.name
            ),
            confirm_remove_keyboard(target, page),
        )
        return
    if action == MemberAction.REMOVE_CONFIRMED:
        if not await remove_member(session, member, target):
            await reject_stale(callback)
            return
        await callback.answer(_("Removed."))
        await show_in_place(callback, *await _list_view(session, member, page, month))
        return
    if action == MemberAction.UNLEAVE:
        await clear_leave(session, member, target, month)
        await callback.answer(_("Leave cleared."))
    elif action == MemberAction.ROLE:
        if callback_data.role is None or not await change_role(
            session, member, target, callback_data.role
        ):
            await reject_stale(callback)
            return
        await callback.answer(_("Role changed."))
    else:
        await callback.answer()
    await show_in_place(callback, *await _card_view(session, member, target, org, page, month))


async def leave_reason(
    message: Message,
    state: FSMContext,
    member: Member | None,
    session: AsyncSession,
    clock: Clock,
    settings: Settings,
) -> None:
    """The reason for a member's leave; stored for the current month."""
    if not await ensure_role(message, member, *MANAGERS):
        await state.clear()
        return
    assert member is not None
    reason = " ".join((message.text or "").split())
    if not reason or reason.startswith("/") or len(reason) > LEAVE_REASON_MAX:
        await message.answer(
            _("Please send the reason as text, up to {max} characters, or /cancel.").format(
                max=LEAVE_REASON_MAX
            )
        )
        return
    data = await state.get_data()
    await state.clear()
    found = await managed_member(session, member, int(data.get("member_id", 0)))
    if found is None:
        await message.answer(_("This member is no longer in your organisation."))
        return
    target, org = found
    month = this_month(clock, settings)
    await set_leave(session, member, target, month, reason)
    text, markup = await _card_view(session, member, target, org, int(data.get("page", 0)), month)
    await message.answer(_("Leave saved.") + "\n" + text, reply_markup=markup)


def create_router() -> Router:
    router = Router(name="members")
    private = F.chat.type == "private"
    router.message.register(list_members, Command("members"), private)
    router.message.register(leave_reason, StateFilter(LeaveForm.reason), private)
    router.callback_query.register(member_action, MemberCb.filter())
    # Our prefix but data that does not parse: forged or from an older version.
    router.callback_query.register(reject_stale, F.data.startswith("mb:"))
    return router
