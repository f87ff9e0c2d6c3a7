"""Pieces shared by the private-chat flows: answering taps, text steps, manager scope."""

from __future__ import annotations

import functools
from collections.abc import Awaitable, Callable
from typing import Any

from aiogram import F
from aiogram.exceptions import TelegramBadRequest
from aiogram.fsm.context import FSMContext
from aiogram.fsm.state import State
from aiogram.types import CallbackQuery, InlineKeyboardMarkup, Message
from aiogram.utils.i18n import gettext as _
from sqlmodel.ext.asyncio.session import AsyncSession

from bot.services.orgs import manageable_org, managed_root, subtree
from bot.text import split_for_telegram
from handlers.guards import ensure_member, ensure_role, reject_stale
from storage.models import Member, Organization, Role

MANAGERS = (Role.SECRETARY, Role.ADMIN)

Handler = Callable[..., Awaitable[None]]


def guarded(*roles: Role) -> Callable[[Handler], Handler]:
    """Runs a handler for registered members (with one of `roles`, if any are given) only.

    Others get the guards' localized answer. The handler must take `member`, and may type
    it `Member`. aiogram reads the handler's own signature through `functools.wraps`.
    """

    def decorate(handler: Handler) -> Handler:
        @functools.wraps(handler)
        async def run(event: Message | CallbackQuery, *args: Any, **kwargs: Any) -> None:
            member = kwargs.get("member")
            if roles:
                allowed = await ensure_role(event, member, *roles)
            else:
                allowed = await ensure_member(event, member)
            if allowed:
                await handler(event, *args, **kwargs)

        return run

    return decorate


for_members = guarded()
for_managers = guarded(*MANAGERS)

# Text typed in a step; a command (e.g. /meeting in the middle of a flow) goes on to its router.
TYPED = F.text & ~F.text.startswith("/")


async def say(
    callback: CallbackQuery, text: str, markup: InlineKeyboardMarkup | None = None
) -> None:
    """Answers a tap with a new message in the user's private chat."""
    await callback.answer()
    assert callback.bot is not None
    await callback.bot.send_message(callback.from_user.id, text, reply_markup=markup)


async def reply(
    event: Message | CallbackQuery, text: str, markup: InlineKeyboardMarkup | None = None
) -> None:
    """Answers a message in its chat, or a tap with a new message."""
    if isinstance(event, Message):
        await event.answer(text, reply_markup=markup)
    else:
        await say(event, text, markup)


async def reply_long(
    event: Message | CallbackQuery, text: str, markup: InlineKeyboardMarkup | None = None
) -> None:
    """`reply` in as many messages as Telegram's limit needs; the buttons go under the last."""
    *first, last = split_for_telegram(text)
    for chunk in first:
        if isinstance(event, Message):
            await event.answer(chunk)
        else:
            await event.bot.send_message(event.from_user.id, chunk)
    await reply(event, last, markup)


async def show_in_place(
    callback: CallbackQuery, text: str, markup: InlineKeyboardMarkup | None = None
) -> None:
    """Replaces the tapped message (text and buttons), or sends anew if it is out of reach."""
    if not isinstance(callback.message, Message):
        await callback.bot.send_message(callback.from_user.id, text, reply_markup=markup)
        return
    try:
        await callback.message.edit_text(text, reply_markup=markup)
    except TelegramBadRequest as exc:
        # A second tap that would show the same thing again: nothing to change.
        if "message is not modified" not in exc.message:
            raise


async def redraw_buttons(callback: CallbackQuery, markup: InlineKeyboardMarkup) -> None:
    """Answers a toggle or page tap by replacing only the buttons of the tapped message."""
    await callback.answer()
    if callback.message is not None:
        await callback.message.edit_reply_markup(reply_markup=markup)  # type: ignore[union-attr]


async def ask_text(
    callback: CallbackQuery,
    state: FSMContext,
    step: State,
    data: dict[str, Any],
    question: str,
    markup: InlineKeyboardMarkup | None = None,
) -> None:
    """Starts a text step: the FSM waits in `step` with `data`, the user gets `question`."""
    await state.set_state(step)
    await state.set_data(data)
    await say(callback, question, markup)


async def next_step(
    event: Message | CallbackQuery,
    state: FSMContext,
    step: State,
    question: str,
    markup: InlineKeyboardMarkup | None = None,
    **values: Any,
) -> None:
    """Stores what this step collected and asks the question of the next one."""
    await state.update_data(values)
    await state.set_state(step)
    await reply(event, question, markup)


async def not_text(message: Message) -> None:
    """A sticker, photo or voice where the flow waits for text."""
    await message.answer(_("Please send text, or /cancel to stop."))


async def tapped_org(
    callback: CallbackQuery, member: Member, session: AsyncSession, org_id: int
) -> Organization | None:
    """The organisation a manager's tap names, if in their scope; else answers the tap."""
    org = await manageable_org(session, member, org_id)
    if org is None:
        await reject_stale(callback)
    return org


async def managed_orgs(session: AsyncSession, member: Member) -> list[Organization]:
    """The organisations of a manager's subtree, root first."""
    root = await managed_root(session, member)
    assert root is not None
    return await subtree(session, root)
