"""/stats through the real Dispatcher: figures, drill-down, month switching, nudges, scope."""

from __future__ import annotations

from sqlmodel import select

from bot.context import AppContext
from bot.i18n import i18n_context
from bot.keyboards.stats import StatsAction, StatsCb
from scheduler.texts import all_renderers
from storage.models import Outbox, Role
from tests.support.factories import (
    ADMIN_TG,
    CADRE_A1_TG,
    SECRETARY_A_TG,
    SECRETARY_B_TG,
    STRANGER_TG,
    World,
    add_member,
)
from tests.support.harness import Harness, button_data, buttons, joined
from tests.test_stats_service import build_dataset


def view(org_id: int | None, month: str = "2026-11") -> StatsCb:
    return StatsCb(action=StatsAction.VIEW, org_id=org_id or 0, month=month)


def nudge(org_id: int | None, month: str = "2026-11") -> StatsCb:
    return StatsCb(action=StatsAction.NUDGE, org_id=org_id or 0, month=month)


async def test_admin_sees_the_whole_tree_figures(harness: Harness, app: AppContext) -> None:
    await build_dataset(app)
    text = joined(await harness.send(ADMIN_TG, "/stats"))
    assert "市团委 — 2026-11" in text
    assert "统计人数：5" in text
    assert "达到 30 小时：2 人（40%）" in text
    assert "平均 16.4 小时，中位数 20 小时" in text
    assert "请假：1" in text
    assert "1. 城东区团委 40% (2/5)" in text
    assert "· 李书记：0 小时" in text


async def test_menu_button_works_like_the_command(harness: Harness, app: AppContext) -> None:
    await build_dataset(app)
    assert "统计人数：5" in joined(await harness.send(ADMIN_TG, "📈 统计"))


async def test_secretary_sees_only_their_branch(harness: Harness, app: AppContext) -> None:
    await build_dataset(app)
    text = joined(await harness.send(SECRETARY_A_TG, "/stats"))
    assert "第一团支部 — 2026-11" in text
    assert "统计人数：3" in text
    assert "集体学习：已完成 1 / 2 个半天" in text
    assert "交流会：已召开，到会 2 / 3 人" in text
    assert "王五" not in text


async def test_cadre_gets_their_own_month(harness: Harness, app: AppContext) -> None:
    await build_dataset(app)
    text = joined(await harness.send(CADRE_A1_TG, "/stats"))
    assert "2026-11 你已学习 30 小时（目标 30 小时）" in text
    assert "李四" not in text


async def test_stranger_is_told_to_join(harness: Harness, app: AppContext) -> None:
    await build_dataset(app)
    assert "邀请链接" in joined(await harness.send(STRANGER_TG, "/stats"))


async def test_future_month_gets_a_clear_answer(harness: Harness, app: AppContext) -> None:
    await build_dataset(app)
    assert "2026-12 还没有开始" in joined(await harness.send(ADMIN_TG, "/stats 2026-12"))


async def test_unreadable_month_gets_a_clear_answer(harness: Harness, app: AppContext) -> None:
    await build_dataset(app)
    assert "YYYY-MM" in joined(await harness.send(ADMIN_TG, "/stats 十一月🙂"))


async def test_empty_month_shows_zeros(harness: Harness, app: AppContext) -> None:
    await build_dataset(app)
    text = joined(await harness.send(ADMIN_TG, "/stats 2026-06"))
    assert "达到 30 小时：0 人（0%）" in text
    assert "交流会：未召开" in text


async def test_drill_down_into_a_child_and_back_up(harness: Harness, app: AppContext) -> None:
    data = await build_dataset(app)
    sent = await harness.send(ADMIN_TG, "/stats")
    down = await harness.press(ADMIN_TG, button_data(sent, "城东区团委"))
    assert "城东区团委 — 2026-11" in joined(down)
    assert "1. 第二团支部 50% (1/2)" in joined(down)
    up = await harness.press(ADMIN_TG, button_data(down, "返回"))
    assert "市团委 — 2026-11" in joined(up)
    assert button_data(down, "返回") == view(data.world.city.id).pack()


async def test_month_switch_goes_back_and_not_past_this_month(
    harness: Harness, app: AppContext
) -> None:
    await build_dataset(app)
    sent = await harness.send(ADMIN_TG, "/stats")
    assert not any("2026-12" in text for text, _ in buttons(sent))
    previous = await harness.press(ADMIN_TG, button_data(sent, "2026-10"))
    assert "市团委 — 2026-10" in joined(previous)
    assert button_data(previous, "2026-11").endswith("2026-11")


