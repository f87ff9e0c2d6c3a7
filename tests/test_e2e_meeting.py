"""End to end: the real bot polls a local Bot API server; the outbox sender delivers.

A secretary schedules a meeting, the announcement reaches the two cadres of the branch,
both answer, one submits 心得, and the host receives the digest as text and as a file.
"""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator, Callable
from dataclasses import dataclass

import pytest
from aiogram import Bot, Dispatcher

from bot.app import build_dispatcher, create_bot
from bot.clock import FixedClock
from bot.config import Settings
from bot.context import AppContext
from scheduler.sender import OutboxSender
from tests.support.db import create_schema
from tests.support.factories import (
    ADMIN_TG,
    CADRE_A1_TG,
    CADRE_A2_TG,
    SECRETARY_A_TG,
    build_world,
)
from tests.support.fake_bot_api import FakeBotAPI, Sent


@dataclass
class Running:
    server: FakeBotAPI
    app: AppContext
    bot: Bot
    dp: Dispatcher

    async def say(self, user_id: int, text: str) -> Sent:
        """Sends a message as the user; returns the bot's next message to them."""
        return await self._next_to(user_id, lambda: self.server.push_message(user_id, text))

    async def tap(self, user_id: int, data: str) -> Sent:
        return await self._next_to(user_id, lambda: self.server.push_callback(user_id, data))

    async def _next_to(self, user_id: int, act: Callable[[], int]) -> Sent:
        before = len(self.server.sent_to(user_id))
        act()
        await self.server.wait_for(lambda: len(self.server.sent_to(user_id)) > before)
        return self.server.sent_to(user_id)[before]


def button(sent: Sent, label_part: str) -> str:
    markup = sent.reply_markup or {}
    for row in markup.get("inline_keyboard", []):
        for item in row:
            if label_part in item["text"]:
                return str(item["callback_data"])
    raise AssertionError(f"no button {label_part!r} in {markup}")


@pytest.fixture
async def running(sqlite_url: str, clock: FixedClock) -> AsyncIterator[Running]:
    async with FakeBotAPI() as server:
        settings = Settings(
            database_url=sqlite_url,
            telegram_api_base=server.base_url,
            bot_token="123:ABC",
            admin_ids=(ADMIN_TG,),
            scheduler_enabled=False,  # the test drains the outbox itself, deterministically
            _env_file=None,
        )
        app = AppContext.build(settings, clock=clock)
        await create_schema(app.engine)
        await build_world(app.sessions)
        bot = create_bot(app)
        dp = build_dispatcher(app)
        polling = asyncio.create_task(dp.start_polling(bot, handle_signals=False))
        try:
            yield Running(server, app, bot, dp)
        finally:
            await dp.stop_polling()
            await polling
            await dp.storage.close()
            await bot.session.close()
            await app.close()


async def test_meeting_announced_answered_shared_and_digested(running: Running) -> None:
    server = running.server
    overview = await running.say(SECRETARY_A_TG, "/meeting")
    await running.tap(SECRETARY_A_TG, button(overview, "安排交流会"))
    await running.say(SECRETARY_A_TG, "12月5日 19:30")
    await running.say(SECRETARY_A_TG, "团支部活动室")
    confirm = await running.say(SECRETARY_A_TG, "交流本月学习成果与心得体会")
    scheduled = await running.tap(SECRETARY_A_TG, button(confirm, "确定并发送通知"))
    assert "2 名受邀人员" in (scheduled.text or "")

    sender = OutboxSender(running.app, running.bot)
    assert await sender.drain() == 2
    [announce_a1] = server.sent_to(CADRE_A1_TG)
    [announce_a2] = server.sent_to(CADRE_A2_TG)
    assert "第一团支部邀请你参加团干部交流会" in (announce_a1.text or "")
    assert "2026-12-05 19:30" in (announce_a2.text or "")

    noted = await running.tap(CADRE_A1_TG, button(announce_a1, "参加"))
    assert "已记录：参加" in (noted.text or "")
    await running.tap(CADRE_A2_TG, button(announce_a2, "请假"))
    noted = await running.say(CADRE_A2_TG, "区里组织培训，无法参加")
    assert "已记录：请假" in (noted.text or "")
    await running.tap(CADRE_A1_TG, button(announce_a1, "提交心得"))
    saved = await running.say(CADRE_A1_TG, "通过学习团章，我对团员义务有了更深的认识。")
    assert "心得已保存" in (saved.text or "")

    overview = await running.say(SECRETARY_A_TG, "/meeting")
    details = await running.tap(SECRETARY_A_TG, button(overview, "2026-12-05 19:30"))
    before = len(server.sent_to(SECRETARY_A_TG))
    server.push_callback(SECRETARY_A_TG, button(details, "汇总"))
    await server.wait_for(
        lambda: any(s.method == "senddocument" for s in server.sent_to(SECRETARY_A_TG)[before:])
    )
    digest = server.sent_to(SECRETARY_A_TG)[before:]
    text = "\n".join(s.text or "" for s in digest if s.method == "sendmessage")
    assert "参加（1 人）：张三" in text
    assert "李四：区里组织培训，无法参加" in text
    assert "未回复（1 人）：李书记" in text
    assert "我对团员义务有了更深的认识" in text
    [document] = [s for s in digest if s.method == "senddocument"]
    assert document.file_name == f"meeting-{button(details, '汇总').split(':')[2]}-digest.txt"
    assert "我对团员义务有了更深的认识" in (document.file or b"").decode("utf-8")
    assert await sender.drain() == 0  # nothing queued twice
