"""/settings: language (switches at once) and reminders on/off."""

from __future__ import annotations

from aiogram import F, Router
from aiogram.filters import Command
from aiogram.types import CallbackQuery, Message
from aiogram.utils.i18n import gettext as _
from sqlmodel.ext.asyncio.session import AsyncSession

from bot.context import AppContext
from bot.i18n import SUPPORTED_LOCALES, i18n_context
from bot.keyboards.menu import MENU_SETTINGS, main_menu
from bot.keyboards.onboarding import SettingsAction, SettingsCb, settings_keyboard
from bot.services.members import update_preferences
from handlers.flow import for_members, show_in_place
from handlers.guards import reject_stale
from scheduler.jobs import withdraw_reminders
from storage.models import Member

LANGUAGE_NAMES = {"zh_CN": "中文", "en": "English"}


def settings_text(member: Member) -> str:
    reminders = _("on") if member.reminders_enabled else _("off")
    return _("Settings\nLanguage: {language}\nReminders: {reminders}").format(
        language=LANGUAGE_NAMES.get(member.locale, member.locale), reminders=reminders
    )


@for_members
async def show_settings(message: Message, member: Member) -> None:
    await message.answer(settings_text(member), reply_markup=settings_keyboard(member))


@for_members
async def change_setting(
    callback: CallbackQuery,
    callback_data: SettingsCb,
    member: Member,
    session: AsyncSession,
    app: AppContext,
) -> None:
    current = (
        member.locale
        if callback_data.action == SettingsAction.LANGUAGE
        else ("on" if member.reminders_enabled else "off")
    )
    if callback_data.value == current:  # a double tap: nothing to change
        await callback.answer(_("Saved."))
        return
    if callback_data.action == SettingsAction.LANGUAGE:
        if callback_data.value not in SUPPORTED_LOCALES:
            await reject_stale(callback)
            return
        await update_preferences(session, member, locale=callback_data.value)
    elif callback_data.value in ("on", "off"):
        await update_preferences(session, member, reminders_enabled=callback_data.value == "on")
        if not member.reminders_enabled and member.id is not None:
            await withdraw_reminders(session, member.id)
            await session.commit()
    else:
        await reject_stale(callback)
        return
    # The answer is already in the new language, and so is the re-sent menu.
    with i18n_context(app.i18n, member.locale):
        await callback.answer(_("Saved."))
        await show_in_place(callback, settings_text(member), settings_keyboard(member))
        if callback_data.action == SettingsAction.LANGUAGE:
            await callback.bot.send_message(
                callback.from_user.id,
                _("Language: English. The menu below is in English now."),
                reply_markup=main_menu(member.role),
            )


def create_router() -> Router:
    router = Router(name="settings")
    private = F.chat.type == "private"
    router.message.register(show_settings, Command("settings"), private)
    router.message.register(show_settings, F.text == MENU_SETTINGS, private)
    router.callback_query.register(change_setting, SettingsCb.filter())
    # Our prefix but data that does not parse: forged or from an older version.
    router.callback_query.register(reject_stale, F.data.startswith("st:"))
    return router
