"""The reminder engine in a bot process: leader election, the calendar, the sender.

Every process runs a `ReminderService`; only the leader schedules jobs and drains the
outbox. The others retry for leadership every `leader_retry_seconds`.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import time
from datetime import UTC, datetime, timedelta

from aiogram import Bot
from apscheduler.schedulers.asyncio import AsyncIOScheduler
from apscheduler.triggers.cron import CronTrigger

from bot.context import AppContext
from scheduler.jobs import KINDS, run_job
from scheduler.leader import Leadership, leader_for
from scheduler.ratelimit import Monotonic, Sleep, real_sleep
from scheduler.sender import OutboxSender

log = logging.getLogger(__name__)

# The leader notices a lost lock well before a follower (retrying every
# `leader_retry_seconds`) can take it, so two senders never overlap for long.
LEADER_CHECK_SECONDS = 2.0


def cron_trigger(app: AppContext, kind: str) -> CronTrigger:
    return CronTrigger(**KINDS[kind].cron(app.settings), timezone=app.settings.tz)


def build_scheduler(app: AppContext, on_enqueued: OutboxSender | None = None) -> AsyncIOScheduler:
    """One job per reminder kind, fixed ids, rebuilt from settings (no persisted job store)."""
    grace = app.settings.scheduler_misfire_grace_hours * 3600
    scheduler = AsyncIOScheduler(timezone=app.settings.tz)
    for kind in KINDS:
        scheduler.add_job(
            _run_and_wake,
            cron_trigger(app, kind),
            args=[app, kind, on_enqueued],
            id=kind,
            name=f"reminder {kind}",
            replace_existing=True,
            coalesce=True,
            misfire_grace_time=grace,
            max_instances=1,
        )
    return scheduler


async def _run_and_wake(
    app: AppContext, kind: str, sender: OutboxSender | None, at: datetime | None = None
) -> int:
    added = await run_job(app, kind, at=at)
    if added:
        log.info("reminder %s: %d queued", kind, added)
        if sender is not None:
            sender.wake()
    return added


async def catch_up(app: AppContext, sender: OutboxSender | None = None) -> dict[str, int]:
    """Runs the kinds whose last fire time fell within the misfire grace (e.g. while the
    process was down); returns kind → rows added. Enqueueing is idempotent, so a kind that
    already ran adds nothing.

    Each runs as of its last missed fire time: an evening reminder caught up after
    midnight is judged by its own day and month, not the new one.
    """
    now = app.clock.now().astimezone(app.settings.tz)
    since = now - timedelta(hours=app.settings.scheduler_misfire_grace_hours)
    added = {}
    for kind in KINDS:
        fire = last_fire(cron_trigger(app, kind), since, now)
        if fire is not None:
            added[kind] = await _run_and_wake(app, kind, sender, at=fire.astimezone(UTC))
    return added


def last_fire(trigger: CronTrigger, since: datetime, now: datetime) -> datetime | None:
    """The trigger's latest fire time in [since, now], if any."""
    last = None
    fire = trigger.get_next_fire_time(None, since)
    while fire is not None and fire <= now:
        last = fire
        fire = trigger.get_next_fire_time(fire, fire + timedelta(seconds=1))
    return last


class ReminderService:
    """Start after the bot is built, stop before it closes (see handlers/reminders.py)."""

    def __init__(
        self,
        app: AppContext,
        bot: Bot,
        *,
        leader: Leadership | None = None,
        monotonic: Monotonic = time.monotonic,
        sleep: Sleep = real_sleep,
    ) -> None:
        self.app = app
        self.sender = OutboxSender(app, bot, monotonic=monotonic, sleep=sleep)
        self.leader = leader or leader_for(app.settings.database_url)
        self.leading = asyncio.Event()  # set while this process is the leader
        self._sleep = sleep
        self._task: asyncio.Task[None] | None = None

    @property
    def is_leader(self) -> bool:
        return self.leading.is_set()

    async def start(self) -> None:
        self._task = asyncio.create_task(self._run(), name="reminder-service")

    async def stop(self) -> None:
        if self._task is not None:
            self._task.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await self._task
            self._task = None
        await self.leader.release()

    async def _run(self) -> None:
        retry = self.app.settings.leader_retry_seconds
        while True:
            try:
                acquired = await self.leader.try_acquire()
            except Exception:
                log.warning("leader election failed; retrying", exc_info=True)
                acquired = False
            if acquired:
                try:
                    await self._lead()
                except Exception:
                    log.exception("reminder service failed; standing by")
            await self._sleep(retry)

    async def _lead(self) -> None:
        log.info("this process is the reminder leader")
        self.leading.set()
        scheduler = build_scheduler(self.app, self.sender)
        scheduler.start()
        sender = asyncio.create_task(self.sender.run(), name="outbox-sender")
        try:
            await self._catch_up()
            while await self.leader.still_held():
                await self._sleep(LEADER_CHECK_SECONDS)
            log.warning("reminder leadership lost; standing by")
        finally:
            self.leading.clear()
            sender.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await sender
            scheduler.shutdown(wait=False)

    async def _catch_up(self) -> None:
        try:
            await catch_up(self.app, self.sender)
        except Exception:  # the calendar and the sender keep running regardless
            log.exception("catching up missed reminders failed")
