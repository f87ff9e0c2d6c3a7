"""Configuration from the environment and `.env` (pydantic-settings)."""

from __future__ import annotations

from datetime import time
from functools import cached_property
from typing import Annotated, Literal
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from pydantic import Field, SecretStr, ValidationError, field_validator
from pydantic_settings import BaseSettings, NoDecode, SettingsConfigDict

DEFAULT_DATABASE_URL = "sqlite+aiosqlite:///./data/branchbot.db"
Locale = Literal["zh_CN", "en"]


class Settings(BaseSettings):
    """Every knob of the bot; the env var is the field name in upper case."""

    model_config = SettingsConfigDict(
        env_file=".env", env_file_encoding="utf-8", extra="ignore", frozen=True
    )

    bot_token: SecretStr | None = None
    bot_username: str = Field(default="BranchBot", pattern=r"^[A-Za-z0-9_]{3,64}$")
    database_url: str = DEFAULT_DATABASE_URL
    telegram_api_base: str = "https://api.telegram.org"
    bot_timezone: str = "Asia/Shanghai"
    bot_locale: Locale = "zh_CN"
    admin_ids: Annotated[tuple[int, ...], NoDecode] = ()
    # How long a member's row is served from memory; another process's change to a member
    # (several bot processes on one PostgreSQL) shows after at most this long.
    member_cache_seconds: float = Field(default=30, ge=0, le=3600)

    # The study rules of the plan (四、(四)); other cities set other numbers.
    monthly_study_hours: float = Field(default=30, gt=0, le=744)
    group_study_half_days: int = Field(default=2, ge=0, le=62)
    half_day_minutes: int = Field(default=180, ge=30, le=720)
    group_study_counts_personal: bool = False
    edit_lock_day: int = Field(default=5, ge=1, le=28)
    meeting_deadline_day: int = Field(default=20, ge=1, le=28)
    meeting_checkin_window_minutes: int = Field(default=120, ge=0, le=24 * 60)

    # Criteria knowledge base (issue 5): None = the packaged bot/knowledge/plan_kb.yaml.
    knowledge_base_path: str | None = None
    # Targets our copy of the plan lost (三、(一)); unset → answers say they are set locally.
    nonpublic_league_rate_target: str | None = Field(default=None, max_length=40)
    league_rate_deadline: str | None = Field(default=None, max_length=40)

    # Reminders (issue 4) — all local times in bot_timezone.
    quiet_hours_start: time = time(22, 0)
    quiet_hours_end: time = time(8, 0)
    max_nudges_per_month: int = Field(default=3, ge=0, le=31)
    # 29/s keeps a margin under Telegram's 30/s while reaching ≥ 95 % of it.
    send_rate_per_second: float = Field(default=29.0, gt=0, le=30)
    send_max_attempts: int = Field(default=5, ge=1, le=20)
    scheduler_enabled: bool = True
    scheduler_misfire_grace_hours: int = Field(default=6, ge=1, le=48)
    leader_retry_seconds: int = Field(default=15, ge=1, le=60)
    remind_month_start_at: time = time(9, 0)
    remind_mid_month_day: int = Field(default=15, ge=2, le=28)
    remind_mid_month_at: time = time(19, 30)
    remind_last_week_at: time = time(19, 30)  # 7 days before the month ends
    remind_final_days: int = Field(default=2, ge=0, le=7)  # the last N days of the month
    remind_final_at: time = time(20, 0)
    remind_group_study_day: int = Field(default=16, ge=2, le=28)  # and again in the last week
    remind_group_study_at: time = time(10, 0)
    remind_meeting_missing_at: time = time(10, 0)  # on meeting_deadline_day
    remind_meeting_scan_minutes: int = Field(default=10, ge=1, le=60)  # T-48 h, T-24 h, T-2 h
    remind_digest_weekday: int = Field(default=0, ge=0, le=6)  # 0 = Monday
    remind_digest_at: time = time(9, 0)
    remind_month_close_at: time = time(9, 30)  # on the 1st, for the month before

    @field_validator("admin_ids", mode="before")
    @classmethod
    def _split_admin_ids(cls, value: object) -> object:
        if isinstance(value, str):
            parts = [part.strip() for part in value.replace(";", ",").split(",")]
            return tuple(int(part) for part in parts if part)
        if isinstance(value, int):
            return (value,)
        return value

    @field_validator("bot_timezone")
    @classmethod
    def _known_zone(cls, value: str) -> str:
        try:
            ZoneInfo(value)
        except (ZoneInfoNotFoundError, ValueError) as exc:
            raise ValueError(f"unknown time zone {value!r}") from exc
        return value

    @field_validator("telegram_api_base")
    @classmethod
    def _http_base(cls, value: str) -> str:
        if not value.startswith(("http://", "https://")):
            raise ValueError("must start with http:// or https://")
        return value.rstrip("/")

    @field_validator("database_url")
    @classmethod
    def _async_driver(cls, value: str) -> str:
        if value.startswith("postgresql://") or value.startswith("postgres://"):
            return "postgresql+asyncpg://" + value.split("://", 1)[1]
        if value.startswith("sqlite:///"):
            return "sqlite+aiosqlite:///" + value.removeprefix("sqlite:///")
        if not value.startswith(("sqlite+aiosqlite://", "postgresql+asyncpg://")):
            raise ValueError("use sqlite+aiosqlite:///PATH or postgresql+asyncpg://…")
        return value

    @cached_property
    def tz(self) -> ZoneInfo:
        return ZoneInfo(self.bot_timezone)

    @property
    def study_target_minutes(self) -> int:
        return round(self.monthly_study_hours * 60)


class ConfigError(SystemExit):
    """Start-up stops with one line naming the setting that is wrong."""


def load_settings(**overrides: object) -> Settings:
    try:
        return Settings(**overrides)
    except ValidationError as exc:
        error = exc.errors()[0]
        name = str(error["loc"][0]).upper() if error["loc"] else "?"
        raise ConfigError(f"Configuration error: {name}: {error['msg']}") from None
