"""Invites: random deep-link codes bound to an organisation and a role (framework-free)."""

from __future__ import annotations

import io
import re
import secrets
import sys
from dataclasses import dataclass
from datetime import datetime, timedelta
from enum import StrEnum

import qrcode
from sqlalchemy import or_, update
from sqlmodel import col, select
from sqlmodel.ext.asyncio.session import AsyncSession

from bot.config import Settings
from bot.services.orgs import in_subtree, managed_root
from storage.models import AuditLog, Invite, Member, Organization, Role

CODE_RE = re.compile(r"^[A-Za-z0-9_-]{1,64}$")
DEFAULT_USES = 30
DEFAULT_DAYS = 14
MAX_USES = 1000
MAX_DAYS = 365
# A second tap on the same button within this window returns the first invite.
DOUBLE_TAP_WINDOW = timedelta(seconds=10)


class InviteStatus(StrEnum):
    VALID = "valid"
    MALFORMED = "malformed"
    UNKNOWN = "unknown"
    REVOKED = "revoked"
    EXPIRED = "expired"
    USED_UP = "used_up"


@dataclass(frozen=True)
class InviteTerms:
    """How many people may join with an invite, and for how many days."""

    uses: int = DEFAULT_USES
    days: int = DEFAULT_DAYS

    @property
    def valid(self) -> bool:
        return 1 <= self.uses <= MAX_USES and 1 <= self.days <= MAX_DAYS


def parse_invite_terms(args: str | None) -> InviteTerms | None:
    """`/invite [USES] [DAYS]`: the defaults, or None when the numbers are not acceptable."""
    parts = (args or "").split()
    if len(parts) > 2 or not all(part.isdigit() for part in parts):
        return None
    numbers = [int(part) for part in parts]
    terms = InviteTerms(*numbers)
    return terms if terms.valid else None


def new_code() -> str:
    """16 URL-safe characters (96 random bits): a valid /start payload."""
    return secrets.token_urlsafe(12)


def deep_link(settings: Settings, code: str) -> str:
    return f"https://t.me/{settings.bot_username}?start={code}"


def qr_png(link: str) -> bytes:
    image = qrcode.make(link, box_size=8, border=2)
    buffer = io.BytesIO()
    image.save(buffer, format="PNG")
    return buffer.getvalue()


def may_invite_role(inviter: Role, role: Role) -> bool:
    """Secretaries invite cadres and secretaries; only admins invite admins."""
    if inviter == Role.ADMIN:
        return True
    return inviter == Role.SECRETARY and role in (Role.CADRE, Role.SECRETARY)


def invite_status(invite: Invite | None, now: datetime) -> InviteStatus:
    if invite is None:
        return InviteStatus.UNKNOWN
    if invite.revoked:
        return InviteStatus.REVOKED
    if invite.expires_at is not None and invite.expires_at <= now:
        return InviteStatus.EXPIRED
    if invite.max_uses is not None and invite.uses >= invite.max_uses:
        return InviteStatus.USED_UP
    return InviteStatus.VALID


async def find_invite(
    session: AsyncSession, code: str, now: datetime
) -> tuple[InviteStatus, Invite | None]:
    if not CODE_RE.match(code):
        return InviteStatus.MALFORMED, None
    invite = (await session.exec(select(Invite).where(Invite.code == code))).first()
    return invite_status(invite, now), invite


async def consume_invite(session: AsyncSession, invite_id: int, now: datetime) -> bool:
    """One use, only if still usable: two people racing for the last use cannot both win."""
    result = await session.exec(
        update(Invite)
        .where(
            col(Invite.id) == invite_id,
            col(Invite.revoked).is_(False),
            or_(col(Invite.max_uses).is_(None), col(Invite.uses) < col(Invite.max_uses)),
            or_(col(Invite.expires_at).is_(None), col(Invite.expires_at) > now),
        )
        .values(uses=col(Invite.uses) + 1)
    )
    return result.rowcount == 1


