"""Configuration: defaults, parsing, and one clear line for a wrong setting."""

from __future__ import annotations

import pytest

from bot.cli import main
from bot.config import ConfigError, Settings, load_settings


def test_defaults_follow_the_plan_and_shanghai_time() -> None:
    settings = Settings(_env_file=None)
    assert settings.study_target_minutes == 30 * 60
    assert settings.group_study_half_days == 2
    assert settings.bot_timezone == "Asia/Shanghai"
    assert settings.bot_locale == "zh_CN"
    assert settings.database_url.startswith("sqlite+aiosqlite:///./data/")


def test_admin_ids_are_read_comma_separated(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("ADMIN_IDS", "11, 22,33")
    assert load_settings(_env_file=None).admin_ids == (11, 22, 33)


def test_custom_api_base_loses_its_trailing_slash() -> None:
    settings = Settings(telegram_api_base="http://127.0.0.1:8081/", _env_file=None)
    assert settings.telegram_api_base == "http://127.0.0.1:8081"


def test_plain_postgres_url_gets_the_async_driver() -> None:
    settings = Settings(database_url="postgresql://u@h/db", _env_file=None)
    assert settings.database_url == "postgresql+asyncpg://u@h/db"


@pytest.mark.parametrize(
    ("name", "value"),
    [
        ("ADMIN_IDS", "12,abc"),
        ("BOT_TIMEZONE", "Mars/Olympus"),
        ("MONTHLY_STUDY_HOURS", "-3"),
        ("TELEGRAM_API_BASE", "ftp://example"),
        ("BOT_LOCALE", "fr"),
        ("DATABASE_URL", "mysql://x"),
    ],
)
def test_malformed_setting_stops_with_one_line_naming_it(
    monkeypatch: pytest.MonkeyPatch, name: str, value: str
) -> None:
    monkeypatch.setenv(name, value)
    with pytest.raises(ConfigError) as raised:
        load_settings(_env_file=None)
    message = str(raised.value)
    assert name in message
    assert "\n" not in message


def test_cli_prints_the_config_error_and_exits_2(
    monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    monkeypatch.setenv("BOT_TIMEZONE", "Nowhere/Land")
    assert main(["migrate"]) == 2
    err = capsys.readouterr().err.strip().splitlines()
    assert len(err) == 1
    assert "BOT_TIMEZONE" in err[0]
