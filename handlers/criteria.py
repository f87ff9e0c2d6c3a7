"""Criteria questions answered from the plan: free text, /ask, the /criteria menu, /kb_reload.

This router is the last one: a private text no other feature took is a question. In
groups the bot answers only when addressed (mention, reply to it, /ask) and never shows
personal figures there.
"""

from __future__ import annotations

import logging
import re
from datetime import date
from typing import Any

from aiogram import Bot, F, Router
from aiogram.exceptions import TelegramBadRequest
from aiogram.filters import Command, CommandObject
from aiogram.types import CallbackQuery, InlineKeyboardMarkup, Message
from aiogram.utils.i18n import gettext as _
from sqlmodel.ext.asyncio.session import AsyncSession

from bot.clock import local_today
from bot.config import Settings
from bot.context import AppContext
from bot.keyboards.criteria import CriteriaCb, KbAction, entry_keyboard, menu_keyboard
from bot.keyboards.menu import MENU_CRITERIA
from bot.knowledge.answer import (
    EntryView,
    Phrases,
    entry_view,
    placeholder_values,
    related_ids,
)
from bot.knowledge.intent import Intent, Resolution, resolve
from bot.knowledge.loader import ROOT_MENU, KnowledgeBaseError
from bot.knowledge.search import Hit, SearchIndex
from bot.knowledge.store import knowledge_store
from bot.rules import Month, format_hours
from bot.services import progress
from handlers.guards import ensure_member, ensure_role, reject_stale
from storage.models import Member, Role

log = logging.getLogger(__name__)
MAX_PROBLEMS_SHOWN = 15
GROUP_CHATS = {"group", "supergroup"}


# ---- rendering --------------------------------------------------------------------------


def _values(settings: Settings) -> dict[str, str]:
    return placeholder_values(
        settings,
        Phrases(
            target_set_locally=_("the target set by your local League committee"),
            deadline_set_locally=_("by the deadline set locally"),
            deadline=_("by {deadline}"),
        ),
    )


def _view(index: SearchIndex, entry_id: str, locale: str, settings: Settings) -> EntryView:
    return entry_view(index.kb.entries[entry_id], locale, _values(settings))


def _entry_message(
    index: SearchIndex,
    entry_id: str,
    locale: str,
    settings: Settings,
    hits: list[Hit] | None = None,
) -> tuple[str, InlineKeyboardMarkup]:
    """Title, the plan's text, where it comes from; buttons to related entries and back."""
    view = _view(index, entry_id, locale, settings)
    text = "📖 {title}\n\n{text}\n\n{source}".format(
        title=view.title,
        text=view.text,
        source=_("Source: {section}").format(section=view.section),
    )
    related = [
        (rid, _view(index, rid, locale, settings).title)
        for rid in related_ids(index.kb, entry_id, hits)
    ]
    parent = index.kb.parent_of(entry_id)
    back = (parent, _("◀️ Back to {menu}").format(menu=index.kb.menu[parent].label(locale)))
    return text, entry_keyboard(related, back)


def _menu_message(
    index: SearchIndex, node_id: str, locale: str, settings: Settings
) -> tuple[str, InlineKeyboardMarkup]:
    kb = index.kb
    node = kb.menu[node_id]
    items = []
    for item in node.items:
        if item in kb.menu:
            items.append((KbAction.MENU, item, "📂 " + kb.menu[item].label(locale)))
        else:
            items.append((KbAction.ENTRY, item, _view(index, item, locale, settings).title))
    back = None
    if node_id != ROOT_MENU:
        parent = kb.parent_of(node_id)
        back = (parent, _("◀️ Back to {menu}").format(menu=kb.menu[parent].label(locale)))
    text = "📖 {label}\n{hint}".format(label=node.label(locale), hint=_("Choose a topic:"))
    return text, menu_keyboard(items, back)


def _menu_button_keyboard(
    index: SearchIndex, suggestions: list[str], locale: str, settings: Settings
) -> InlineKeyboardMarkup:
    related = [(rid, _view(index, rid, locale, settings).title) for rid in suggestions]
    return entry_keyboard(related, (ROOT_MENU, _("📖 All award criteria")))


# ---- the knowledge base -----------------------------------------------------------------


async def _index(app: AppContext) -> SearchIndex | None:
    """The loaded index, or None (logged) when the configured file is unusable."""
    store = knowledge_store(app.extras, app.settings.knowledge_base_path)
    try:
        return await store.index()
    except KnowledgeBaseError as exc:
        log.error("criteria knowledge base unusable: %s", exc)
        return None


