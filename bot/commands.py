"""The command list Telegram shows in the "/" menu, in each locale."""

from __future__ import annotations

from aiogram import Bot
from aiogram.types import BotCommand
from aiogram.utils.i18n import I18n
from aiogram.utils.i18n import gettext as _

from bot.i18n import i18n_context


def _commands() -> list[BotCommand]:
    return [
        BotCommand(command="log", description=_("Log study")),
        BotCommand(command="me", description=_("My progress this month")),
        BotCommand(command="history", description=_("My entries")),
        BotCommand(command="meeting", description=_("Exchange meeting")),
        BotCommand(command="group", description=_("Group study (secretaries)")),
        BotCommand(command="stats", description=_("Statistics (secretaries)")),
        BotCommand(command="criteria", description=_("Award criteria")),
        BotCommand(command="ask", description=_("Ask about the plan")),
        BotCommand(command="settings", description=_("Language and reminders")),
        BotCommand(command="help", description=_("Help")),
        BotCommand(command="cancel", description=_("Cancel the current step")),
    ]


async def publish_commands(bot: Bot, i18n: I18n) -> None:
    """The default list is in the bot's locale; English users get the English one."""
    with i18n_context(i18n, i18n.default_locale):
        await bot.set_my_commands(_commands())
    with i18n_context(i18n, "en"):
        await bot.set_my_commands(_commands(), language_code="en")
    with i18n_context(i18n, "zh_CN"):
        await bot.set_my_commands(_commands(), language_code="zh")
