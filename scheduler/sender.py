"""Drains the outbox under Telegram's limits, one short transaction per message.

Crash safety: a row is marked sent in its own transaction right after Telegram accepted
it. Killed at any moment, the sender loses nothing (unsent rows stay pending) and repeats
at most the one message that was in flight.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import time
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from enum import Enum, auto
from typing import Any

from aiogram import Bot
from aiogram.exceptions import (
    TelegramAPIError,
    TelegramForbiddenError,
    TelegramNetworkError,
    TelegramRetryAfter,
    TelegramServerError,
)
from sqlalchemy import update
from sqlmodel import col, select

from bot.context import AppContext
from bot.i18n import i18n_context
from scheduler.quiet import QuietHours
from scheduler.ratelimit import Monotonic, RateLimiter, Sleep, real_sleep
from scheduler.texts import Rendered, all_renderers
from storage.models import Member, Outbox, OutboxStatus

log = logging.getLogger(__name__)

BATCH_SIZE = 200
POLL_SECONDS = 2.0
MAX_BACKOFF_SECONDS = 300
ERROR_MAX = 500


def backoff_seconds(attempts: int) -> float:
    """2 s, 4 s, 8 s … capped at five minutes."""
    return float(min(MAX_BACKOFF_SECONDS, 2**attempts))


@dataclass
class SenderStats:
    sent: int = 0
    retry_after: int = 0  # 429s received (each one honoured, then retried)
    transient: int = 0
    failed: int = 0
    blocked: int = 0


@dataclass
class _Due:
    id: int
    chat_id: int
    member_id: int | None
    text_key: str
    args: dict[str, Any]
    attempts: int
    locale: str


class _Outcome(Enum):
    DONE = auto()
    RETRY_NOW = auto()
    BLOCKED = auto()


@dataclass
class OutboxSender:
    """`await sender.drain()` sends every due row; `run()` keeps draining until cancelled.

    `monotonic` and `sleep` are injectable so tests drive time without waiting.
    """

    app: AppContext
    bot: Bot
    monotonic: Monotonic = time.monotonic
    sleep: Sleep = real_sleep
    poll_seconds: float = POLL_SECONDS
    stats: SenderStats = field(default_factory=SenderStats)

    def __post_init__(self) -> None:
        self.limiter = RateLimiter(self.app.settings.send_rate_per_second, self.monotonic)
        self.quiet = QuietHours.from_settings(self.app.settings)
        self._renderers = all_renderers()
        self._wake = asyncio.Event()

    def wake(self) -> None:
        """Something was just enqueued: do not wait for the next poll."""
        self._wake.set()

    async def run(self) -> None:
        while True:
            try:
                await self.drain()
            except asyncio.CancelledError:
                raise
            except Exception:
                log.exception("outbox sender failed; retrying after a pause")
            self._wake.clear()
            with contextlib.suppress(TimeoutError):
                await asyncio.wait_for(self._wake.wait(), self.poll_seconds)

    async def drain(self) -> int:
        """Sends all rows due now; returns how many were sent (stops in quiet hours)."""
        sent_before = self.stats.sent
        while not self.quiet.contains(self._now()):
            batch = await self._due_batch()
            if batch is None:
                break
            await self._send_batch(batch)
        return self.stats.sent - sent_before

    def _now(self) -> datetime:
        return self.app.clock.now()

    async def _due_batch(self) -> list[_Due] | None:
        """The next due rows to send (rows of inactive members are settled here); None when
        nothing is due, so a batch made only of skipped rows does not end the drain."""
        statement = (
            select(Outbox, Member.locale, Member.active)
            .outerjoin(Member, col(Member.id) == col(Outbox.member_id))
            .where(Outbox.status == OutboxStatus.PENDING, col(Outbox.not_before) <= self._now())
            .order_by(col(Outbox.not_before), col(Outbox.id))
            .limit(BATCH_SIZE)
        )
        default_locale = self.app.settings.bot_locale
        async with self.app.sessions() as session:
            rows = (await session.exec(statement)).all()
        if not rows:
            return None
        due: list[_Due] = []
        for row, locale, active in rows:
            item = _Due(
                row.id, row.chat_id, row.member_id, row.text_key, row.args, row.attempts,
                locale or default_locale,
            )  # fmt: skip
            if active is False:
                await self._settle(item, OutboxStatus.SKIPPED, "recipient is inactive")
            else:
                due.append(item)
        return due

    async def _send_batch(self, queue: list[_Due]) -> None:
        while queue and not self.quiet.contains(self._now()):
            now = self.limiter.now()
            index = next(
                (
                    i
                    for i, item in enumerate(queue)
                    if self.limiter.chat_ready_at(item.chat_id) <= now
                ),
                None,
            )
            if index is None:
                await self.sleep(min(self.limiter.chat_ready_at(i.chat_id) for i in queue) - now)
                continue
            wait = self.limiter.global_ready_at() - now
            if wait > 0:
                await self.sleep(wait)
                continue
            item = queue.pop(index)
            outcome = await self._deliver(item)
            if outcome is _Outcome.RETRY_NOW:
                queue.insert(0, item)
            elif outcome is _Outcome.BLOCKED:
                queue[:] = [other for other in queue if other.chat_id != item.chat_id]
        self.limiter.forget_idle_chats()

    async def _deliver(self, item: _Due) -> _Outcome:
        expires = item.args.get("expires_at")
        if expires and datetime.fromisoformat(expires) <= self._now():
            await self._settle(item, OutboxStatus.SKIPPED, "expired before it could be sent")
            return _Outcome.DONE
        try:
            rendered = self._render(item)
        except Exception as error:  # a row no renderer can turn into text must not block the rest
            log.exception("outbox %s: cannot render %s", item.id, item.text_key)
            await self._settle(item, OutboxStatus.FAILED, f"render failed: {error!r}")
            return _Outcome.DONE
        try:
            await self._send_paced(item.chat_id, rendered)
        except TelegramRetryAfter as error:
            self.stats.retry_after += 1
            self.limiter.pause(error.retry_after)
            return _Outcome.RETRY_NOW
        except TelegramForbiddenError as error:
            await self._block(item, str(error))
            return _Outcome.BLOCKED
        except (TelegramNetworkError, TelegramServerError) as error:
            await self._retry_later(item, str(error))
            return _Outcome.DONE
        except TelegramAPIError as error:  # bad request: retrying cannot help
            await self._settle(item, OutboxStatus.FAILED, str(error))
            return _Outcome.DONE
        await self._settle(item, OutboxStatus.SENT, None)
        return _Outcome.DONE

    async def _send_paced(self, chat_id: int, rendered: Rendered) -> None:
        self.limiter.take(chat_id)
        try:
            await self.bot.send_message(chat_id, rendered.text, reply_markup=rendered.reply_markup)
        finally:
            self.limiter.answered(chat_id)

    def _render(self, item: _Due) -> Rendered:
        renderer = self._renderers.get(item.text_key)
        if renderer is None:
            raise LookupError(f"unknown text key {item.text_key!r}")
        with i18n_context(self.app.i18n, item.locale):
            return renderer(item.args)

    async def _settle(self, item: _Due, status: OutboxStatus, error: str | None) -> None:
        """Final state of a row. For rows that were not sent, `not_before` records when."""
        now = self._now()
        values: dict[str, Any] = {"status": status, "attempts": item.attempts + 1}
        if status is OutboxStatus.SENT:
            values["sent_at"] = now
        else:
            values["not_before"] = now
            values["last_error"] = (error or "")[:ERROR_MAX]
        await self._update_row(item.id, values)
        if status is OutboxStatus.SENT:
            self.stats.sent += 1
        elif status is OutboxStatus.FAILED:
            self.stats.failed += 1
            log.warning("outbox %s failed: %s", item.id, error)

    async def _retry_later(self, item: _Due, error: str) -> None:
        self.stats.transient += 1
        attempts = item.attempts + 1
        if attempts >= self.app.settings.send_max_attempts:
            await self._settle(item, OutboxStatus.FAILED, error)
            return
        retry_at = self._now() + timedelta(seconds=backoff_seconds(attempts))
        await self._update_row(
            item.id,
            {"attempts": attempts, "last_error": error[:ERROR_MAX], "not_before": retry_at},
        )

    async def _update_row(self, row_id: int, values: dict[str, Any]) -> None:
        async with self.app.sessions() as session:
            await session.exec(  # type: ignore[call-overload]
                update(Outbox)
                .where(col(Outbox.id) == row_id, Outbox.status == OutboxStatus.PENDING)
                .values(**values)
            )
            await session.commit()

    async def _block(self, item: _Due, error: str) -> None:
        """403: the user blocked the bot. They get nothing more until they write again."""
        self.stats.blocked += 1
        now = self._now()
        async with self.app.sessions() as session:
            await session.exec(  # type: ignore[call-overload]
                update(Outbox)
                .where(col(Outbox.id) == item.id)
                .values(
                    status=OutboxStatus.BLOCKED,
                    attempts=item.attempts + 1,
                    last_error=error[:ERROR_MAX],
                    not_before=now,
                )
            )
            await session.exec(  # type: ignore[call-overload]
                update(Outbox)
                .where(Outbox.chat_id == item.chat_id, Outbox.status == OutboxStatus.PENDING)
                .values(status=OutboxStatus.SKIPPED, last_error="recipient blocked the bot")
            )
            blocked_member = (
                col(Member.id) == item.member_id
                if item.member_id is not None
                else Member.telegram_id == item.chat_id
            )
            await session.exec(  # type: ignore[call-overload]
                update(Member).where(blocked_member).values(active=False)
            )
            await session.commit()
