"""Reminder broadcast through the outbox sender against a Bot API that enforces 30 msg/s.

    .venv/bin/python -m bench.broadcast            # N = 600
    .venv/bin/python -m bench.broadcast --n 1000

Three runs against the fake Bot API server (tests/support/fake_bot_api.py, real time):

- naive: a plain loop calling sendMessage as fast as it can, honouring retry_after
  (the baseline: what you get without pacing);
- sender: the outbox sender (scheduler/sender.py) in a separate process;
- kill+restart: the same, SIGKILLed when half the messages are out, then started again.

Rate is measured at the server between the first and the last delivery; for the kill run
"while up" leaves out the gap (kill → the new process's first message, mostly Python
start-up). "dups" counts messages delivered twice: at most the one in flight at the kill.
"""

from __future__ import annotations

import argparse
import asyncio
import os
import signal
import sys
import tempfile
import time
from collections import Counter
from dataclasses import dataclass
from itertools import pairwise
from pathlib import Path

from aiogram.exceptions import TelegramRetryAfter

from bot.app import create_bot
from bot.config import Settings
from bot.context import AppContext
from scheduler.outbox import OutboxMessage, enqueue
from scheduler.sender import OutboxSender
from storage.models import utcnow
from tests.support.db import create_schema
from tests.support.fake_bot_api import FakeBotAPI, Limits

LIMIT = 30
TOKEN = "123:ABC"
ROOT = Path(__file__).resolve().parent.parent


@dataclass
class Result:
    name: str
    n: int
    times: list[float]
    chats: Counter[int]
    rejected_429: int
    downtime: float = 0.0

    @property
    def rate(self) -> float:
        span = self.times[-1] - self.times[0] if len(self.times) > 1 else 0.0
        return (len(self.times) - 1) / span if span else 0.0

    @property
    def rate_while_up(self) -> float:
        span = self.times[-1] - self.times[0] - self.downtime
        return (len(self.times) - 1) / span if span > 0 else 0.0

    @property
    def duplicates(self) -> int:
        return sum(count - 1 for count in self.chats.values())

    @property
    def losses(self) -> int:
        return self.n - len(self.chats)


def settings_for(database_url: str, api_base: str) -> Settings:
    return Settings(
        database_url=database_url, telegram_api_base=api_base, bot_token=TOKEN, _env_file=None
    )


async def prepare(database_url: str, api_base: str, n: int) -> None:
    app = AppContext.build(settings_for(database_url, api_base))
    await create_schema(app.engine)
    now = utcnow()
    messages = [
        OutboxMessage(chat, None, "bench", "2026-11", "reminder.meeting_missing",
                      {"org": "第一团支部", "month": "2026-11"}, now)
        for chat in range(1, n + 1)
    ]  # fmt: skip
    async with app.sessions() as session:
        await enqueue(session, messages)
        await session.commit()
    await app.close()


async def worker(database_url: str, api_base: str) -> None:
    """A sender process: drains the outbox and exits."""
    app = AppContext.build(settings_for(database_url, api_base))
    bot = create_bot(app)
    try:
        await OutboxSender(app, bot).drain()
    finally:
        await bot.session.close()
        await app.close()


async def spawn(database_url: str, api_base: str) -> asyncio.subprocess.Process:
    return await asyncio.create_subprocess_exec(
        sys.executable, "-m", "bench.broadcast", "--worker", database_url, api_base, cwd=ROOT
    )


def result(name: str, n: int, server: FakeBotAPI, downtime: float = 0.0) -> Result:
    times = [sent.at for sent in server.sent]
    chats = Counter(sent.chat_id for sent in server.sent)
    return Result(name, n, times, chats, server.rejected_429, downtime)


async def run_naive(n: int, workdir: Path) -> Result:
    async with FakeBotAPI(limits=Limits()) as server:
        app = AppContext.build(
            settings_for(f"sqlite+aiosqlite:///{workdir / 'naive.db'}", server.base_url)
        )
        bot = create_bot(app)
        try:
            for chat in range(1, n + 1):
                while True:
                    try:
                        await bot.send_message(chat, "提醒")
                        break
                    except TelegramRetryAfter as error:
                        await asyncio.sleep(error.retry_after)
        finally:
            await bot.session.close()
            await app.close()
        return result("naive loop (baseline)", n, server)


async def run_sender(n: int, workdir: Path, *, kill_at: int | None) -> Result:
    name = "sender, kill+restart" if kill_at else "outbox sender"
    database_url = f"sqlite+aiosqlite:///{workdir / (name.replace(' ', '_') + '.db')}"
    async with FakeBotAPI(limits=Limits()) as server:
        await prepare(database_url, server.base_url, n)
        process = await spawn(database_url, server.base_url)
        downtime = 0.0
        if kill_at:
            await server.wait_for(lambda: len(server.sent) >= kill_at, within=600)
            process.send_signal(signal.SIGKILL)
            await process.wait()
            killed = len(server.sent)
            process = await spawn(database_url, server.base_url)
            await server.wait_for(lambda: len(server.sent) > killed, within=600)
        await process.wait()
        if kill_at:
            times = [sent.at for sent in server.sent]
            downtime = max(later - earlier for earlier, later in pairwise(times))
        return result(name, n, server, downtime)


def print_table(results: list[Result]) -> None:
    header = (
        f"{'run':<24}{'N':>6}{'sent':>7}{'msg/s':>8}{'of 30/s':>9}{'while up':>10}"
        f"{'gap s':>7}{'429s':>6}{'dups':>6}{'lost':>6}"
    )
    print(header)
    print("-" * len(header))
    for r in results:
        print(
            f"{r.name:<24}{r.n:>6}{len(r.times):>7}{r.rate:>8.2f}{r.rate / LIMIT:>9.3f}"
            f"{r.rate_while_up / LIMIT:>10.3f}{r.downtime:>7.1f}{r.rejected_429:>6}"
            f"{r.duplicates:>6}{r.losses:>6}"
        )


async def main(n: int) -> None:
    with tempfile.TemporaryDirectory(prefix="bench-broadcast-") as tmp:
        workdir = Path(tmp)
        results = [
            await run_naive(n, workdir),
            await run_sender(n, workdir, kill_at=None),
            await run_sender(n, workdir, kill_at=n // 2),
        ]
    rate = Settings(_env_file=None).send_rate_per_second
    print(
        f"broadcast of {n} reminders, fake Bot API enforcing {LIMIT} msg/s, "
        f"{os.cpu_count()} CPUs, send_rate_per_second={rate}"
    )
    print_table(results)


if __name__ == "__main__":
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--n", type=int, default=600)
    parser.add_argument("--worker", nargs=2, metavar=("DATABASE_URL", "API_BASE"))
    args = parser.parse_args()
    if args.worker:
        asyncio.run(worker(*args.worker))
    else:
        started = time.monotonic()
        asyncio.run(main(args.n))
        print(f"total {time.monotonic() - started:.0f} s")