async def _unavailable(event: Message | CallbackQuery) -> None:
    text = _("The criteria knowledge base is not available right now. Please tell an admin.")
    if isinstance(event, CallbackQuery):
        await event.answer(text, show_alert=True)
    else:
        await event.answer(text)


# ---- answering --------------------------------------------------------------------------


async def _say(message: Message, text: str, markup: InlineKeyboardMarkup | None = None) -> None:
    """In a group, reply to the question so the thread stays readable."""
    if message.chat.type in GROUP_CHATS:
        await message.reply(text, reply_markup=markup)
    else:
        await message.answer(text, reply_markup=markup)


async def answer_question(
    message: Message,
    question: str,
    *,
    member: Member | None,
    session: AsyncSession,
    app: AppContext,
    locale: str,
    **_kwargs: Any,
) -> None:
    """Answer `question` in `message`'s chat (also called by the check-in feature)."""
    question = question.strip()
    if not question:
        await _say(message, _("Ask me about the award criteria, e.g. /ask 优秀团干部怎么评"))
        return
    index = await _index(app)
    if index is None:
        await _unavailable(message)
        return
    resolution = resolve(index, question)
    if resolution.intent in (Intent.MY_PROGRESS, Intent.GROUP_PROGRESS):
        await _answer_personal(message, resolution.intent, member, session, app)
    elif resolution.intent is Intent.ENTRY:
        assert resolution.entry_id is not None
        text, markup = _entry_message(
            index, resolution.entry_id, locale, app.settings, resolution.hits[1:]
        )
        await _say(message, text, markup)
    elif resolution.intent is Intent.GREETING:
        await _say(
            message,
            _(
                "Hello! Ask me about the award criteria or the study rules of the plan, "
                "e.g. “How many hours of self-study a month?” — or browse /criteria."
            ),
        )
    elif resolution.intent is Intent.THANKS:
        await _say(message, _("You're welcome! Ask me anytime."))
    else:
        await _no_match(message, index, resolution, locale, app.settings)


async def _no_match(
    message: Message,
    index: SearchIndex,
    resolution: Resolution,
    locale: str,
    settings: Settings,
) -> None:
    """Honest: nothing in the plan answers this; near misses only as suggestions."""
    suggestions = [hit.entry_id for hit in resolution.hits[:3]]
    lines = [_("I could not find an answer to that in the plan.")]
    if suggestions:
        lines.append(_("Perhaps one of these topics helps:"))
    else:
        lines.append(
            _("I answer questions about the award criteria and the study rules of the plan.")
        )
    lines.append(_("You can also browse all criteria, or ask in other words."))
    await _say(
        message, "\n".join(lines), _menu_button_keyboard(index, suggestions, locale, settings)
    )


async def _answer_personal(
    message: Message,
    intent: Intent,
    member: Member | None,
    session: AsyncSession,
    app: AppContext,
) -> None:
    """The user's own figures, computed like /me; never in a group."""
    if message.chat.type != "private":
        await _say(message, _("Ask me about your own figures in a private chat."))
        return
    if not await ensure_member(message, member):
        return
    assert member is not None and member.id is not None
    today = local_today(app.clock, app.settings.tz)
    month = Month.of(today)
    if intent is Intent.GROUP_PROGRESS:
        text = await _group_progress_text(session, member, app, month)
    else:
        text = await _my_progress_text(session, member, app, today)
    await message.answer(text)


async def _my_progress_text(
    session: AsyncSession, member: Member, app: AppContext, today: date
) -> str:
    assert member.id is not None
    p = await progress.month_progress(session, member, app.policy, today)
    lines = [
        _("{month}: you have studied {done} of {target} h.").format(
            month=p.month.key,
            done=format_hours(p.done_minutes),
            target=format_hours(p.target_minutes),
        )
    ]
    if await progress.is_on_leave(session, member.id, p.month):
        lines.append(_("You are on leave this month, so the target does not apply to you."))
    elif p.reached:
        lines.append(_("You have reached this month's target. 🎉"))
    else:
        lines.append(
            _("{left} h to go, {days} days left: about {pace} h a day.").format(
                left=format_hours(p.left_minutes),
                days=p.days_left,
                pace=format_hours(p.minutes_per_day_needed),
            )
        )
    lines.append(_("Details: /me"))
    return "\n".join(lines)


async def _group_progress_text(
    session: AsyncSession, member: Member, app: AppContext, month: Month
) -> str:
    done = await progress.org_group_half_days(session, member.org_id, month)
    target = app.policy.group_half_days
    lines = [
        _(
            "{month}: your organisation's leadership team has held {done} of {target} "
            "half-days of group study."
        ).format(month=month.key, done=f"{done:g}", target=target)
    ]
    if done >= target:
        lines.append(_("The group study requirement is met."))
    else:
        lines.append(
            _("{left} more half-days are needed this month.").format(left=f"{target - done:g}")
        )
    return "\n".join(lines)


