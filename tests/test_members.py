"""/members: list the subtree, leave for the month, roles, removal — audited, in scope."""

from __future__ import annotations

from typing import Any

import pytest
from aiogram.exceptions import TelegramBadRequest
from aiogram.methods import EditMessageText
from sqlmodel import select

from bot.context import AppContext
from bot.keyboards.onboarding import MemberAction, MemberCb
from storage.models import AuditLog, Member, MemberLeave, Role
from tests.support.factories import (
    ADMIN_TG,
    CADRE_A1_TG,
    SECRETARY_A_TG,
    World,
)
from tests.support.harness import Harness, buttons, joined


async def rows(app: AppContext, model: type) -> list:
    async with app.sessions() as session:
        return list((await session.exec(select(model))).all())


async def fetch(app: AppContext, member_id: int) -> Member:
    async with app.sessions() as session:
        member = await session.get(Member, member_id)
        assert member is not None
        return member


def cb(action: MemberAction, member: Member, role: Role | None = None) -> MemberCb:
    return MemberCb(action=action, member_id=member.id, role=role)


async def test_secretary_sees_only_own_branch(harness: Harness, world: World):
    sent = await harness.send(SECRETARY_A_TG, "/members")
    names = " ".join(text for text, _ in buttons(sent))
    assert "张三" in names and "李四" in names and "李书记" in names
    assert "王五" not in names and "赵书记" not in names
    assert "3" in joined(sent)


async def test_cadre_cannot_manage_members(harness: Harness, world: World):
    sent = await harness.send(CADRE_A1_TG, "/members")
    assert "只有团支部书记和管理员" in joined(sent)


async def test_admin_list_is_paged(harness: Harness, world: World):
    sent = await harness.send(ADMIN_TG, "/members")
    assert "6" in joined(sent)  # six members; one page of ten


async def test_set_leave_with_reason_is_stored_and_audited(
    app: AppContext, harness: Harness, world: World
):
    prompt = await harness.press(SECRETARY_A_TG, cb(MemberAction.LEAVE, world.cadre_a1))
    assert "张三" in joined(prompt) and "2026-11" in joined(prompt)
    sent = await harness.send(SECRETARY_A_TG, "外出培训")
    assert "请假已登记" in joined(sent)
    [leave] = await rows(app, MemberLeave)
    assert (leave.member_id, leave.month, leave.reason) == (
        world.cadre_a1.id,
        "2026-11",
        "外出培训",
    )
    [audit] = await rows(app, AuditLog)
    assert (audit.actor_id, audit.action, audit.entity_id) == (
        world.secretary_a.id,
        "leave_set",
        world.cadre_a1.id,
    )


async def test_clear_leave_removes_it(app: AppContext, harness: Harness, world: World):
    await harness.press(SECRETARY_A_TG, cb(MemberAction.LEAVE, world.cadre_a1))
    await harness.send(SECRETARY_A_TG, "病假")
    sent = await harness.press(SECRETARY_A_TG, cb(MemberAction.UNLEAVE, world.cadre_a1))
    assert "已取消请假" in joined(sent)
    assert await rows(app, MemberLeave) == []
    assert [a.action for a in await rows(app, AuditLog)] == ["leave_set", "leave_clear"]


async def test_too_long_leave_reason_is_refused(app: AppContext, harness: Harness, world: World):
    await harness.press(SECRETARY_A_TG, cb(MemberAction.LEAVE, world.cadre_a1))
    sent = await harness.send(SECRETARY_A_TG, "假" * 201)
    assert "不超过200个字" in joined(sent)
    assert await rows(app, MemberLeave) == []


async def test_cancel_during_leave_reason_stores_nothing(
    app: AppContext, harness: Harness, world: World
):
    await harness.press(SECRETARY_A_TG, cb(MemberAction.LEAVE, world.cadre_a1))
    await harness.send(SECRETARY_A_TG, "/cancel")
    await harness.send(SECRETARY_A_TG, "病假")
    assert await rows(app, MemberLeave) == []


async def test_forged_member_of_other_branch_is_rejected(
    app: AppContext, harness: Harness, world: World
):
    for action in (MemberAction.SHOW, MemberAction.LEAVE, MemberAction.REMOVE_CONFIRMED):
        sent = await harness.press(SECRETARY_A_TG, cb(action, world.cadre_b1))
        assert "失效" in joined(sent)
    assert (await fetch(app, world.cadre_b1.id)).telegram_id > 0


async def test_admin_changes_a_role_and_it_is_audited(
    app: AppContext, harness: Harness, world: World
):
    card = await harness.send(ADMIN_TG, "/members")
    assert card
    sent = await harness.press(ADMIN_TG, cb(MemberAction.ROLE, world.cadre_a1, Role.SECRETARY))
    assert "身份已修改" in joined(sent)
    assert (await fetch(app, world.cadre_a1.id)).role == Role.SECRETARY
    [audit] = await rows(app, AuditLog)
    assert audit.details["to"] == "secretary"


async def test_secretary_cannot_change_roles(app: AppContext, harness: Harness, world: World):
    card = await harness.press(SECRETARY_A_TG, cb(MemberAction.SHOW, world.cadre_a1))
    assert not any("设为" in text for text, _ in buttons(card))
    sent = await harness.press(
        SECRETARY_A_TG, cb(MemberAction.ROLE, world.cadre_a1, Role.SECRETARY)
    )
    assert "失效" in joined(sent)
    assert (await fetch(app, world.cadre_a1.id)).role == Role.CADRE


async def test_remove_detaches_the_user_who_can_join_again(
    app: AppContext, harness: Harness, world: World
):
    confirm = await harness.press(SECRETARY_A_TG, cb(MemberAction.REMOVE, world.cadre_a1))
    assert "学习记录会保留" in joined(confirm)
    await harness.press(SECRETARY_A_TG, cb(MemberAction.REMOVE_CONFIRMED, world.cadre_a1))
    removed = await fetch(app, world.cadre_a1.id)
    assert removed.telegram_id < 0 and not removed.active
    sent = await harness.send(CADRE_A1_TG, "/start")
    assert "邀请链接" in joined(sent)
    [audit] = await rows(app, AuditLog)
    assert (audit.action, audit.details["telegram_id"]) == ("remove", CADRE_A1_TG)


async def test_nobody_removes_themself(app: AppContext, harness: Harness, world: World):
    sent = await harness.press(SECRETARY_A_TG, cb(MemberAction.REMOVE_CONFIRMED, world.secretary_a))
    assert "失效" in joined(sent)
    assert (await fetch(app, world.secretary_a.id)).telegram_id == SECRETARY_A_TG


async def test_second_tap_showing_the_same_page_is_not_an_error(
    harness: Harness, world: World, monkeypatch: pytest.MonkeyPatch
):
    original = harness.session.make_request

    async def not_modified(bot: Any, method: Any, **kwargs: Any) -> Any:
        if isinstance(method, EditMessageText):
            raise TelegramBadRequest(method=method, message="Bad Request: message is not modified")
        return await original(bot, method, **kwargs)

    monkeypatch.setattr(harness.session, "make_request", not_modified)
    sent = await harness.press(SECRETARY_A_TG, MemberCb(action=MemberAction.PAGE, page=0))
    assert "出了点问题" not in joined(sent)
