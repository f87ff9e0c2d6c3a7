"""Joining by invite: /start CODE → name → confirm → member and main menu."""

from __future__ import annotations

from datetime import timedelta

import pytest
from aiogram.types import ReplyKeyboardMarkup
from sqlmodel import select

from bot.context import AppContext
from bot.keyboards.onboarding import JoinAction, JoinCb
from bot.services.invites import create_invite
from storage.models import Invite, Member, Organization, Role
from tests.support.factories import CADRE_A1_TG, STRANGER_TG, World
from tests.support.harness import Harness, joined

CONFIRM = JoinCb(action=JoinAction.CONFIRM)
NEWCOMER_TG = 5555


async def make_invite(
    app: AppContext,
    org: Organization,
    *,
    role: Role = Role.CADRE,
    max_uses: int | None = 30,
    days: int | None = 14,
    **changes: object,
) -> str:
    async with app.sessions() as session:
        invite = await create_invite(
            session, org=org, role=role, now=app.clock.now(), uses=max_uses, days=days
        )
        for name, value in changes.items():
            setattr(invite, name, value)
        session.add(invite)
        await session.commit()
        return invite.code


async def members_named(app: AppContext, telegram_id: int) -> list[Member]:
    async with app.sessions() as session:
        result = await session.exec(select(Member).where(Member.telegram_id == telegram_id))
        return list(result.all())


async def invite_uses(app: AppContext, code: str) -> int:
    async with app.sessions() as session:
        invite = (await session.exec(select(Invite).where(Invite.code == code))).one()
        return invite.uses


async def test_valid_invite_asks_for_the_name(app: AppContext, harness: Harness, world: World):
    code = await make_invite(app, world.branch_a)
    sent = await harness.send(NEWCOMER_TG, f"/start {code}")
    assert "第一团支部" in joined(sent)
    assert "姓名" in joined(sent)


async def test_full_join_stores_member_and_shows_main_menu(
    app: AppContext, harness: Harness, world: World
):
    code = await make_invite(app, world.branch_a, role=Role.SECRETARY)
    await harness.send(NEWCOMER_TG, f"/start {code}")
    sent = await harness.send(NEWCOMER_TG, " 陈 小明 ")
    assert "陈小明" in joined(sent)
    sent = await harness.press(NEWCOMER_TG, CONFIRM)
    [member] = await members_named(app, NEWCOMER_TG)
    assert (member.name, member.org_id, member.role) == (
        "陈小明",
        world.branch_a.id,
        Role.SECRETARY,
    )
    assert member.locale == "zh_CN"
    menus = [r for r in sent if isinstance(getattr(r, "reply_markup", None), ReplyKeyboardMarkup)]
    assert menus and "📝 记录学习" in str(menus[0].reply_markup)
    assert await invite_uses(app, code) == 1


async def test_english_user_gets_english_menu_and_locale(
    app: AppContext, harness: Harness, world: World
):
    harness.languages[NEWCOMER_TG] = "en-US"
    code = await make_invite(app, world.branch_a)
    await harness.send(NEWCOMER_TG, f"/start {code}")
    await harness.send(NEWCOMER_TG, "Anna Li")
    sent = await harness.press(NEWCOMER_TG, CONFIRM)
    assert "Welcome, Anna Li" in joined(sent)
    assert "📝 Log study" in str(sent[-1].reply_markup)
    [member] = await members_named(app, NEWCOMER_TG)
    assert member.locale == "en"


async def test_reenter_button_asks_for_the_name_again(
    app: AppContext, harness: Harness, world: World
):
    code = await make_invite(app, world.branch_a)
    await harness.send(NEWCOMER_TG, f"/start {code}")
    await harness.send(NEWCOMER_TG, "陈小明")
    await harness.press(NEWCOMER_TG, JoinCb(action=JoinAction.REENTER))
    await harness.send(NEWCOMER_TG, "陈晓明")
    await harness.press(NEWCOMER_TG, CONFIRM)
    [member] = await members_named(app, NEWCOMER_TG)
    assert member.name == "陈晓明"


