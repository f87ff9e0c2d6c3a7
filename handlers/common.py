"""Commands that work everywhere: /cancel, /help; the central error handler."""

from __future__ import annotations

import logging

from aiogram import F, Router
from aiogram.filters import Command, StateFilter
from aiogram.fsm.context import FSMContext
from aiogram.types import CallbackQuery, ErrorEvent, Message, ReplyKeyboardRemove
from aiogram.utils.i18n import gettext as _

from bot.context import AppContext
from bot.i18n import i18n_context
from bot.keyboards.menu import MENU_HELP, main_menu
from storage.models import Member

log = logging.getLogger(__name__)


async def cancel(message: Message, state: FSMContext, member: Member | None) -> None:
    """Leave whatever flow the user is in; nothing half-entered is stored."""
    had_state = await state.get_state() is not None
    await state.clear()
    text = _("Cancelled. Nothing was saved.") if had_state else _("There is nothing to cancel.")
    markup = main_menu(member.role) if member else ReplyKeyboardRemove()
    await message.answer(text, reply_markup=markup)


async def show_help(message: Message, member: Member | None) -> None:
    """What the bot does and the commands of the user's role."""
    lines = [_("I help you keep the League cadres' study system.")]
    if member is None:
        lines.append(_("To join, open the invite link your branch secretary sent you."))
    else:
        lines += [
            _("/log 2 League constitution ch.1 — log study in one message"),
            _("/me — this month's progress"),
            _("/history — your entries, to edit or delete"),
            _("/meeting — the monthly exchange meeting"),
            _("/criteria — award criteria of the plan; or just ask me a question"),
            _("/settings — language and reminders"),
        ]
        if member.role.value in ("secretary", "admin"):
            lines += [
                _("/group — group study of the leadership team"),
                _("/stats, /export, /chart — statistics of your organisation"),
                _("/invite — invite new members"),
                _("/invites — active invites, to revoke"),
                _("/members — members: leave, roles, removal"),
            ]
    lines.append(_("/cancel — stop the current step"))
    await message.answer("\n".join(lines))


async def private_only(message: Message) -> None:
    """Personal commands in a group chat: no personal data is shown there."""
    await message.reply(_("Please talk to me in a private chat for this."))


async def private_only_tap(callback: CallbackQuery) -> None:
    """A tap outside a private chat (forged: only /criteria puts buttons in groups)."""
    await callback.answer(_("Please talk to me in a private chat for this."), show_alert=True)


async def on_error(event: ErrorEvent, app: AppContext, locale: str | None = None) -> bool:
    """Log with context and tell the user something went wrong, never a stack trace.

    Runs after the request middleware has left its locale context, so it sets its own.
    """
    update = event.update
    log.error(
        "update %s (%s) failed: %r",
        update.update_id,
        update.event_type,
        event.exception,
        exc_info=event.exception,
    )
    with i18n_context(app.i18n, locale or app.i18n.default_locale):
        text = _("Sorry, something went wrong. Nothing was lost; please try again.")
    if update.callback_query is not None:
        await update.callback_query.answer(text, show_alert=True)
    elif update.message is not None:
        await update.message.answer(text)
    return True


def create_router() -> Router:
    router = Router(name="common")
    router.message.register(cancel, Command("cancel"), F.chat.type == "private")
    router.message.register(
        cancel,
        F.text.in_({"取消", "cancel"}),
        StateFilter("*"),
        F.chat.type == "private",
        ~StateFilter(None),
    )
    router.message.register(show_help, Command("help"))
    # Every button but the criteria menu's answers in the tapper's chat: never a group.
    router.callback_query.register(
        private_only_tap, F.message.chat.type != "private", ~F.data.startswith("kb:")
    )
    router.message.register(show_help, F.text == MENU_HELP, F.chat.type == "private")
    router.message.register(
        private_only,
        Command(
            "me",
            "log",
            "history",
            "settings",
            "invite",
            "group",
            "meeting",
            "stats",
            "member",
            "export",
            "chart",
            "outbox",
            "remind_now",
            "kb_reload",
        ),
        F.chat.type != "private",
    )
    return router
