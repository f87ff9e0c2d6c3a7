"""One fake time source for the fake Bot API server, the sender's pacing and the clock."""

from __future__ import annotations

import asyncio

from bot.clock import FixedClock


class FakeTime:
    """`sleep` moves time forward instead of waiting; the clock moves along with it."""

    def __init__(self, clock: FixedClock, start: float = 1000.0) -> None:
        self.now = start
        self.clock = clock

    def __call__(self) -> float:
        return self.now

    def advance(self, seconds: float) -> None:
        self.now += seconds
        self.clock.advance(seconds=seconds)

    async def sleep(self, seconds: float) -> None:
        if seconds > 0:
            self.advance(seconds)
        await asyncio.sleep(0)
