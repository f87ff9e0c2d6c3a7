"""A failing handler never shows a stack trace: the user is told, in their language."""

from __future__ import annotations

import logging

import pytest

import handlers.common
from bot.app import build_dispatcher
from bot.context import AppContext
from tests.support.factories import CADRE_A1_TG, World
from tests.support.harness import Harness, joined
from tests.support.mocked_bot import create_mocked_bot


async def _explode(message: object) -> None:
    raise RuntimeError("boom")


async def test_handler_failure_is_answered_in_the_users_language(
    app: AppContext,
    world: World,
    monkeypatch: pytest.MonkeyPatch,
    caplog: pytest.LogCaptureFixture,
) -> None:
    monkeypatch.setattr(handlers.common, "show_help", _explode)
    bot, session = create_mocked_bot()
    harness = Harness(dp=build_dispatcher(app), bot=bot, session=session)
    with caplog.at_level(logging.ERROR):
        sent = await harness.send(CADRE_A1_TG, "/help")
    assert "出了点问题" in joined(sent)
    assert "boom" in caplog.text
