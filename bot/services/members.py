"""Members: registration by invite or admin id, settings, management (framework-free)."""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import datetime
from enum import StrEnum

from sqlalchemy import func
from sqlalchemy.exc import IntegrityError
from sqlmodel import col, select
from sqlmodel.ext.asyncio.session import AsyncSession

from bot.services.invites import InviteStatus, consume_invite, find_invite
from bot.services.orgs import create_org, managed_root, root_org
from storage.models import (
    AuditLog,
    Member,
    MemberLeave,
    Organization,
    OrgKind,
    Role,
)

NAME_MIN, NAME_MAX = 2, 20
LEAVE_REASON_MAX = 200
_LETTER = r"[A-Za-zÀ-ÖØ-öø-ÿ\u3400-\u4dbf\u4e00-\u9fff]"
# Letters, single spaces or middle dots between them ("欧阳·娜娜", "Anna Li").
_NAME_RE = re.compile(rf"^{_LETTER}+(?:[ ·]{_LETTER}+)*$")
_HANZI_GAP = re.compile(r"(?<=[\u3400-\u9fff]) (?=[\u3400-\u9fff])")
_MIDDLE_DOTS = str.maketrans({"•": "·", "・": "·", "‧": "·", "．": "·", "･": "·"})
ROLE_RANK = {Role.CADRE: 0, Role.SECRETARY: 1, Role.ADMIN: 2}


def clean_name(text: str | None) -> str | None:
    """The trimmed real name, or None if it is not 2–20 letters (Chinese or Latin)."""
    if not text:
        return None
    name = " ".join(text.split()).translate(_MIDDLE_DOTS)
    name = re.sub(r"\s*·\s*", "·", name)
    name = _HANZI_GAP.sub("", name)  # "陈 小明" is 陈小明; spaces only part Latin words
    if not NAME_MIN <= len(name) <= NAME_MAX or not _NAME_RE.match(name):
        return None
    return name


class JoinOutcome(StrEnum):
    JOINED = "joined"
    ALREADY = "already"  # this Telegram user is a member already (double tap, second device)
    INVITE_GONE = "invite_gone"  # revoked, expired or used up while the name was typed


@dataclass(frozen=True)
class JoinResult:
    outcome: JoinOutcome
    member: Member | None = None
    invite_status: InviteStatus | None = None


async def member_by_telegram_id(session: AsyncSession, telegram_id: int) -> Member | None:
    return (await session.exec(select(Member).where(Member.telegram_id == telegram_id))).first()


async def join_by_invite(
    session: AsyncSession,
    *,
    telegram_id: int,
    name: str,
    code: str,
    locale: str,
    now: datetime,
) -> JoinResult:
    """Uses the invite and stores the member in one transaction (commits)."""
    status, invite = await find_invite(session, code, now)
    if invite is None or status != InviteStatus.VALID:
        return JoinResult(JoinOutcome.INVITE_GONE, invite_status=status)
    if not await consume_invite(session, invite.id, now):
        await session.rollback()
        return JoinResult(JoinOutcome.INVITE_GONE, invite_status=InviteStatus.USED_UP)
    return await _add_member(
        session,
        telegram_id=telegram_id,
        name=name,
        org_id=invite.org_id,
        role=invite.role,
        locale=locale,
        now=now,
    )


async def ensure_root_org(session: AsyncSession) -> Organization:
    """The root organisation; a fresh install gets 团市委 (code `root`)."""
    root = await root_org(session)
    if root is None:
        root = await create_org(session, "root", "团市委", OrgKind.CITY, None)
    return root


async def join_as_admin(
    session: AsyncSession, *, telegram_id: int, name: str, locale: str, now: datetime
) -> JoinResult:
    """A configured admin id becomes an admin of the root organisation (commits)."""
    root = await ensure_root_org(session)
    return await _add_member(
        session,
        telegram_id=telegram_id,
        name=name,
        org_id=root.id,
        role=Role.ADMIN,
        locale=locale,
        now=now,
    )


async def _add_member(
    session: AsyncSession,
    *,
    telegram_id: int,
    name: str,
    org_id: int,
    role: Role,
    locale: str,
    now: datetime,
) -> JoinResult:
    member = Member(
        telegram_id=telegram_id, name=name, org_id=org_id, role=role, locale=locale, joined_at=now
    )
    session.add(member)
    try:
        await session.commit()
    except IntegrityError:
        # The unique Telegram id: a concurrent second confirm lost; its invite use rolls back.
        await session.rollback()
        return JoinResult(JoinOutcome.ALREADY, await member_by_telegram_id(session, telegram_id))
    return JoinResult(JoinOutcome.JOINED, member)


async def update_preferences(
    session: AsyncSession,
    member: Member,
    *,
    locale: str | None = None,
    reminders_enabled: bool | None = None,
) -> Member:
    if locale is not None:
        member.locale = locale
    if reminders_enabled is not None:
        member.reminders_enabled = reminders_enabled
    session.add(member)
    await session.commit()
    return member


