"""A small organisation tree with members of every role, for handler tests."""

from __future__ import annotations

from dataclasses import dataclass

from sqlalchemy.ext.asyncio import async_sessionmaker
from sqlmodel.ext.asyncio.session import AsyncSession

from bot.services.orgs import create_org
from storage.models import Member, Organization, OrgKind, Role

ADMIN_TG = 900001
SECRETARY_A_TG = 1001
SECRETARY_B_TG = 1002
CADRE_A1_TG = 2001
CADRE_A2_TG = 2002
CADRE_B1_TG = 2101
STRANGER_TG = 7777  # never registered


@dataclass
class World:
    city: Organization
    district: Organization
    branch_a: Organization
    branch_b: Organization
    admin: Member
    secretary_a: Member
    secretary_b: Member
    cadre_a1: Member
    cadre_a2: Member
    cadre_b1: Member


async def add_member(
    session: AsyncSession,
    telegram_id: int,
    name: str,
    org: Organization,
    role: Role,
    locale: str = "zh_CN",
) -> Member:
    member = Member(telegram_id=telegram_id, name=name, org_id=org.id, role=role, locale=locale)
    session.add(member)
    await session.flush()
    return member


async def build_world(sessions: async_sessionmaker[AsyncSession]) -> World:
    """市团委 → 区团委 → 一支部 (A) / 二支部 (B)."""
    async with sessions() as session:
        city = await create_org(session, "city", "市团委", OrgKind.CITY, None)
        district = await create_org(session, "d1", "城东区团委", OrgKind.DISTRICT, city)
        branch_a = await create_org(session, "b-a", "第一团支部", OrgKind.BRANCH, district)
        branch_b = await create_org(session, "b-b", "第二团支部", OrgKind.BRANCH, district)
        world = World(
            city=city,
            district=district,
            branch_a=branch_a,
            branch_b=branch_b,
            admin=await add_member(session, ADMIN_TG, "王管理", city, Role.ADMIN),
            secretary_a=await add_member(
                session, SECRETARY_A_TG, "李书记", branch_a, Role.SECRETARY
            ),
            secretary_b=await add_member(
                session, SECRETARY_B_TG, "赵书记", branch_b, Role.SECRETARY
            ),
            cadre_a1=await add_member(session, CADRE_A1_TG, "张三", branch_a, Role.CADRE),
            cadre_a2=await add_member(session, CADRE_A2_TG, "李四", branch_a, Role.CADRE),
            cadre_b1=await add_member(session, CADRE_B1_TG, "王五", branch_b, Role.CADRE),
        )
        await session.commit()
    return world
