"""Real names: 2–20 Chinese or Latin letters, middle dot allowed; everything else refused."""

from __future__ import annotations

import pytest

from bot.context import AppContext
from bot.services.members import clean_name
from tests.support.factories import World
from tests.support.harness import Harness, buttons, joined
from tests.test_onboarding_join import NEWCOMER_TG, make_invite


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("张三", "张三"),
        ("  欧阳娜娜 ", "欧阳娜娜"),
        ("欧阳 娜娜", "欧阳娜娜"),
        ("迪丽热巴·迪力木拉提", "迪丽热巴·迪力木拉提"),
        ("阿依古丽 • 买买提", "阿依古丽·买买提"),
        ("Anna  Li", "Anna Li"),
        ("Zoë", "Zoë"),
    ],
)
def test_good_names_are_trimmed_and_kept(text: str, expected: str) -> None:
    assert clean_name(text) == expected


@pytest.mark.parametrize(
    "text",
    ["张", "王" * 21, "张三😀", "张三3", "Agent007", "/log 2", "", "   ", "·张三", "张三·", "a_b"],
    ids=[
        "short",
        "long",
        "emoji",
        "digit",
        "latin-digits",
        "command",
        "empty",
        "blank",
        "leading-dot",
        "trailing-dot",
        "underscore",
    ],
)
def test_bad_names_are_refused(text: str) -> None:
    assert clean_name(text) is None


@pytest.mark.parametrize(
    "text", ["张", "王" * 21, "张三😀", "张三3"], ids=["too-short", "too-long", "emoji", "digits"]
)
async def test_bad_name_in_chat_is_explained_and_not_confirmed(
    app: AppContext, harness: Harness, world: World, text: str
) -> None:
    code = await make_invite(app, world.branch_a)
    await harness.send(NEWCOMER_TG, f"/start {code}")
    sent = await harness.send(NEWCOMER_TG, text)
    assert "2至20个汉字" in joined(sent)
    assert buttons(sent) == []


async def test_other_command_during_name_entry_asks_for_the_name(
    app: AppContext, harness: Harness, world: World
) -> None:
    code = await make_invite(app, world.branch_a)
    await harness.send(NEWCOMER_TG, f"/start {code}")
    sent = await harness.send(NEWCOMER_TG, "/log 2 团章")
    assert "请先发送你的真实姓名" in joined(sent)


async def test_sticker_during_name_entry_asks_for_text(
    app: AppContext, harness: Harness, world: World
) -> None:
    code = await make_invite(app, world.branch_a)
    await harness.send(NEWCOMER_TG, f"/start {code}")
    sent = await harness.send_sticker(NEWCOMER_TG)
    assert "用文字" in joined(sent)
