"""Check-in throughput through the real Dispatcher and a real SQLite database.

    .venv/bin/python bench/checkin.py [--oneshot 3000] [--flows 1000] [--members 200]
                                      [--member-cache 30]

Feeds updates one after another (no overlap between updates: the strictest case; polling
runs each update of a batch as its own task) to `build_dispatcher` with a mocked Bot
session, and, in the same run with the same session, to a bare aiogram echo handler as the
baseline. A second reference, the "floor", is the least a check-in can do on bare aiogram
(parse, INSERT, month sum, COMMIT, one-line reply). Like `branchbot run`, it freezes the
start-up heap out of the garbage collector before measuring. Prints check-ins/s and
per-update p50/p99 latency.
`--member-cache 0` measures every update with a cold member lookup (a cadre who logs once
a day is not in the 30-second member cache).
"""

from __future__ import annotations

import argparse
import asyncio
import gc
import itertools
import os
import sqlite3
import statistics
import sys
import tempfile
import time
from collections.abc import Callable, Iterable
from datetime import UTC, datetime
from pathlib import Path
from zoneinfo import ZoneInfo

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from aiogram import Bot, Dispatcher, Router
from aiogram.filters import Command, CommandObject
from aiogram.types import (
    CallbackQuery,
    Chat,
    InlineKeyboardMarkup,
    Message,
    MessageEntity,
    Update,
    User,
)
from sqlmodel import func, select

from bot.app import build_dispatcher
from bot.clock import FixedClock
from bot.config import Settings
from bot.context import AppContext
from bot.parsing import parse_one_shot
from bot.services.orgs import create_org
from storage.db import session_factory
from storage.models import Member, OrgKind, StudyLog
from tests.support.db import create_schema
from tests.support.mocked_bot import BOT_USER, RecordingSession, create_mocked_bot

NOW = datetime(2026, 11, 20, 20, 30, tzinfo=ZoneInfo("Asia/Shanghai"))
FIRST_TG = 5_000_000
_update_ids = itertools.count(1)
_message_ids = itertools.count(1)


def _user(tg: int) -> User:
    return User(id=tg, is_bot=False, first_name="团干部", language_code="zh-hans")


def text_update(tg: int, text: str) -> Update:
    entities = None
    if text.startswith("/"):
        entities = [MessageEntity(type="bot_command", offset=0, length=len(text.split()[0]))]
    message = Message(
        message_id=next(_message_ids),
        date=datetime.now(UTC),
        chat=Chat(id=tg, type="private"),
        from_user=_user(tg),
        text=text,
        entities=entities,
    )
    return Update(update_id=next(_update_ids), message=message)


def press_update(tg: int, data: str) -> Update:
    query = CallbackQuery(
        id=str(next(_update_ids)),
        from_user=_user(tg),
        chat_instance="ci",
        data=data,
        message=Message(
            message_id=1,
            date=datetime.now(UTC),
            chat=Chat(id=tg, type="private"),
            from_user=BOT_USER,
            text="…",
        ),
    )
    return Update(update_id=next(_update_ids), callback_query=query)


class Timer:
    def __init__(self) -> None:
        self.latencies: list[float] = []
        self.elapsed = 0.0

    async def feed(self, dp: Dispatcher, bot: Bot, update: Update) -> None:
        start = time.perf_counter()
        await dp.feed_update(bot, update)
        took = time.perf_counter() - start
        self.latencies.append(took)
        self.elapsed += took

    def report(self, name: str, items: int, unit: str, baseline: float | None = None) -> float:
        rate = items / self.elapsed
        ordered = sorted(self.latencies)
        p50 = statistics.median(ordered) * 1000
        p99 = ordered[min(len(ordered) - 1, int(len(ordered) * 0.99))] * 1000
        ratio = f"  {rate / baseline:.2f} × echo" if baseline else ""
        print(
            f"{name:<26} {items:>6} {unit:<10} {rate:>8.0f} {unit}/s"
            f"   p50 {p50:6.2f} ms   p99 {p99:6.2f} ms   ({len(ordered)} updates){ratio}"
        )
        return rate


