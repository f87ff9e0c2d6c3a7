"""Telegram's sending limits as a pacing schedule: global rate, per-chat spacing, pauses."""

from __future__ import annotations

import asyncio
import time
from collections import deque
from collections.abc import Awaitable, Callable

Monotonic = Callable[[], float]
Sleep = Callable[[float], Awaitable[None]]

TELEGRAM_PER_SECOND = 30  # the hard limit; the pace (send_rate_per_second) stays below it
PRIVATE_CHAT_INTERVAL = 1.0  # 1 message a second per private chat
GROUP_CHAT_INTERVAL = 3.0  # 20 a minute per group
CATCH_UP_SECONDS = 1.0


def is_group_chat(chat_id: int) -> bool:
    return chat_id < 0


class RateLimiter:
    """Decides when the next message may go; never sleeps itself (the sender does).

    Two rules. The pace: slots 1/rate apart, counted from the previous *slot* rather than
    the moment the sender woke up, so overshoot does not lower the rate. The guard:
    Telegram counts a message at some instant between our request and its response, so a
    message may start only when the last 30 (and, per chat, the previous one) got their
    responses long enough ago; network or server jitter then can never cause a 429.
    """

    def __init__(self, rate_per_second: float, monotonic: Monotonic = time.monotonic) -> None:
        self._interval = 1.0 / rate_per_second
        self._monotonic = monotonic
        self._next_slot = 0.0
        self._paused_until = 0.0
        self._answered: deque[float] = deque(maxlen=TELEGRAM_PER_SECOND)
        self._chat_ready: dict[int, float] = {}

    def now(self) -> float:
        return self._monotonic()

    def chat_ready_at(self, chat_id: int) -> float:
        return self._chat_ready.get(chat_id, 0.0)

    def global_ready_at(self) -> float:
        window_free = self._answered[0] + 1.0 if len(self._answered) == TELEGRAM_PER_SECOND else 0.0
        return max(self._next_slot, self._paused_until, window_free)

    def take(self, chat_id: int) -> None:
        """Books the slot the sender is about to use (call when both are ready)."""
        # Running late (timer overshoot, a slow commit) is made up for, within the guard,
        # for up to a second; after a longer idle time the cadence simply starts anew.
        now = self.now()
        slot = self._next_slot if self._next_slot >= now - CATCH_UP_SECONDS else now
        self._next_slot = slot + self._interval
        self._chat_ready[chat_id] = float("inf")  # until its answer arrives

    def answered(self, chat_id: int) -> None:
        """The request for `chat_id` got its response (or failed): start the spacing."""
        now = self.now()
        self._answered.append(now)
        interval = GROUP_CHAT_INTERVAL if is_group_chat(chat_id) else PRIVATE_CHAT_INTERVAL
        self._chat_ready[chat_id] = now + interval

    def pause(self, seconds: float) -> None:
        """After a 429: nothing goes out to anyone until `seconds` have passed."""
        now = self.now()
        self._paused_until = max(self._paused_until, now + seconds)
        self._next_slot = max(self._next_slot, self._paused_until)

    def forget_idle_chats(self) -> None:
        now = self.now()
        self._chat_ready = {chat: t for chat, t in self._chat_ready.items() if t > now}


async def real_sleep(seconds: float) -> None:
    await asyncio.sleep(seconds)
