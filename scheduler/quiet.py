"""Quiet hours (default 22:00–08:00 local): nothing is pushed then; it waits for the morning."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, datetime, time, timedelta
from zoneinfo import ZoneInfo

from bot.config import Settings


@dataclass(frozen=True)
class QuietHours:
    start: time
    end: time
    tz: ZoneInfo

    @classmethod
    def from_settings(cls, settings: Settings) -> QuietHours:
        return cls(settings.quiet_hours_start, settings.quiet_hours_end, settings.tz)

    def contains(self, instant: datetime) -> bool:
        local = instant.astimezone(self.tz).time()
        if self.start == self.end:
            return False
        if self.start < self.end:
            return self.start <= local < self.end
        return local >= self.start or local < self.end  # the window crosses midnight

    def next_allowed(self, instant: datetime) -> datetime:
        """`instant` itself outside quiet hours, else the end of this quiet period (UTC)."""
        if not self.contains(instant):
            return instant
        local = instant.astimezone(self.tz)
        end = datetime.combine(local.date(), self.end, self.tz)
        if end <= local:
            end = datetime.combine(local.date() + timedelta(days=1), self.end, self.tz)
        return end.astimezone(UTC)
