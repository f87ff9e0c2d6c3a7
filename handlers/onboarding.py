"""Joining by invite (/start CODE), the admin's first /start, and /invite, /invites."""

from __future__ import annotations

from datetime import datetime

from aiogram import Bot, F, Router
from aiogram.filters import Command, CommandObject, CommandStart, StateFilter
from aiogram.fsm.context import FSMContext
from aiogram.fsm.state import State, StatesGroup
from aiogram.types import (
    BufferedInputFile,
    CallbackQuery,
    InlineKeyboardMarkup,
    Message,
    ReplyKeyboardRemove,
)
from aiogram.utils.i18n import gettext as _
from sqlmodel.ext.asyncio.session import AsyncSession

from bot.clock import Clock
from bot.config import Settings
from bot.i18n import locale_for_language_code
from bot.keyboards.menu import main_menu
from bot.keyboards.onboarding import (
    InviteOrgCb,
    InvitePageCb,
    InviteRoleCb,
    JoinAction,
    JoinCb,
    RevokeCb,
    confirm_name_keyboard,
    invite_orgs_keyboard,
    invite_roles_keyboard,
    revoke_keyboard,
    role_label,
)
from bot.services.invites import (
    MAX_DAYS,
    MAX_USES,
    ActiveInvite,
    InviteStatus,
    InviteTerms,
    active_invites,
    create_invite,
    deep_link,
    find_invite,
    may_invite_role,
    parse_invite_terms,
    qr_png,
    revoke_invite,
)
from bot.services.members import JoinOutcome, clean_name, join_as_admin, join_by_invite
from bot.services.orgs import managed_root
from bot.text import TELEGRAM_TEXT_LIMIT
from handlers.common import private_only
from handlers.flow import for_managers, managed_orgs, show_in_place, tapped_org
from handlers.guards import reject_stale
from storage.models import Invite, Member, Organization, Role


class JoinForm(StatesGroup):
    name = State()
    confirm = State()


def invite_problem(status: InviteStatus) -> str:
    """A different, clear answer for every way an invite can fail."""
    ask = _("Please ask your branch secretary for a new invite link.")
    reasons = {
        InviteStatus.MALFORMED: _("This invite link is damaged: part of it is missing or wrong."),
        InviteStatus.UNKNOWN: _("This invite code does not exist."),
        InviteStatus.REVOKED: _("This invite has been withdrawn by whoever created it."),
        InviteStatus.EXPIRED: _("This invite has expired."),
        InviteStatus.USED_UP: _("This invite has already been used by as many people as allowed."),
    }
    return f"{reasons[status]}\n{ask}"


async def _where(session: AsyncSession, member: Member) -> str:
    org = await session.get(Organization, member.org_id)
    return org.name if org else "?"


async def start(
    message: Message,
    command: CommandObject,
    state: FSMContext,
    member: Member | None,
    session: AsyncSession,
    settings: Settings,
    clock: Clock,
) -> None:
    """`/start [CODE]`: join by invite, bootstrap an admin, or say who the user is."""
    await state.clear()
    if member is not None:
        await message.answer(
            _("You are already registered as {name} ({role}) in {org}.").format(
                name=member.name, role=role_label(member.role), org=await _where(session, member)
            ),
            reply_markup=main_menu(member.role),
        )
        return
    assert message.from_user is not None
    if message.from_user.id in settings.admin_ids:
        await state.set_state(JoinForm.name)
        await state.set_data({"admin": True})
        await message.answer(
            _("Welcome! You are an administrator of this bot. Please send me your real name."),
            reply_markup=ReplyKeyboardRemove(),
        )
        return
    code = (command.args or "").strip()
    if not code:
        await message.answer(
            _(
                "Hello! I help League cadres keep their monthly study records.\n"
                "To join, ask your branch secretary for an invite link (or QR code) "
                "and open it; I will then ask for your name."
            ),
            reply_markup=ReplyKeyboardRemove(),
        )
        return
    status, invite = await find_invite(session, code, clock.now())
    if status != InviteStatus.VALID or invite is None:
        await message.answer(invite_problem(status), reply_markup=ReplyKeyboardRemove())
        return
    org = await session.get(Organization, invite.org_id)
    await state.set_state(JoinForm.name)
    await state.set_data({"code": code})
    await message.answer(
        _(
            "Welcome! This invite is for {org}, as {role}.\n"
            "Please send me your real name (2–20 characters)."
        ).format(org=org.name if org else "?", role=role_label(invite.role)),
        reply_markup=ReplyKeyboardRemove(),
    )


