"""The main menu (reply keyboard), by role."""

from __future__ import annotations

from aiogram.types import KeyboardButton, ReplyKeyboardMarkup
from aiogram.utils.i18n import lazy_gettext as __

from storage.models import Role

# Lazy so handlers can match `F.text == MENU_LOG` in the user's locale.
MENU_LOG = __("📝 Log study")
MENU_ME = __("📊 My progress")
MENU_HISTORY = __("📜 My entries")
MENU_GROUP = __("👥 Group study")
MENU_MEETING = __("🗣 Exchange meeting")
MENU_STATS = __("📈 Statistics")
MENU_CRITERIA = __("📖 Award criteria")
MENU_SETTINGS = __("⚙️ Settings")
MENU_HELP = __("❓ Help")


def main_menu(role: Role) -> ReplyKeyboardMarkup:
    rows = [[MENU_LOG, MENU_ME], [MENU_HISTORY, MENU_MEETING]]
    if role in (Role.SECRETARY, Role.ADMIN):
        rows.append([MENU_GROUP, MENU_STATS])
    rows.append([MENU_CRITERIA, MENU_SETTINGS, MENU_HELP])
    return ReplyKeyboardMarkup(
        keyboard=[[KeyboardButton(text=str(text)) for text in row] for row in rows],
        resize_keyboard=True,
        is_persistent=True,
    )