async def echo(message: Message) -> None:
    await message.answer(message.text or "")


def echo_dispatcher() -> Dispatcher:
    router = Router()
    router.message.register(echo)
    dp = Dispatcher()
    dp.include_router(router)
    return dp


def floor_dispatcher(database: str, member_ids: dict[int, int]) -> Dispatcher:
    """A second reference: the least a one-shot check-in can do on bare aiogram. Parse,
    INSERT into the same table (same indexes), sum the month, COMMIT, one-line reply;
    no member lookup, locale, day limit, progress text, Undo button or routing."""
    connection = sqlite3.connect(database, isolation_level=None)
    connection.execute("PRAGMA synchronous=NORMAL")
    # The day before the measured check-ins', so neither fills the other's 24 hours.
    day, first, last = "2026-11-19", "2026-11-01", "2026-11-30"

    async def bare_checkin(message: Message, command: CommandObject) -> None:
        shot = parse_one_shot(command.args or "")
        member_id = member_ids[message.chat.id]
        key = f"floor:{message.chat.id}:{message.message_id}"
        connection.execute("BEGIN IMMEDIATE")
        connection.execute(
            "INSERT INTO studylog (member_id, study_date, minutes, content, idempotency_key,"
            " created_at, updated_at) VALUES (?, ?, ?, ?, ?, ?, ?)",
            (
                member_id,
                day,
                shot.minutes,
                shot.content,
                key,
                "2026-11-20 12:30:00.000000",
                "2026-11-20 12:30:00.000000",
            ),
        )
        (total,) = connection.execute(
            "SELECT sum(minutes) FROM studylog WHERE member_id = ? AND study_date BETWEEN ? AND ?",
            (member_id, first, last),
        ).fetchone()
        connection.execute("COMMIT")
        await message.answer(f"✅ {shot.minutes} min, {total} min this month")

    router = Router()
    router.message.register(bare_checkin, Command("log"))
    dp = Dispatcher()
    dp.include_router(router)
    return dp


async def seed(app: AppContext, members: int) -> list[int]:
    async with app.sessions() as session:
        org = await create_org(session, "bench", "基准团支部", OrgKind.BRANCH, None)
        for n in range(members):
            session.add(Member(telegram_id=FIRST_TG + n, name=f"团干部{n}", org_id=org.id or 0))
        await session.commit()
    return [FIRST_TG + n for n in range(members)]


async def run_updates(
    timer: Timer, dp: Dispatcher, bot: Bot, updates: Iterable[Update], session: RecordingSession
) -> None:
    for update in updates:
        await timer.feed(dp, bot, update)
        session.requests.clear()


def save_button(session: RecordingSession) -> str:
    for request in reversed(session.requests):
        markup = getattr(request, "reply_markup", None)
        if isinstance(markup, InlineKeyboardMarkup):
            return markup.inline_keyboard[0][0].callback_data or ""
    raise RuntimeError("no draft summary was sent")


async def run_flows(
    timer: Timer, dp: Dispatcher, bot: Bot, users: list[int], session: RecordingSession
) -> None:
    """/log → quick 0.5 h button → content → Save per user: four updates each."""
    for n, tg in enumerate(users):
        await timer.feed(dp, bot, text_update(tg, "/log"))
        await timer.feed(dp, bot, press_update(tg, "ckm:30"))
        await timer.feed(dp, bot, text_update(tg, f"学习团章第{n}节"))
        save = save_button(session)
        await timer.feed(dp, bot, press_update(tg, save))
        session.requests.clear()


async def member_ids(app: AppContext) -> dict[int, int]:
    async with app.sessions() as session:
        rows = await session.exec(select(Member.telegram_id, Member.id))
        return {telegram_id: member_id for telegram_id, member_id in rows.all()}


async def count_logs(app: AppContext) -> int:
    async with app.sessions() as session:
        return (await session.exec(select(func.count()).select_from(StudyLog))).one()