async def got_name(message: Message, state: FSMContext) -> None:
    """The name, checked and shown back for confirmation."""
    text = message.text or ""
    if text.startswith("/"):
        await message.answer(_("Please send your real name first, or /cancel to stop."))
        return
    name = clean_name(text)
    if name is None:
        await message.answer(
            _(
                "A name is 2–20 Chinese or Latin letters (a middle dot · is allowed), "
                "without digits or emoji. Please send your real name."
            )
        )
        return
    await state.update_data(name=name)
    await state.set_state(JoinForm.confirm)
    await message.answer(
        _("Your name: {name}\nIs this right?").format(name=name),
        reply_markup=confirm_name_keyboard(),
    )


async def name_not_text(message: Message) -> None:
    await message.answer(_("Please type your real name as text."))


async def reenter_name(callback: CallbackQuery, state: FSMContext, member: Member | None) -> None:
    if member is not None or await state.get_state() != JoinForm.confirm.state:
        await reject_stale(callback)
        return
    await state.set_state(JoinForm.name)
    await callback.answer()
    await show_in_place(callback, _("Please send your real name again."))


async def confirm_name(
    callback: CallbackQuery,
    state: FSMContext,
    member: Member | None,
    session: AsyncSession,
    settings: Settings,
    clock: Clock,
) -> None:
    """Stores the member (once, even on a double tap) and shows the main menu."""
    if member is not None:
        await callback.answer(_("You are already registered."), show_alert=True)
        return
    data = await state.get_data()
    name = data.get("name")
    if await state.get_state() != JoinForm.confirm.state or not name:
        await reject_stale(callback)
        return
    user = callback.from_user
    locale = locale_for_language_code(user.language_code, settings.bot_locale)
    now = clock.now()
    if data.get("admin") and user.id in settings.admin_ids:
        result = await join_as_admin(
            session, telegram_id=user.id, name=name, locale=locale, now=now
        )
    else:
        result = await join_by_invite(
            session,
            telegram_id=user.id,
            name=name,
            code=str(data.get("code", "")),
            locale=locale,
            now=now,
        )
    await state.clear()
    if result.outcome == JoinOutcome.INVITE_GONE:
        assert result.invite_status is not None
        await callback.answer()
        await show_in_place(callback, invite_problem(result.invite_status))
        return
    if result.outcome == JoinOutcome.ALREADY or result.member is None:
        await callback.answer(_("You are already registered."), show_alert=True)
        return
    joined = result.member
    await callback.answer()
    await show_in_place(callback, _("Your name: {name} ✅").format(name=joined.name))
    await callback.bot.send_message(
        user.id,
        _(
            "Welcome, {name}! You have joined {org} as {role}.\n"
            "Log your study with the menu below or in one message, e.g. /log 2 团章第一章."
        ).format(name=joined.name, org=await _where(session, joined), role=role_label(joined.role)),
        reply_markup=main_menu(joined.role),
    )


# --- /invite and /invites -----------------------------------------------------------------


def _roles_for(member: Member) -> list[Role]:
    return [role for role in Role if may_invite_role(member.role, role)]


@for_managers
async def invite_start(
    message: Message, command: CommandObject, member: Member, session: AsyncSession
) -> None:
    """`/invite [USES] [DAYS]`: pick an organisation of the user's subtree, then a role."""
    terms = parse_invite_terms(command.args)
    if terms is None:
        await message.answer(
            _(
                "Usage: /invite [uses] [days], e.g. /invite 30 14 — up to {uses} people, "
                "valid {days} days."
            ).format(uses=MAX_USES, days=MAX_DAYS)
        )
        return
    orgs = await managed_orgs(session, member)
    if len(orgs) == 1:
        await message.answer(
            _("Invite to {org}: which role?").format(org=orgs[0].name),
            reply_markup=invite_roles_keyboard(orgs[0], _roles_for(member), terms),
        )
        return
    await message.answer(
        _("Which organisation is the invite for?"),
        reply_markup=invite_orgs_keyboard(orgs, 0, terms),
    )


@for_managers
async def invite_page(
    callback: CallbackQuery,
    callback_data: InvitePageCb,
    member: Member,
    session: AsyncSession,
) -> None:
    orgs = await managed_orgs(session, member)
    terms = InviteTerms(callback_data.uses, callback_data.days)
    await callback.answer()
    await show_in_place(
        callback,
        _("Which organisation is the invite for?"),
        invite_orgs_keyboard(orgs, callback_data.page, terms),
    )


@for_managers
async def invite_pick_org(
    callback: CallbackQuery,
    callback_data: InviteOrgCb,
    member: Member,
    session: AsyncSession,
) -> None:
    org = await tapped_org(callback, member, session, callback_data.org_id)
    if org is None:
        return
    await callback.answer()
    text = _("Invite to {org}: which role?").format(org=org.name)
    terms = InviteTerms(callback_data.uses, callback_data.days)
    await show_in_place(callback, text, invite_roles_keyboard(org, _roles_for(member), terms))