# ---- handlers ---------------------------------------------------------------------------


async def ask_command(message: Message, command: CommandObject, **data: Any) -> None:
    """`/ask 问题` — in any chat."""
    await answer_question(message, command.args or "", **_answer_data(data))


async def private_text(message: Message, **data: Any) -> None:
    """Any private text nobody else took: a question (or an unknown command)."""
    text = message.text or ""
    if text.startswith("/"):
        await message.answer(_("I don't know that command. /help lists what I can do."))
        return
    await answer_question(message, text, **_answer_data(data))


async def group_text(message: Message, question: str, **data: Any) -> None:
    """A group message addressed to the bot (see `addressed_question`)."""
    await answer_question(message, question, **_answer_data(data))


async def addressed_question(message: Message, bot: Bot, settings: Settings) -> Any:
    """Filter: a group text mentioning the bot or replying to it → {"question": text}."""
    text = message.text or ""
    mention = re.compile(rf"@{re.escape(settings.bot_username)}\b", re.IGNORECASE)
    replied = message.reply_to_message
    if mention.search(text):
        return {"question": mention.sub(" ", text).strip()}
    if replied is not None and replied.from_user is not None and replied.from_user.id == bot.id:
        return {"question": text.strip()}
    return False


def _answer_data(data: dict[str, Any]) -> dict[str, Any]:
    return {key: data[key] for key in ("member", "session", "app", "locale")}


async def show_menu(message: Message, app: AppContext, locale: str) -> None:
    """`/criteria` and the menu button: the top of the browsable criteria."""
    index = await _index(app)
    if index is None:
        await _unavailable(message)
        return
    text, markup = _menu_message(index, ROOT_MENU, locale, app.settings)
    await message.answer(text, reply_markup=markup)


async def criteria_tapped(
    callback: CallbackQuery, callback_data: CriteriaCb, app: AppContext, locale: str
) -> None:
    """A menu node or an entry, shown by editing the message in place."""
    index = await _index(app)
    if index is None:
        await _unavailable(callback)
        return
    kb = index.kb
    key = callback_data.key
    if callback_data.action is KbAction.MENU and key in kb.menu:
        text, markup = _menu_message(index, key, locale, app.settings)
    elif callback_data.action is KbAction.ENTRY and key in kb.entries:
        text, markup = _entry_message(index, key, locale, app.settings)
    else:
        await reject_stale(callback)  # forged, or removed by a reload
        return
    if not isinstance(callback.message, Message):
        await reject_stale(callback)
        return
    try:
        await callback.message.edit_text(text, reply_markup=markup)
    except TelegramBadRequest as exc:
        if "message is not modified" not in str(exc):
            raise
    await callback.answer()


async def kb_reload(message: Message, member: Member | None, app: AppContext) -> None:
    """`/kb_reload` (admins): re-read the knowledge base; a bad file leaves the old one."""
    if not await ensure_role(message, member, Role.ADMIN):
        return
    store = knowledge_store(app.extras, app.settings.knowledge_base_path)
    try:
        index = await store.reload()
    except KnowledgeBaseError as exc:
        problems = "\n".join("• " + problem for problem in exc.problems[:MAX_PROBLEMS_SHOWN])
        await message.answer(
            _(
                "The knowledge base was not reloaded; the previous version stays in use.\n"
                "Problems in {file}:\n{problems}"
            ).format(file=str(exc.source)[-200:], problems=problems)[:4000]
        )
        return
    await message.answer(
        _("Knowledge base reloaded: {entries} entries from {file}.").format(
            entries=len(index.kb.entries), file=str(index.kb.source)[-200:]
        )
    )


async def start_building(app: AppContext) -> None:
    """On start-up: build the index in the background, without delaying polling."""
    knowledge_store(app.extras, app.settings.knowledge_base_path).start()


def create_router() -> Router:
    router = Router(name="criteria")
    private = F.chat.type == "private"
    router.startup.register(start_building)
    router.message.register(ask_command, Command("ask"))
    router.message.register(show_menu, Command("criteria"))
    router.message.register(show_menu, private, F.text == MENU_CRITERIA)
    router.message.register(kb_reload, Command("kb_reload"), private)
    router.callback_query.register(criteria_tapped, CriteriaCb.filter())
    router.callback_query.register(reject_stale, F.data.startswith("kb:"))  # does not unpack
    router.message.register(group_text, F.chat.type.in_(GROUP_CHATS), F.text, addressed_question)
    router.message.register(private_text, private, F.text)
    return router
