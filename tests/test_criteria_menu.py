"""The /criteria menu (edited in place, back buttons, forged data) and /kb_reload."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest
from aiogram.methods import EditMessageText, SendMessage

from bot.context import AppContext
from bot.keyboards.criteria import CriteriaCb, KbAction
from bot.knowledge.loader import DEFAULT_PATH
from bot.knowledge.store import knowledge_store
from handlers import criteria
from tests.support.factories import ADMIN_TG, CADRE_A1_TG, World
from tests.support.harness import Harness, buttons, joined


@pytest.fixture
def kb_file(tmp_path: Path) -> Path:
    path = tmp_path / "plan_kb.yaml"
    path.write_text(DEFAULT_PATH.read_text(encoding="utf-8"), encoding="utf-8")
    return path


def _edit(path: Path, old: str, new: str) -> None:
    path.write_text(path.read_text(encoding="utf-8").replace(old, new), encoding="utf-8")


@pytest.fixture
def settings_overrides(kb_file: Path) -> dict[str, Any]:
    return {"knowledge_base_path": str(kb_file)}


async def test_criteria_command_shows_the_four_top_topics(harness: Harness, world: World) -> None:
    labels = [label for label, _ in buttons(await harness.send(CADRE_A1_TG, "/criteria"))]
    for topic in ("先进集体", "先进个人", "学习制度", "工作内容"):
        assert any(topic in label for label in labels), labels


async def test_menu_button_opens_the_menu(harness: Harness, world: World) -> None:
    assert "评选标准与活动方案" in joined(await harness.send(CADRE_A1_TG, "📖 评选标准"))


async def test_collective_menu_lists_the_four_goods_and_a_back_button(
    harness: Harness, world: World
) -> None:
    requests = await harness.press(CADRE_A1_TG, CriteriaCb(action=KbAction.MENU, key="collective"))
    assert isinstance(requests[0], EditMessageText)
    labels = [label for label, _ in buttons(requests)]
    for good in ("班子建设好", "主题活动好", "支部建设好", "活动阵地好"):
        assert any(good in label for label in labels), labels
    assert buttons(requests)[-1][1] == "kb:m:root"


async def test_individual_menu_lists_both_awards(harness: Harness, world: World) -> None:
    requests = await harness.press(CADRE_A1_TG, CriteriaCb(action=KbAction.MENU, key="individual"))
    text = " ".join(label for label, _ in buttons(requests))
    assert "优秀共青团员" in text and "优秀团干部" in text


async def test_entry_opens_in_place_with_a_back_button_to_its_menu(
    harness: Harness, world: World
) -> None:
    requests = await harness.press(
        CADRE_A1_TG, CriteriaCb(action=KbAction.ENTRY, key="collective_venue")
    )
    assert isinstance(requests[0], EditMessageText)
    assert "经费有保障" in requests[0].text
    assert ("◀️ 返回「先进集体」", "kb:m:collective") in buttons(requests)


async def test_forged_entry_key_is_rejected(harness: Harness, world: World) -> None:
    requests = await harness.press(CADRE_A1_TG, "kb:e:no_such_entry")
    assert "失效" in joined(requests)
    assert not any(isinstance(r, EditMessageText) for r in requests)


async def test_kb_reload_is_for_admins_only(harness: Harness, world: World) -> None:
    assert "管理员" in joined(await harness.send(CADRE_A1_TG, "/kb_reload"))


async def test_kb_reload_picks_up_an_edited_file(
    harness: Harness, world: World, kb_file: Path
) -> None:
    await harness.send(CADRE_A1_TG, "/criteria")  # loads the original
    _edit(kb_file, "活动阵地好。活动有阵地", "活动阵地好。阵地经修订")
    assert "已重新加载" in joined(await harness.send(ADMIN_TG, "/kb_reload"))
    text = joined(await harness.press(CADRE_A1_TG, "kb:e:collective_venue"))
    assert "阵地经修订" in text


async def test_kb_reload_with_a_bad_file_keeps_the_old_one_and_says_why(
    harness: Harness, world: World, kb_file: Path
) -> None:
    await harness.send(CADRE_A1_TG, "/criteria")
    _edit(kb_file, "竭诚服务青年", "竭诚效劳青年")
    text = joined(await harness.send(ADMIN_TG, "/kb_reload"))
    assert "没有重新加载" in text
    assert "entry 'individual_cadre' (zh): contains the defect '效劳'" in text
    answer = joined(await harness.send(CADRE_A1_TG, "优秀团干部怎么评"))
    assert "竭诚服务青年" in answer


async def test_kb_reload_in_a_group_asks_for_a_private_chat(harness: Harness, world: World) -> None:
    requests = await harness.send(ADMIN_TG, "/kb_reload", group=True)
    assert all(isinstance(r, SendMessage) for r in requests)
    assert "私聊" in joined(requests)


async def test_startup_starts_the_index_build_without_waiting(app: AppContext) -> None:
    router = criteria.create_router()
    assert any(h.callback is criteria.start_building for h in router.startup.handlers)
    await criteria.start_building(app)  # returns at once; the build runs in a thread
    store = knowledge_store(app.extras, app.settings.knowledge_base_path)
    assert "self_study" in (await store.index()).kb.entries
