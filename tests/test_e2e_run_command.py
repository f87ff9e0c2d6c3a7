"""`branchbot run` as a newcomer starts it: migrates, publishes commands, polls, stops on SIGINT."""

from __future__ import annotations

import asyncio
import os
import signal
import sys
from pathlib import Path

from tests.support.fake_bot_api import FakeBotAPI

BRANCHBOT = Path(sys.executable).with_name("branchbot")


async def test_run_command_answers_through_a_custom_api_base_and_stops_cleanly(
    tmp_path: Path,
) -> None:
    async with FakeBotAPI() as server:
        env = {
            **os.environ,
            "BOT_TOKEN": "123:ABC",
            "TELEGRAM_API_BASE": server.base_url,
            "DATABASE_URL": f"sqlite+aiosqlite:///{tmp_path / 'run.db'}",
            "ADMIN_IDS": "900",
            "SCHEDULER_ENABLED": "false",
        }
        process = await asyncio.create_subprocess_exec(
            str(BRANCHBOT), "run", env=env, cwd=tmp_path,
            stdout=asyncio.subprocess.PIPE, stderr=asyncio.subprocess.STDOUT,
        )  # fmt: skip
        try:
            server.push_message(900, "/start")
            await server.wait_for(lambda: bool(server.texts_to(900)), within=60)
        finally:
            process.send_signal(signal.SIGINT)
            output, _ = await asyncio.wait_for(process.communicate(), 30)

    assert "管理员" in server.texts_to(900)[0], output.decode()
    assert sum(method == "setmycommands" for method, _ in server.requests) == 3
    assert process.returncode == 0, output.decode()
