"""/member NAME: one member's month, last 6 months and entries, within the manager's scope."""

from __future__ import annotations

from sqlmodel import select

from bot.context import AppContext
from bot.keyboards.stats import MemberCb
from storage.models import Member, Role
from tests.support.factories import ADMIN_TG, CADRE_A1_TG, SECRETARY_A_TG, SECRETARY_B_TG
from tests.support.harness import Harness, buttons, joined
from tests.test_stats_service import build_dataset


async def test_secretary_sees_a_members_month_history_and_entries(
    harness: Harness, app: AppContext
) -> None:
    await build_dataset(app)
    text = joined(await harness.send(SECRETARY_A_TG, "/member 张三"))
    assert "👤 张三 · 第一团支部" in text
    assert "2026-11：30 / 30 小时（已达标）" in text
    assert "2026-10  5 h" in text and "2026-06  0 h" in text
    assert "11-30  10 h  学习团章 600 分钟" in text


async def test_member_month_agrees_with_their_own_stats(harness: Harness, app: AppContext) -> None:
    await build_dataset(app)
    manager_view = joined(await harness.send(SECRETARY_A_TG, "/member 李四"))
    own_view = joined(await harness.send(2002, "/stats"))
    assert "2 / 30 小时" in manager_view and "你已学习 2 小时" in own_view


async def test_member_outside_the_subtree_is_not_found(harness: Harness, app: AppContext) -> None:
    await build_dataset(app)
    text = joined(await harness.send(SECRETARY_A_TG, "/member 王五"))
    assert "没有名为“王五”的成员" in text


async def test_ambiguous_name_offers_buttons(harness: Harness, app: AppContext) -> None:
    data = await build_dataset(app)
    async with app.sessions() as session:
        session.add(Member(telegram_id=2199, name="张三丰", org_id=data.world.branch_b.id,
                           role=Role.CADRE))  # fmt: skip
        await session.commit()
    sent = await harness.send(ADMIN_TG, "/member 张")
    labels = [text for text, _ in buttons(sent)]
    assert labels == ["张三 · 第一团支部", "张三丰 · 第二团支部"]
    chosen = await harness.press(ADMIN_TG, buttons(sent)[1][1])
    assert "👤 张三丰 · 第二团支部" in joined(chosen)


async def test_forged_member_button_outside_scope_is_rejected(
    harness: Harness, app: AppContext
) -> None:
    data = await build_dataset(app)
    forged = MemberCb(member_id=data.world.cadre_a1.id or 0, month="2026-11")
    answer = joined(await harness.press(SECRETARY_B_TG, forged))
    assert "按钮已失效" in answer and "张三" not in answer


async def test_member_button_for_a_missing_member_is_rejected(
    harness: Harness, app: AppContext
) -> None:
    await build_dataset(app)
    async with app.sessions() as session:
        top = max(m.id or 0 for m in (await session.exec(select(Member))).all())
    answer = joined(await harness.press(ADMIN_TG, MemberCb(member_id=top + 100, month="2026-11")))
    assert "按钮已失效" in answer


async def test_cadre_cannot_look_up_members(harness: Harness, app: AppContext) -> None:
    await build_dataset(app)
    text = joined(await harness.send(CADRE_A1_TG, "/member 李四"))
    assert "只有团支部书记和管理员" in text


async def test_member_without_a_name_gets_usage(harness: Harness, app: AppContext) -> None:
    await build_dataset(app)
    assert "用法" in joined(await harness.send(SECRETARY_A_TG, "/member"))


async def test_member_with_a_past_month(harness: Harness, app: AppContext) -> None:
    await build_dataset(app)
    text = joined(await harness.send(SECRETARY_A_TG, "/member 张三 2026-10"))
    assert "2026-10：5 / 30 小时（还差 25 小时）" in text
