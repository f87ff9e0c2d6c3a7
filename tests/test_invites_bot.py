"""/invite and /invites: scope, roles, the link with its QR code, revoking."""

from __future__ import annotations

from datetime import timedelta

from aiogram.methods import SendPhoto
from aiogram.types import BufferedInputFile
from sqlmodel import select

from bot.context import AppContext
from bot.keyboards.onboarding import InviteOrgCb, InvitePageCb, InviteRoleCb, RevokeCb
from bot.services.orgs import create_org
from storage.models import Invite, OrgKind, Role
from tests.support.factories import (
    ADMIN_TG,
    CADRE_A1_TG,
    SECRETARY_A_TG,
    SECRETARY_B_TG,
    World,
)
from tests.support.harness import Harness, buttons, joined
from tests.test_onboarding_join import make_invite

TERMS = {"uses": 30, "days": 14}


async def invites(app: AppContext) -> list[Invite]:
    async with app.sessions() as session:
        return list((await session.exec(select(Invite))).all())


async def test_cadre_cannot_invite(harness: Harness, world: World):
    sent = await harness.send(CADRE_A1_TG, "/invite")
    assert "只有团支部书记和管理员" in joined(sent)


async def test_secretary_of_one_branch_goes_straight_to_roles(harness: Harness, world: World):
    sent = await harness.send(SECRETARY_A_TG, "/invite")
    assert "第一团支部" in joined(sent)
    assert [text for text, _ in buttons(sent)] == ["团干部", "团支部书记"]


async def test_admin_picks_an_organisation_of_the_tree(harness: Harness, world: World):
    sent = await harness.send(ADMIN_TG, "/invite")
    names = [text for text, _ in buttons(sent)]
    assert names == ["市团委", "城东区团委", "第一团支部", "第二团支部"]
    sent = await harness.press(ADMIN_TG, InviteOrgCb(org_id=world.branch_b.id, **TERMS))
    assert [text for text, _ in buttons(sent)] == ["团干部", "团支部书记", "管理员"]


async def test_many_organisations_are_paged(app: AppContext, harness: Harness, world: World):
    async with app.sessions() as session:
        for number in range(10):
            await create_org(session, f"x{number}", f"支部{number:02d}", OrgKind.BRANCH, world.city)
        await session.commit()
    first = await harness.send(ADMIN_TG, "/invite")
    assert len(buttons(first)) == 9  # 8 organisations and "next"
    second = await harness.press(ADMIN_TG, InvitePageCb(page=1, **TERMS))
    assert "◀ 上一页" in [text for text, _ in buttons(second)]


async def test_created_invite_comes_with_link_and_qr_png(
    app: AppContext, harness: Harness, world: World
):
    sent = await harness.press(
        SECRETARY_A_TG, InviteRoleCb(org_id=world.branch_a.id, role=Role.CADRE, **TERMS)
    )
    [invite] = await invites(app)
    photo = next(request for request in sent if isinstance(request, SendPhoto))
    assert isinstance(photo.photo, BufferedInputFile)
    assert photo.photo.data.startswith(b"\x89PNG")
    assert f"https://t.me/BranchBot?start={invite.code}" in (photo.caption or "")
    assert (invite.org_id, invite.role, invite.max_uses) == (world.branch_a.id, Role.CADRE, 30)
    assert invite.expires_at is not None


async def test_invite_with_uses_and_days(app: AppContext, harness: Harness, world: World):
    sent = await harness.send(SECRETARY_A_TG, "/invite 5 3")
    await harness.press(SECRETARY_A_TG, buttons(sent)[0][1])
    [invite] = await invites(app)
    assert invite.max_uses == 5
    assert invite.expires_at == app.clock.now() + timedelta(days=3)


async def test_bad_invite_numbers_show_usage(app: AppContext, harness: Harness, world: World):
    for args in ("0", "5 400", "many", "1 2 3"):
        sent = await harness.send(SECRETARY_A_TG, f"/invite {args}")
        assert "/invite 30 14" in joined(sent)
    assert await invites(app) == []


async def test_forged_terms_are_rejected(app: AppContext, harness: Harness, world: World):
    forged = InviteRoleCb(org_id=world.branch_a.id, role=Role.CADRE, uses=99999, days=14)
    sent = await harness.press(SECRETARY_A_TG, forged)
    assert "失效" in joined(sent)
    assert await invites(app) == []


async def test_double_tap_on_role_makes_one_invite(app: AppContext, harness: Harness, world: World):
    data = InviteRoleCb(org_id=world.branch_a.id, role=Role.CADRE, **TERMS)
    await harness.press(SECRETARY_A_TG, data)
    await harness.press(SECRETARY_A_TG, data)
    assert len(await invites(app)) == 1


async def test_forged_organisation_of_another_branch_is_rejected(
    app: AppContext, harness: Harness, world: World
):
    picked = await harness.press(SECRETARY_A_TG, InviteOrgCb(org_id=world.branch_b.id, **TERMS))
    created = await harness.press(
        SECRETARY_A_TG, InviteRoleCb(org_id=world.branch_b.id, role=Role.CADRE, **TERMS)
    )
    assert "失效" in joined(picked) and "失效" in joined(created)
    assert await invites(app) == []


async def test_secretary_cannot_invite_an_admin_even_forged(
    app: AppContext, harness: Harness, world: World
):
    sent = await harness.press(
        SECRETARY_A_TG, InviteRoleCb(org_id=world.branch_a.id, role=Role.ADMIN, **TERMS)
    )
    assert "只有管理员才能邀请管理员" in joined(sent)
    assert await invites(app) == []


async def test_garbage_callback_data_is_answered(harness: Harness, world: World):
    sent = await harness.press(SECRETARY_A_TG, "ivr:abc:zz")
    assert "失效" in joined(sent)


async def test_invites_lists_only_the_own_subtree(app: AppContext, harness: Harness, world: World):
    await make_invite(app, world.branch_a)
    await make_invite(app, world.branch_b)
    sent = await harness.send(SECRETARY_A_TG, "/invites")
    assert "第一团支部" in joined(sent) and "第二团支部" not in joined(sent)
    assert len(buttons(sent)) == 1


async def test_revoke_button_revokes_and_the_link_stops_working(
    app: AppContext, harness: Harness, world: World
):
    code = await make_invite(app, world.branch_a)
    [invite] = await invites(app)
    sent = await harness.press(SECRETARY_A_TG, RevokeCb(invite_id=invite.id))
    assert "已作废" in joined(sent)
    start = await harness.send(5555, f"/start {code}")
    assert "作废" in joined(start)


async def test_other_branch_cannot_revoke_with_forged_id(
    app: AppContext, harness: Harness, world: World
):
    await make_invite(app, world.branch_a)
    [invite] = await invites(app)
    sent = await harness.press(SECRETARY_B_TG, RevokeCb(invite_id=invite.id))
    assert "失效" in joined(sent)
    [after] = await invites(app)
    assert not after.revoked


async def test_long_invite_list_fits_one_message(app: AppContext, harness: Harness, world: World):
    async with app.sessions() as session:
        long_name = await create_org(
            session, "long", "很长的组织名称" * 14, OrgKind.BRANCH, world.city
        )
        await session.commit()
    for _ in range(30):
        await make_invite(app, long_name)
    [sent] = await harness.send(ADMIN_TG, "/invites")
    assert len(sent.text) <= 4096
    assert 0 < len(buttons([sent])) < 30