async def main(
    oneshot: int, flows: int, members: int, warmup: int, rounds: int, member_cache: float
) -> None:
    with tempfile.TemporaryDirectory() as tmp:
        settings = Settings(database_url=f"sqlite+aiosqlite:///{tmp}/bench.db", _env_file=None)
        app = AppContext.build(settings, clock=FixedClock(NOW))
        app.sessions = session_factory(app.engine, member_cache_seconds=member_cache)
        await create_schema(app.engine)
        users = await seed(app, members)
        bot, session = create_mocked_bot()
        dp = build_dispatcher(app)
        echo_dp = echo_dispatcher()
        floor_dp = floor_dispatcher(f"{tmp}/bench.db", await member_ids(app))
        gc.freeze()  # as bot/runner.py does once the Dispatcher is built

        def texts(count: int, make: Callable[[int], str]) -> list[Update]:
            return [text_update(users[n % members], make(n)) for n in range(count)]

        await run_updates(Timer(), echo_dp, bot, texts(warmup, "/log 1 热身{}".format), session)
        await run_updates(Timer(), dp, bot, texts(warmup, "/log 1 热身学习{}".format), session)
        await run_updates(Timer(), floor_dp, bot, texts(warmup, "/log 1 热身{}".format), session)

        echo, floor, helps, one = Timer(), Timer(), Timer(), Timer()
        flow = Timer()
        echo_updates = texts(oneshot, "/log 1 学习团章第{}节".format)
        help_updates = texts(oneshot, lambda n: "/help")
        oneshot_updates = texts(oneshot, "/log 1 学习团章第{}节".format)
        floor_updates = texts(oneshot, "/log 1 学习团章第{}节".format)
        # Interleaved rounds, so a change in the machine's load hits every workload alike.
        for r in range(rounds):
            part = slice(r * oneshot // rounds, (r + 1) * oneshot // rounds)
            await run_updates(echo, echo_dp, bot, echo_updates[part], session)
            await run_updates(floor, floor_dp, bot, floor_updates[part], session)
            await run_updates(helps, dp, bot, help_updates[part], session)
            await run_updates(one, dp, bot, oneshot_updates[part], session)
            flow_users = [
                users[n % members] for n in range(r * flows // rounds, (r + 1) * flows // rounds)
            ]
            await run_flows(flow, dp, bot, flow_users, session)

        stored = await count_logs(app)
        load = ", ".join(f"{value:.1f}" for value in os.getloadavg())
        print(
            f"SQLite (WAL), {members} members, member cache {member_cache:g} s, updates fed "
            f"sequentially, mocked Bot session; {os.cpu_count()} CPUs, load average {load}"
        )
        echo_rate = echo.report("bare aiogram echo", oneshot, "updates")
        floor.report("floor: bare INSERT handler", oneshot, "check-ins", echo_rate)
        helps.report("/help (a fixed answer)", oneshot, "updates", echo_rate)
        one.report("one-shot /log 1 …", oneshot, "check-ins", echo_rate)
        if flows:
            flow.report("button flow (4 updates)", flows, "check-ins")
        expected = 2 * warmup + 2 * oneshot + flows  # the floor's rows are in the table too
        print(f"rows stored: {stored} (expected {expected})")
        await dp.storage.close()
        await app.close()


if __name__ == "__main__":
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--oneshot", type=int, default=3000)
    parser.add_argument("--flows", type=int, default=1000)
    # Enough members that nobody reaches 24 h in one day (1 h per one-shot, 0.5 h per flow).
    parser.add_argument("--members", type=int, default=200)
    parser.add_argument("--warmup", type=int, default=200)
    parser.add_argument("--rounds", type=int, default=10)
    parser.add_argument(
        "--member-cache", type=float, default=Settings.model_fields["member_cache_seconds"].default
    )
    args = parser.parse_args()
    asyncio.run(
        main(args.oneshot, args.flows, args.members, args.warmup, args.rounds, args.member_cache)
    )
