"""Configured admin ids become admins of the root organisation on their first /start."""

from __future__ import annotations

from sqlmodel import select

from bot.context import AppContext
from bot.keyboards.onboarding import JoinAction, JoinCb
from storage.models import Member, Organization, Role
from tests.support.factories import ADMIN_TG, World
from tests.support.harness import Harness, joined

CONFIRM = JoinCb(action=JoinAction.CONFIRM)


async def _all(app: AppContext, model: type) -> list:
    async with app.sessions() as session:
        return list((await session.exec(select(model))).all())


async def test_fresh_install_creates_root_org_and_admin(app: AppContext, harness: Harness):
    sent = await harness.send(ADMIN_TG, "/start")
    assert "管理员" in joined(sent)
    await harness.send(ADMIN_TG, "王管理")
    sent = await harness.press(ADMIN_TG, CONFIRM)
    [org] = await _all(app, Organization)
    [admin] = await _all(app, Member)
    assert (org.code, org.name, org.path) == ("root", "团市委", f"/{org.id}/")
    assert (admin.telegram_id, admin.role, admin.org_id) == (ADMIN_TG, Role.ADMIN, org.id)
    assert "📈 统计" in str(sent[-1].reply_markup)


async def test_admin_joins_the_existing_root(app: AppContext, harness: Harness):
    async with app.sessions() as session:
        from bot.services.orgs import create_org
        from storage.models import OrgKind

        city = await create_org(session, "city", "市团委", OrgKind.CITY, None)
        await session.commit()
    await harness.send(ADMIN_TG, "/start")
    await harness.send(ADMIN_TG, "王管理")
    await harness.press(ADMIN_TG, CONFIRM)
    [admin] = await _all(app, Member)
    assert admin.org_id == city.id
    assert len(await _all(app, Organization)) == 1


async def test_registered_admin_is_not_registered_again(harness: Harness, world: World):
    sent = await harness.send(ADMIN_TG, "/start")
    assert "你已注册" in joined(sent) and "王管理" in joined(sent)