# --- management by secretaries and admins -------------------------------------------------


@dataclass(frozen=True)
class MemberRow:
    member: Member
    org: Organization
    on_leave: bool


@dataclass(frozen=True)
class MemberPage:
    rows: list[MemberRow]
    total: int


async def members_page(
    session: AsyncSession, root: Organization, month: str, *, offset: int, limit: int
) -> MemberPage:
    """Members of `root`'s subtree by organisation and name, with the month's leave.

    Removed members (detached Telegram id) are left out; ones who blocked the bot stay.
    """
    in_scope = (col(Organization.path).startswith(root.path), col(Member.telegram_id) > 0)
    total = (
        await session.exec(
            select(func.count())
            .select_from(Member)
            .join(Organization, col(Organization.id) == col(Member.org_id))
            .where(*in_scope)
        )
    ).one()
    result = await session.exec(
        select(Member, Organization, MemberLeave.id)
        .join(Organization, col(Organization.id) == col(Member.org_id))
        .outerjoin(
            MemberLeave,
            (col(MemberLeave.member_id) == col(Member.id)) & (col(MemberLeave.month) == month),
        )
        .where(*in_scope)
        .order_by(col(Organization.path), col(Member.name), col(Member.id))
        .offset(offset)
        .limit(limit)
    )
    rows = [MemberRow(member, org, leave_id is not None) for member, org, leave_id in result.all()]
    return MemberPage(rows, int(total))


async def managed_member(
    session: AsyncSession, actor: Member, member_id: int
) -> tuple[Member, Organization] | None:
    """The member and their organisation if `actor` may manage them (None: forged id)."""
    root = await managed_root(session, actor)
    target = await session.get(Member, member_id)
    if root is None or target is None or target.telegram_id <= 0:
        return None
    org = await session.get(Organization, target.org_id)
    if org is None or not org.path.startswith(root.path):
        return None
    if target.id != actor.id and ROLE_RANK[target.role] > ROLE_RANK[actor.role]:
        return None
    return target, org


async def leave_of(session: AsyncSession, member: Member, month: str) -> MemberLeave | None:
    return (
        await session.exec(
            select(MemberLeave).where(
                MemberLeave.member_id == member.id, MemberLeave.month == month
            )
        )
    ).first()


async def set_leave(
    session: AsyncSession, actor: Member, target: Member, month: str, reason: str
) -> MemberLeave:
    """Excuses `target` for the month (replaces an earlier reason); commits."""
    leave = await leave_of(session, target, month) or MemberLeave(member_id=target.id, month=month)
    leave.reason = reason
    leave.created_by_id = actor.id
    session.add(leave)
    _audit(session, actor, target, "leave_set", {"month": month, "reason": reason})
    try:
        await session.commit()
    except IntegrityError:  # the same leave set twice at once: the first one stands
        await session.rollback()
        existing = await leave_of(session, target, month)
        assert existing is not None
        return existing
    return leave


async def clear_leave(session: AsyncSession, actor: Member, target: Member, month: str) -> bool:
    leave = await leave_of(session, target, month)
    if leave is None:
        return False
    await session.delete(leave)
    _audit(session, actor, target, "leave_clear", {"month": month})
    await session.commit()
    return True


def may_change_role(actor: Member, target: Member) -> bool:
    return actor.role == Role.ADMIN and target.id != actor.id


def may_remove(actor: Member, target: Member) -> bool:
    """Nobody removes themself; a secretary removes cadres and secretaries below them."""
    return target.id != actor.id and (
        actor.role == Role.ADMIN or ROLE_RANK[target.role] <= ROLE_RANK[actor.role]
    )


async def change_role(session: AsyncSession, actor: Member, target: Member, role: Role) -> bool:
    if not may_change_role(actor, target) or target.role == role:
        return False
    _audit(session, actor, target, "role_change", {"from": target.role.value, "to": role.value})
    target.role = role
    session.add(target)
    await session.commit()
    return True


async def remove_member(session: AsyncSession, actor: Member, target: Member) -> bool:
    """Takes the member out of the organisation; their study history stays for statistics.

    The Telegram id is detached (set to minus the row id, never a real user id) because
    the id is unique and the person must be able to join again with a new invite.
    """
    if not may_remove(actor, target) or target.telegram_id <= 0:
        return False
    _audit(session, actor, target, "remove", {"telegram_id": target.telegram_id})
    target.telegram_id = -(target.id or 0)
    target.active = False
    session.add(target)
    await session.commit()
    return True


def _audit(
    session: AsyncSession, actor: Member, target: Member, action: str, details: dict[str, str]
) -> None:
    """Changes made to someone else's record are kept in the audit log."""
    if actor.id == target.id:
        return
    session.add(
        AuditLog(
            actor_id=actor.id,
            action=action,
            entity="member",
            entity_id=target.id,
            details={"name": target.name, **details},
        )
    )