@pytest.mark.parametrize(
    ("changes", "expected"),
    [
        ({"revoked": True}, "作废"),
        ({"uses": 30}, "人数已满"),
    ],
    ids=["revoked", "used-up"],
)
async def test_unusable_invite_gets_its_own_answer(
    app: AppContext, harness: Harness, world: World, changes: dict, expected: str
):
    code = await make_invite(app, world.branch_a, **changes)
    sent = await harness.send(NEWCOMER_TG, f"/start {code}")
    assert expected in joined(sent)
    assert await harness.dp.storage.get_state(_key(harness)) is None


async def test_expired_invite_says_expired(app: AppContext, harness: Harness, world: World):
    code = await make_invite(app, world.branch_a, expires_at=app.clock.now() - timedelta(minutes=1))
    sent = await harness.send(NEWCOMER_TG, f"/start {code}")
    assert "已过期" in joined(sent)


async def test_unknown_code_says_it_does_not_exist(harness: Harness, world: World):
    sent = await harness.send(NEWCOMER_TG, "/start NoSuchCode123")
    assert "不存在" in joined(sent)


@pytest.mark.parametrize(
    "payload", ["abc$%^&*", "a" * 65, "团章"], ids=["symbols", "65-chars", "hanzi"]
)
async def test_malformed_payload_says_the_link_is_damaged(
    harness: Harness, world: World, payload: str
):
    sent = await harness.send(NEWCOMER_TG, f"/start {payload}")
    assert "不完整" in joined(sent)


async def test_start_without_code_explains_how_to_join(harness: Harness, world: World):
    sent = await harness.send(STRANGER_TG, "/start")
    assert "邀请链接" in joined(sent)


async def test_registered_user_is_told_who_and_where_they_are(
    app: AppContext, harness: Harness, world: World
):
    code = await make_invite(app, world.branch_b)
    sent = await harness.send(CADRE_A1_TG, f"/start {code}")
    assert "张三" in joined(sent) and "第一团支部" in joined(sent)
    assert await invite_uses(app, code) == 0


async def test_double_tap_on_confirm_stores_one_member_and_one_use(
    app: AppContext, harness: Harness, world: World
):
    code = await make_invite(app, world.branch_a)
    await harness.send(NEWCOMER_TG, f"/start {code}")
    await harness.send(NEWCOMER_TG, "陈小明")
    await harness.press(NEWCOMER_TG, CONFIRM)
    second = await harness.press(NEWCOMER_TG, CONFIRM)
    assert "已经注册" in joined(second)
    assert len(await members_named(app, NEWCOMER_TG)) == 1
    assert await invite_uses(app, code) == 1


async def test_last_use_taken_meanwhile_stores_nothing(
    app: AppContext, harness: Harness, world: World
):
    code = await make_invite(app, world.branch_a, max_uses=1)
    await harness.send(NEWCOMER_TG, f"/start {code}")
    await harness.send(NEWCOMER_TG + 1, f"/start {code}")
    await harness.send(NEWCOMER_TG, "陈小明")
    await harness.send(NEWCOMER_TG + 1, "刘小红")
    await harness.press(NEWCOMER_TG, CONFIRM)
    sent = await harness.press(NEWCOMER_TG + 1, CONFIRM)
    assert "人数已满" in joined(sent)
    assert await members_named(app, NEWCOMER_TG + 1) == []
    assert await invite_uses(app, code) == 1


async def test_confirm_without_a_pending_name_is_rejected(harness: Harness, world: World):
    sent = await harness.press(NEWCOMER_TG, CONFIRM)
    assert "失效" in joined(sent)


async def test_cancel_during_name_entry_stores_nothing(
    app: AppContext, harness: Harness, world: World
):
    code = await make_invite(app, world.branch_a)
    await harness.send(NEWCOMER_TG, f"/start {code}")
    sent = await harness.send(NEWCOMER_TG, "/cancel")
    assert "已取消" in joined(sent)
    await harness.press(NEWCOMER_TG, CONFIRM)
    assert await members_named(app, NEWCOMER_TG) == []


async def test_start_in_a_group_asks_for_a_private_chat(harness: Harness, world: World):
    sent = await harness.send(NEWCOMER_TG, "/start", group=True)
    assert "私聊" in joined(sent)


def _key(harness: Harness):
    from aiogram.fsm.storage.base import StorageKey

    return StorageKey(bot_id=harness.bot.id, chat_id=NEWCOMER_TG, user_id=NEWCOMER_TG)
