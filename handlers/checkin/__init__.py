"""Personal study check-in: /log (buttons or one message), plain-text check-ins, /me, /history.

One module a job: `log_flow` (the three-tap flow, its draft and Save), `one_shot` (`/log`
with arguments, plain-text check-ins, the "study or question?" buttons), `entries` (undo,
edit, delete), `views` (/me, /history); `common` holds their states, error texts, progress
text and saving.
"""

from __future__ import annotations

from aiogram import F, Router
from aiogram.filters import Command, StateFilter

from bot.keyboards.checkin import (
    AmbiguousCb,
    DraftCb,
    DraftDayCb,
    DurationCb,
    EntryCb,
    EntryDayCb,
    HistoryCb,
    LogStartCb,
    is_checkin_data,
)
from bot.keyboards.menu import MENU_HISTORY, MENU_LOG, MENU_ME
from handlers.checkin.common import (
    CheckinFlow,
    EditFlow,
    progress_text,
    save_and_report,
    text_expected,
    typed_text,
)
from handlers.checkin.entries import (
    edit_content_typed,
    edit_minutes_typed,
    entry_action,
    entry_day_tapped,
)
from handlers.checkin.log_flow import (
    confirm_typed,
    content_typed,
    draft_action,
    draft_day_tapped,
    duration_tapped,
    duration_typed,
    log_start_tapped,
    menu_log,
    start_flow,
)
from handlers.checkin.one_shot import ambiguous_tapped, checkin_text, log_command, plain_checkin
from handlers.checkin.views import history_command, history_page, menu_history, show_me
from handlers.guards import is_registered, reject_stale

__all__ = [
    "CheckinFlow",
    "EditFlow",
    "create_command_router",
    "create_router",
    "progress_text",
    "save_and_report",
    "start_flow",
]


def create_command_router() -> Router:
    """/log, /me, /history and their menu buttons for members, in private chats: commands,
    so they win over any other feature's step (as /cancel and /help do). Everyone else's
    reach the same handlers through `create_router`, after onboarding's name step."""
    router = Router(name="checkin-commands")
    router.message.filter(F.chat.type == "private", is_registered)
    _register_commands(router)
    return router


def _register_commands(router: Router) -> None:
    router.message.register(log_command, Command("log"))
    router.message.register(menu_log, F.text == MENU_LOG)
    router.message.register(show_me, Command("me"))
    router.message.register(show_me, F.text == MENU_ME)
    router.message.register(history_command, Command("history"))
    router.message.register(menu_history, F.text == MENU_HISTORY)


def create_router() -> Router:
    """Private chats only: personal study data is never shown in groups."""
    router = Router(name="checkin")
    router.message.filter(F.chat.type == "private")
    router.callback_query.filter(F.message.chat.type == "private")
    _register_commands(router)

    router.message.register(duration_typed, CheckinFlow.duration, typed_text)
    router.message.register(content_typed, CheckinFlow.content, typed_text)
    router.message.register(confirm_typed, CheckinFlow.confirm, typed_text)
    router.message.register(edit_minutes_typed, EditFlow.minutes, typed_text)
    router.message.register(edit_content_typed, EditFlow.content, typed_text)
    router.message.register(
        text_expected,
        StateFilter(CheckinFlow.duration, CheckinFlow.content, EditFlow.minutes, EditFlow.content),
        ~F.text,
    )
    router.message.register(plain_checkin, StateFilter(None), F.text, checkin_text)

    router.callback_query.register(duration_tapped, DurationCb.filter())
    router.callback_query.register(draft_day_tapped, DraftDayCb.filter())
    router.callback_query.register(draft_action, DraftCb.filter())
    router.callback_query.register(ambiguous_tapped, AmbiguousCb.filter())
    router.callback_query.register(entry_action, EntryCb.filter())
    router.callback_query.register(entry_day_tapped, EntryDayCb.filter())
    router.callback_query.register(history_page, HistoryCb.filter())
    router.callback_query.register(log_start_tapped, LogStartCb.filter())
    router.callback_query.register(reject_stale, F.data.func(is_checkin_data))  # forged data
    return router