@for_managers
async def invite_create(
    callback: CallbackQuery,
    callback_data: InviteRoleCb,
    member: Member,
    session: AsyncSession,
    settings: Settings,
    clock: Clock,
    bot: Bot,
) -> None:
    """Creates the invite and sends its link with a QR code image."""
    org = await tapped_org(callback, member, session, callback_data.org_id)
    if org is None:
        return
    if not callback_data.terms.valid:
        await reject_stale(callback)
        return
    if not may_invite_role(member.role, callback_data.role):
        await callback.answer(_("Only admins can invite admins."), show_alert=True)
        return
    invite = await create_invite(
        session,
        org=org,
        role=callback_data.role,
        now=clock.now(),
        uses=callback_data.uses,
        days=callback_data.days,
        created_by=member,
    )
    await session.commit()
    link = deep_link(settings, invite.code)
    await callback.answer()
    await bot.send_photo(
        callback.from_user.id,
        BufferedInputFile(qr_png(link), filename=f"invite-{invite.code}.png"),
        caption=_(
            "Invite to {org} as {role}:\n{link}\n{limits}\n"
            "Forward the link, or let them scan the QR code."
        ).format(
            org=org.name,
            role=role_label(invite.role),
            link=link,
            limits=_limits(invite, settings),
        ),
    )


def _limits(invite: Invite, settings: Settings) -> str:
    until = (
        _("until {date}").format(date=_local_day(invite.expires_at, settings))
        if invite.expires_at
        else _("no expiry")
    )
    uses = (
        _("{used}/{max} used").format(used=invite.uses, max=invite.max_uses)
        if invite.max_uses is not None
        else _("{used} used, no limit").format(used=invite.uses)
    )
    return f"{until} · {uses}"


def _local_day(instant: datetime, settings: Settings) -> str:
    return instant.astimezone(settings.tz).strftime("%Y-%m-%d")


def _invites_view(
    items: list[ActiveInvite], settings: Settings
) -> tuple[str, InlineKeyboardMarkup]:
    """The newest invites that fit in one message, each with its revoke button."""
    if not items:
        return _("There are no active invites. Create one with /invite."), revoke_keyboard([])
    text, shown = _("Active invites:"), 0
    for number, item in enumerate(items, start=1):
        entry = (
            f"#{number} {item.org.name} · {role_label(item.invite.role)} · "
            f"{_limits(item.invite, settings)}\n{deep_link(settings, item.invite.code)}"
        )
        if len(text) + len(entry) + 2 > TELEGRAM_TEXT_LIMIT:
            break
        text, shown = f"{text}\n\n{entry}", number
    return text, revoke_keyboard(items[:shown])


async def _active(session: AsyncSession, member: Member, clock: Clock) -> list[ActiveInvite]:
    root = await managed_root(session, member)
    assert root is not None
    items = await active_invites(session, root, clock.now())
    return [item for item in items if may_invite_role(member.role, item.invite.role)]


@for_managers
async def invites_list(
    message: Message, member: Member, session: AsyncSession, settings: Settings, clock: Clock
) -> None:
    """`/invites`: active invites of the user's subtree, each with a revoke button."""
    items = await _active(session, member, clock)
    text, markup = _invites_view(items, settings)
    await message.answer(text, reply_markup=markup)


@for_managers
async def invite_revoke(
    callback: CallbackQuery,
    callback_data: RevokeCb,
    member: Member,
    session: AsyncSession,
    settings: Settings,
    clock: Clock,
) -> None:
    if await revoke_invite(session, member, callback_data.invite_id) is None:
        await reject_stale(callback)
        return
    await callback.answer(_("Invite revoked."))
    items = await _active(session, member, clock)
    await show_in_place(callback, *_invites_view(items, settings))


def create_router() -> Router:
    router = Router(name="onboarding")
    private = F.chat.type == "private"
    router.message.register(start, CommandStart(), private, StateFilter("*"))
    router.message.register(private_only, Command("start", "invites", "members"), ~private)
    router.message.register(got_name, StateFilter(JoinForm.name, JoinForm.confirm), F.text, private)
    router.message.register(name_not_text, StateFilter(JoinForm.name, JoinForm.confirm), private)
    router.callback_query.register(confirm_name, JoinCb.filter(F.action == JoinAction.CONFIRM))
    router.callback_query.register(reenter_name, JoinCb.filter(F.action == JoinAction.REENTER))
    router.message.register(invite_start, Command("invite"), private)
    router.message.register(invites_list, Command("invites"), private)
    router.callback_query.register(invite_page, InvitePageCb.filter())
    router.callback_query.register(invite_pick_org, InviteOrgCb.filter())
    router.callback_query.register(invite_create, InviteRoleCb.filter())
    router.callback_query.register(invite_revoke, RevokeCb.filter())
    # Our prefix but data that does not parse: forged or from an older version.
    router.callback_query.register(
        reject_stale, F.data.startswith(("jn:", "ivo:", "ivp:", "ivr:", "ivx:"))
    )
    return router