async def create_invite(
    session: AsyncSession,
    *,
    org: Organization,
    role: Role,
    now: datetime,
    uses: int | None = DEFAULT_USES,
    days: int | None = DEFAULT_DAYS,
    created_by: Member | None = None,
) -> Invite:
    """A fresh invite (caller commits); a double tap gets the one made a moment ago."""
    if created_by is not None:
        recent = await session.exec(
            select(Invite)
            .where(
                Invite.created_by_id == created_by.id,
                Invite.org_id == org.id,
                Invite.role == role,
                col(Invite.created_at) > now - DOUBLE_TAP_WINDOW,
            )
            .order_by(col(Invite.id).desc())
        )
        existing = recent.first()
        if existing is not None:
            return existing
    invite = Invite(
        code=new_code(),
        org_id=org.id,
        role=role,
        expires_at=now + timedelta(days=days) if days else None,
        max_uses=uses,
        created_by_id=created_by.id if created_by else None,
        created_at=now,
    )
    session.add(invite)
    await session.flush()
    return invite


@dataclass(frozen=True)
class ActiveInvite:
    invite: Invite
    org: Organization


async def active_invites(
    session: AsyncSession, root: Organization, now: datetime, limit: int = 30
) -> list[ActiveInvite]:
    """Usable invites of `root`'s subtree, newest first."""
    result = await session.exec(
        select(Invite, Organization)
        .join(Organization, col(Organization.id) == col(Invite.org_id))
        .where(
            col(Organization.path).startswith(root.path),
            col(Invite.revoked).is_(False),
            or_(col(Invite.expires_at).is_(None), col(Invite.expires_at) > now),
            or_(col(Invite.max_uses).is_(None), col(Invite.uses) < col(Invite.max_uses)),
        )
        .order_by(col(Invite.id).desc())
        .limit(limit)
    )
    return [ActiveInvite(invite, org) for invite, org in result.all()]


async def revoke_invite(session: AsyncSession, actor: Member, invite_id: int) -> Invite | None:
    """Revokes an invite of the actor's subtree; None when out of scope or unknown."""
    root = await managed_root(session, actor)
    invite = await session.get(Invite, invite_id)
    if root is None or invite is None:
        return None
    org = await session.get(Organization, invite.org_id)
    if org is None or not in_subtree(org, root) or not may_invite_role(actor.role, invite.role):
        return None
    if not invite.revoked:
        invite.revoked = True
        session.add(invite)
        session.add(
            AuditLog(
                actor_id=actor.id,
                action="revoke",
                entity="invite",
                entity_id=invite.id,
                details={"code": invite.code, "org_id": invite.org_id},
            )
        )
        await session.commit()
    return invite


async def create_invites_cli(
    settings: Settings,
    *,
    org_code: str,
    role: str,
    uses: int | None,
    days: int | None,
    count: int,
) -> int:
    """`branchbot invite`: prints one `CODE LINK` line per invite; 0 on success."""
    from bot.clock import SystemClock
    from storage.db import create_engine, session_factory
    from storage.migrate import upgrade_async

    problem = _cli_problem(uses=uses, days=days, count=count)
    if problem:
        print(f"error: {problem}", file=sys.stderr)
        return 2
    await upgrade_async(settings.database_url)
    engine = create_engine(settings.database_url)
    try:
        async with session_factory(engine)() as session:
            org = (
                await session.exec(select(Organization).where(Organization.code == org_code))
            ).first()
            if org is None:
                print(f"error: no organisation with code {org_code!r}", file=sys.stderr)
                return 1
            now = SystemClock().now()
            invites = [
                await create_invite(
                    session, org=org, role=Role(role), now=now, uses=uses, days=days or None
                )
                for _ in range(count)
            ]
            await session.commit()
    finally:
        await engine.dispose()
    for invite in invites:
        print(f"{invite.code} {deep_link(settings, invite.code)}")
    return 0


def _cli_problem(*, uses: int | None, days: int | None, count: int) -> str | None:
    if uses is not None and uses < 1:
        return "--uses must be at least 1"
    if days is not None and days < 0:
        return "--days must not be negative (0: never expires)"
    if not 1 <= count <= 1000:
        return "--count must be between 1 and 1000"
    return None