async def test_forged_drill_down_outside_scope_is_rejected(
    harness: Harness, app: AppContext
) -> None:
    data = await build_dataset(app)
    for org in (data.world.branch_b, data.world.district, data.world.city):
        answer = joined(await harness.press(SECRETARY_A_TG, view(org.id)))
        assert "按钮已失效" in answer
        assert "统计人数" not in answer


async def test_cadre_cannot_use_stats_buttons(harness: Harness, app: AppContext) -> None:
    data = await build_dataset(app)
    answer = joined(await harness.press(CADRE_A1_TG, view(data.world.branch_a.id)))
    assert "只有团支部书记和管理员" in answer


async def test_garbage_callback_data_is_rejected(harness: Harness, app: AppContext) -> None:
    data = await build_dataset(app)
    for raw in (f"sts:v:{data.world.branch_a.id}:2026-13", "sts:v:abc:2026-11", "sts:x:1:2026-11"):
        answer = joined(await harness.press(SECRETARY_A_TG, raw))
        assert "统计人数" not in answer


async def test_future_month_button_gets_a_clear_answer(harness: Harness, app: AppContext) -> None:
    data = await build_dataset(app)
    answer = joined(await harness.press(ADMIN_TG, view(data.world.city.id, "2027-01")))
    assert "还没有开始" in answer


async def test_nudge_queues_one_reminder_per_member_per_day(
    harness: Harness, app: AppContext
) -> None:
    data = await build_dataset(app)
    sent = await harness.send(SECRETARY_A_TG, "/stats")
    first = joined(await harness.press(SECRETARY_A_TG, button_data(sent, "提醒")))
    second = joined(await harness.press(SECRETARY_A_TG, button_data(sent, "提醒")))
    assert "已加入发送队列：2 人" in first
    assert "已加入发送队列：0 人" in second and "2 人今天已经提醒过" in second
    async with app.sessions() as session:
        rows = (await session.exec(select(Outbox))).all()
    assert sorted(row.member_id for row in rows) == sorted(
        [data.world.secretary_a.id, data.world.cadre_a2.id]
    )
    assert {(row.kind, row.period_key, row.text_key) for row in rows} == {
        ("manual_nudge", "2026-11-20", "manual_nudge")
    }


async def test_forged_nudge_for_another_branch_is_rejected(
    harness: Harness, app: AppContext
) -> None:
    data = await build_dataset(app)
    answer = joined(await harness.press(SECRETARY_B_TG, nudge(data.world.branch_a.id)))
    assert "按钮已失效" in answer
    async with app.sessions() as session:
        assert (await session.exec(select(Outbox))).all() == []


async def test_no_nudge_button_for_a_past_month(harness: Harness, app: AppContext) -> None:
    await build_dataset(app)
    sent = await harness.send(SECRETARY_A_TG, "/stats 2026-10")
    assert not any("提醒" in text for text, _ in buttons(sent))


async def test_stats_in_a_group_chat_points_to_private_chat(
    harness: Harness, app: AppContext
) -> None:
    await build_dataset(app)
    text = joined(await harness.send(ADMIN_TG, "/stats", group=True))
    assert "统计人数" not in text and "私聊" in text


def test_nudge_renders_in_both_languages(app: AppContext) -> None:
    render = all_renderers()["manual_nudge"]
    args = {"month": "2026-11", "done_minutes": 120, "target_minutes": 1800, "org": "第一团支部"}
    with i18n_context(app.i18n, "zh_CN"):
        assert "2026-11 你已学习 2 小时，目标 30 小时" in render(args).text
    with i18n_context(app.i18n, "en"):
        assert "you have logged 2 h of 30 h" in render(args).text


async def test_a_long_behind_list_shows_ten_and_the_nudge_reaches_everyone_behind(
    harness: Harness, app: AppContext, world: World
) -> None:
    async with app.sessions() as session:
        for n in range(12):
            await add_member(session, 7000 + n, f"新团员{n}", world.branch_a, Role.CADRE)
        await session.commit()
    sent = await harness.send(SECRETARY_A_TG, "/stats")
    text = joined(sent)
    behind = 12 + 3  # the new cadres, the branch's two cadres and its secretary, all at 0 h
    assert text.count("· ") == 10 and f"另有 {behind - 10} 人进度落后" in text
    answer = joined(await harness.press(SECRETARY_A_TG, button_data(sent, f"提醒落后的 {behind}")))
    assert f"已加入发送队列：{behind} 人" in answer
