"""Callback data and keyboards of joining, invites, settings and member management."""

from __future__ import annotations

from collections.abc import Sequence
from enum import StrEnum

from aiogram.filters.callback_data import CallbackData
from aiogram.types import InlineKeyboardMarkup
from aiogram.utils.i18n import gettext as _

from bot.keyboards.buttons import button
from bot.keyboards.ids import PageNo, RowId
from bot.keyboards.paging import page_count, page_of, pager_row
from bot.services.invites import ActiveInvite, InviteTerms
from bot.services.members import MemberRow
from storage.models import Member, Organization, Role

ORGS_PER_PAGE = 8
MEMBERS_PER_PAGE = 10


class JoinAction(StrEnum):
    CONFIRM = "ok"
    REENTER = "re"


class JoinCb(CallbackData, prefix="jn"):
    action: JoinAction


class InviteOrgCb(CallbackData, prefix="ivo"):
    org_id: RowId
    uses: int
    days: int


class InvitePageCb(CallbackData, prefix="ivp"):
    page: int
    uses: int
    days: int


class InviteRoleCb(CallbackData, prefix="ivr"):
    org_id: RowId
    role: Role
    uses: int
    days: int

    @property
    def terms(self) -> InviteTerms:
        return InviteTerms(self.uses, self.days)


class RevokeCb(CallbackData, prefix="ivx"):
    invite_id: RowId


class SettingsAction(StrEnum):
    LANGUAGE = "lang"
    REMINDERS = "rem"


class SettingsCb(CallbackData, prefix="st"):
    action: SettingsAction
    value: str


class MemberAction(StrEnum):
    PAGE = "pg"
    SHOW = "sh"
    LEAVE = "lv"
    UNLEAVE = "ul"
    ROLE = "ro"
    REMOVE = "rm"
    REMOVE_CONFIRMED = "rmy"


class MemberCb(CallbackData, prefix="mb"):
    action: MemberAction
    member_id: RowId = 0
    page: PageNo = 0
    role: Role | None = None


def role_label(role: Role) -> str:
    labels = {Role.CADRE: _("cadre"), Role.SECRETARY: _("secretary"), Role.ADMIN: _("admin")}
    return labels[role]


def confirm_name_keyboard() -> InlineKeyboardMarkup:
    return InlineKeyboardMarkup(
        inline_keyboard=[
            [
                button(_("✅ Confirm"), JoinCb(action=JoinAction.CONFIRM)),
                button(_("✏️ Re-enter"), JoinCb(action=JoinAction.REENTER)),
            ]
        ]
    )


def invite_orgs_keyboard(
    orgs: Sequence[Organization], page: int, terms: InviteTerms
) -> InlineKeyboardMarkup:
    """Organisations of the inviter's subtree, one page of them."""
    shown, page, pages = page_of(orgs, page, ORGS_PER_PAGE)
    kept = {"uses": terms.uses, "days": terms.days}
    rows = [[button(org.name, InviteOrgCb(org_id=org.id or 0, **kept))] for org in shown]
    nav = pager_row(page, pages, lambda n: InvitePageCb(page=n, **kept), counter=False)
    if nav:
        rows.append(nav)
    return InlineKeyboardMarkup(inline_keyboard=rows)


def invite_roles_keyboard(
    org: Organization, roles: Sequence[Role], terms: InviteTerms
) -> InlineKeyboardMarkup:
    return InlineKeyboardMarkup(
        inline_keyboard=[
            [
                button(
                    role_label(role),
                    InviteRoleCb(org_id=org.id or 0, role=role, uses=terms.uses, days=terms.days),
                )
            ]
            for role in roles
        ]
    )


def revoke_keyboard(invites: Sequence[ActiveInvite]) -> InlineKeyboardMarkup:
    return InlineKeyboardMarkup(
        inline_keyboard=[
            [
                button(
                    _("Revoke #{number}").format(number=number),
                    RevokeCb(invite_id=item.invite.id or 0),
                )
            ]
            for number, item in enumerate(invites, start=1)
        ]
    )


def settings_keyboard(member: Member) -> InlineKeyboardMarkup:
    reminders = (
        button(_("🔕 Turn reminders off"), SettingsCb(action=SettingsAction.REMINDERS, value="off"))
        if member.reminders_enabled
        else button(
            _("🔔 Turn reminders on"), SettingsCb(action=SettingsAction.REMINDERS, value="on")
        )
    )
    return InlineKeyboardMarkup(
        inline_keyboard=[
            [
                button("中文", SettingsCb(action=SettingsAction.LANGUAGE, value="zh_CN")),
                button("English", SettingsCb(action=SettingsAction.LANGUAGE, value="en")),
            ],
            [reminders],
        ]
    )


def members_keyboard(rows: Sequence[MemberRow], page: int, total: int) -> InlineKeyboardMarkup:
    pages = page_count(total, MEMBERS_PER_PAGE)
    buttons = [
        [
            button(
                member_line(row),
                MemberCb(action=MemberAction.SHOW, member_id=row.member.id or 0, page=page),
            )
        ]
        for row in rows
    ]
    nav = pager_row(
        page, pages, lambda n: MemberCb(action=MemberAction.PAGE, page=n), counter=False
    )
    if nav:
        buttons.append(nav)
    return InlineKeyboardMarkup(inline_keyboard=buttons)


def member_line(row: MemberRow) -> str:
    leave = _(" · on leave") if row.on_leave else ""
    return f"{row.member.name} · {row.org.name} · {role_label(row.member.role)}{leave}"


def member_keyboard(
    target: Member,
    page: int,
    *,
    on_leave: bool,
    roles: Sequence[Role],
    removable: bool,
) -> InlineKeyboardMarkup:
    """Actions the manager may take on this member."""
    member_id = target.id or 0
    leave = (
        button(
            _("Clear this month's leave"),
            MemberCb(action=MemberAction.UNLEAVE, member_id=member_id, page=page),
        )
        if on_leave
        else button(
            _("Set leave for this month"),
            MemberCb(action=MemberAction.LEAVE, member_id=member_id, page=page),
        )
    )
    rows = [[leave]]
    role_buttons = [
        button(
            _("Make {role}").format(role=role_label(role)),
            MemberCb(action=MemberAction.ROLE, member_id=member_id, page=page, role=role),
        )
        for role in roles
        if role != target.role
    ]
    if role_buttons:
        rows.append(role_buttons)
    if removable:
        rows.append(
            [
                button(
                    _("Remove from the organisation"),
                    MemberCb(action=MemberAction.REMOVE, member_id=member_id, page=page),
                )
            ]
        )
    rows.append([button(_("◀ Back to the list"), MemberCb(action=MemberAction.PAGE, page=page))])
    return InlineKeyboardMarkup(inline_keyboard=rows)


def confirm_remove_keyboard(target: Member, page: int) -> InlineKeyboardMarkup:
    member_id = target.id or 0
    return InlineKeyboardMarkup(
        inline_keyboard=[
            [
                button(
                    _("Yes, remove"),
                    MemberCb(action=MemberAction.REMOVE_CONFIRMED, member_id=member_id, page=page),
                ),
                button(
                    _("No, keep"),
                    MemberCb(action=MemberAction.SHOW, member_id=member_id, page=page),
                ),
            ]
        ]
    )
