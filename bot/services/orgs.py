"""Organisation tree: scope checks and subtree queries (framework-free)."""

from __future__ import annotations

from sqlmodel import col, select
from sqlmodel.ext.asyncio.session import AsyncSession

from storage.models import Member, Organization, OrgKind, Role

MANAGER_ROLES = (Role.SECRETARY, Role.ADMIN)


async def create_org(
    session: AsyncSession, code: str, name: str, kind: OrgKind, parent: Organization | None
) -> Organization:
    """Adds an organisation and its materialised path (caller commits)."""
    org = Organization(code=code, name=name, kind=kind, parent_id=parent.id if parent else None)
    session.add(org)
    await session.flush()
    org.path = f"{parent.path if parent else '/'}{org.id}/"
    session.add(org)
    return org


async def root_org(session: AsyncSession) -> Organization | None:
    result = await session.exec(
        select(Organization).where(col(Organization.parent_id).is_(None)).order_by(Organization.id)
    )
    return result.first()


def in_subtree(org: Organization, root: Organization) -> bool:
    return org.path.startswith(root.path)


async def managed_root(session: AsyncSession, member: Member | None) -> Organization | None:
    """The organisation whose subtree a secretary or admin manages; None for cadres."""
    if member is None or member.role not in MANAGER_ROLES:
        return None
    return await session.get(Organization, member.org_id)


async def manageable_org(
    session: AsyncSession, member: Member | None, org_id: int
) -> Organization | None:
    """The organisation if `member` may manage it, else None (forged ids end here)."""
    root = await managed_root(session, member)
    if root is None:
        return None
    org = await session.get(Organization, org_id)
    if org is None or not in_subtree(org, root):
        return None
    return org


async def subtree(session: AsyncSession, root: Organization) -> list[Organization]:
    result = await session.exec(
        select(Organization)
        .where(col(Organization.path).startswith(root.path))
        .order_by(Organization.path)
    )
    return list(result.all())


async def children(session: AsyncSession, org: Organization) -> list[Organization]:
    result = await session.exec(
        select(Organization).where(Organization.parent_id == org.id).order_by(Organization.name)
    )
    return list(result.all())


async def can_manage_member(session: AsyncSession, manager: Member | None, target: Member) -> bool:
    return await manageable_org(session, manager, target.org_id) is not None
