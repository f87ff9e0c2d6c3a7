"""`branchbot demo`: the real bot in a terminal — no token, no network.

The same AppContext, Dispatcher, handlers, database and locales as `run`; only the Bot's
session is replaced by one that prints each Bot API request and answers it plausibly.
"""

from __future__ import annotations

import asyncio
import itertools
import logging
import sys
from collections.abc import AsyncIterator, Callable
from dataclasses import dataclass, field
from datetime import date, timedelta
from pathlib import Path
from typing import Any, TextIO

from aiogram import Bot, Dispatcher
from aiogram.client.session.base import BaseSession
from aiogram.methods import (
    AnswerCallbackQuery,
    DeleteMessage,
    EditMessageReplyMarkup,
    EditMessageText,
    GetMe,
    SendDocument,
    SendMediaGroup,
    SendMessage,
    SendPhoto,
    TelegramMethod,
)
from aiogram.types import (
    BufferedInputFile,
    CallbackQuery,
    Chat,
    FSInputFile,
    InlineKeyboardMarkup,
    InputFile,
    Message,
    MessageEntity,
    ReplyKeyboardMarkup,
    ReplyKeyboardRemove,
    Update,
    User,
)
from sqlmodel import col, select
from sqlmodel.ext.asyncio.session import AsyncSession

from bot.app import build_dispatcher, create_bot
from bot.clock import Clock, local_today
from bot.config import Settings
from bot.context import AppContext
from bot.rules import Month
from bot.services.members import ensure_root_org
from bot.services.orgs import create_org
from storage.models import Member, Organization, OrgKind, Role, StudyLog

log = logging.getLogger(__name__)

DEMO_DATABASE_URL = "sqlite+aiosqlite:///./data/demo.db"
DEMO_OUT_DIR = Path("./data/demo-out")
DEMO_BOT = User(id=42, is_bot=True, first_name="团支书助手", username="BranchBot")


@dataclass(frozen=True)
class DemoPerson:
    telegram_id: int
    name: str
    org_code: str
    role: Role


# Who the terminal user can be (--as), and a few colleagues with some history.
PEOPLE = {
    "cadre": DemoPerson(810001, "张小青", "demo-b1", Role.CADRE),
    "secretary": DemoPerson(810002, "李书记", "demo-b1", Role.SECRETARY),
    "admin": DemoPerson(810003, "王管理", "root", Role.ADMIN),
}
COLLEAGUES = (
    DemoPerson(810011, "刘洋", "demo-b1", Role.CADRE),
    DemoPerson(810012, "陈静", "demo-b2", Role.CADRE),
    DemoPerson(810013, "赵磊", "demo-b2", Role.SECRETARY),
)
DEMO_ORGS = (  # code, name, kind, parent code
    ("demo-dc", "城东区团委", OrgKind.DISTRICT, "root"),
    ("demo-b1", "第一团支部", OrgKind.BRANCH, "demo-dc"),
    ("demo-b2", "第二团支部", OrgKind.BRANCH, "demo-dc"),
)
STUDY_TOPICS = (
    "学习团章第一章",
    "读《习近平谈治国理政》第三卷",
    "观看团史专题片",
    "学习“双争先”工作方案",
    "研读青年工作理论文章",
)


# --- seed -----------------------------------------------------------------------------------


async def seed_demo(ctx: AppContext) -> None:
    """A small tree, its people and some study history; running it again adds nothing."""
    async with ctx.sessions() as session:
        orgs = {"root": await ensure_root_org(session)}
        for code, name, kind, parent in DEMO_ORGS:
            existing = (
                await session.exec(select(Organization).where(Organization.code == code))
            ).first()
            orgs[code] = existing or await create_org(session, code, name, kind, orgs[parent])
        people = [*PEOPLE.values(), *COLLEAGUES]
        known = {
            member.telegram_id: member
            for member in (
                await session.exec(
                    select(Member).where(
                        col(Member.telegram_id).in_([p.telegram_id for p in people])
                    )
                )
            ).all()
        }
        members = []
        for person in people:
            member = known.get(person.telegram_id) or Member(
                telegram_id=person.telegram_id,
                name=person.name,
                org_id=orgs[person.org_code].id,
                role=person.role,
            )
            session.add(member)
            members.append(member)
        await session.flush()
        await _seed_history(session, members, local_today(ctx.clock, ctx.settings.tz))
        await session.commit()


async def _seed_history(session: AsyncSession, members: list[Member], today: date) -> None:
    """A few entries last month and earlier this month, keyed so they are added once."""
    this_month = Month.of(today)
    wanted: dict[str, StudyLog] = {}
    for number, member in enumerate(members):
        days = [this_month.prev().first_day + timedelta(days=3 * i + number) for i in range(5)]
        days += [d for d in (today - timedelta(days=k) for k in (2, 4, 6)) if d in this_month]
        for index, day in enumerate(days):
            key = f"demo-seed:{member.telegram_id}:{day.isoformat()}"
            wanted[key] = StudyLog(
                member_id=member.id or 0,
                study_date=day,
                minutes=60 + 30 * ((index + number) % 4),
                content=STUDY_TOPICS[(index + number) % len(STUDY_TOPICS)],
                idempotency_key=key,
            )
    existing = set(
        (
            await session.exec(
                select(StudyLog.idempotency_key).where(
                    col(StudyLog.idempotency_key).in_(list(wanted))
                )
            )
        ).all()
    )
    session.add_all(log for key, log in wanted.items() if key not in existing)


# --- the terminal "Telegram" ----------------------------------------------------------------


@dataclass(frozen=True)
class Choice:
    """What typing its number does: tap an inline button or press a reply-keyboard key."""

    label: str
    callback_data: str | None = None
    message_id: int | None = None


class TerminalSession(BaseSession):
    """Prints every request the bot makes and answers like Telegram would."""

    def __init__(self, out: TextIO, out_dir: Path = DEMO_OUT_DIR) -> None:
        super().__init__()
        self.out = out
        self.out_dir = out_dir
        self.message_ids = itertools.count(1)  # shared with the person's messages
        self.texts: dict[int, str] = {}
        self.inline: list[Choice] = []
        self.keyboard: list[str] = []
        self._batch_inline: list[Choice] | None = None
        self._files = itertools.count(1)
        self._shown_keys: tuple[int, list[str]] | None = None
        self.me: int | None = None  # the person at the terminal; others' messages are marked

    async def close(self) -> None:
        return None

    async def stream_content(self, *args: Any, **kwargs: Any) -> AsyncIterator[bytes]:
        yield b""

    def say(self, text: str) -> None:
        print(text, file=self.out, flush=True)

    async def make_request(
        self,
        bot: Bot,
        method: TelegramMethod[Any],
        timeout: int | None = None,  # noqa: ASYNC109 — the signature is aiogram's
    ) -> Any:
        if isinstance(method, GetMe):
            return DEMO_BOT
        renderer = self._renderers().get(type(method))
        if renderer is not None:
            return renderer(method)
        returning = str(method.__returning__)
        if method.__returning__ is Message:
            self.say(f"🤖 ({type(method).__name__})")
            return self._message(getattr(method, "chat_id", 0), None)
        return [] if "list" in returning.lower() else True

    def _renderers(self) -> dict[type, Callable[[Any], Any]]:
        return {
            SendMessage: self._send_message,
            SendPhoto: lambda m: self._send_file(m, m.photo, "🖼"),
            SendDocument: lambda m: self._send_file(m, m.document, "📎"),
            SendMediaGroup: self._send_album,
            EditMessageText: self._edit_text,
            EditMessageReplyMarkup: self._edit_markup,
            AnswerCallbackQuery: self._answer_callback,
            DeleteMessage: self._delete,
        }

    def _send_message(self, method: SendMessage) -> Message:
        message = self._message(method.chat_id, method.text)
        self.say("")
        self.say(_indent(f"🤖 {self._to(method.chat_id)}", method.text))
        self._markup(message.message_id, method.reply_markup)
        return message

    def _send_file(self, method: Any, file: Any, icon: str) -> Message:
        message = self._message(method.chat_id, getattr(method, "caption", None))
        self.say("")
        self.say(f"🤖 {self._to(method.chat_id)}{icon} {self._save(file)}")
        if getattr(method, "caption", None):
            self.say(_indent("   ", method.caption))
        self._markup(message.message_id, method.reply_markup)
        return message

    def _send_album(self, method: SendMediaGroup) -> list[Message]:
        self.say("")
        messages = []
        for item in method.media:
            messages.append(self._message(method.chat_id, getattr(item, "caption", None)))
            self.say(f"🤖 {self._to(method.chat_id)}🖼 {self._save(item.media)}")
            if getattr(item, "caption", None):
                self.say(_indent("   ", item.caption))
        return messages

    def _to(self, chat_id: int | str) -> str:
        return "" if self.me is None or str(chat_id) == str(self.me) else f"(→ {chat_id}) "

    def _save(self, file: str | InputFile) -> str:
        if isinstance(file, BufferedInputFile):
            self.out_dir.mkdir(parents=True, exist_ok=True)
            path = self.out_dir / f"{next(self._files):03d}-{file.filename or 'file'}"
            path.write_bytes(file.data)
            return f"saved to {path}"
        if isinstance(file, FSInputFile):
            return f"file {file.path}"
        return f"file {file}"

    def _edit_text(self, method: EditMessageText) -> bool:
        if method.message_id is not None:
            self.texts[method.message_id] = method.text
        self.say("")
        self.say(_indent("🤖 ✏️ ", method.text))
        self._markup(method.message_id, method.reply_markup)
        return True

    def _edit_markup(self, method: EditMessageReplyMarkup) -> bool:
        self._markup(method.message_id, method.reply_markup)
        return True

    def _answer_callback(self, method: AnswerCallbackQuery) -> bool:
        if method.text:
            self.say(f"{'⚠️ ' if method.show_alert else '💬 '}{method.text}")
        return True

    def _delete(self, method: DeleteMessage) -> bool:
        self.inline = [c for c in self.inline if c.message_id != method.message_id]
        return True

    def _message(self, chat_id: Any, text: str | None) -> Message:
        message_id = next(self.message_ids)
        if text is not None:
            self.texts[message_id] = text
        chat_id = int(chat_id or 0)
        return Message(
            message_id=message_id,
            date=0,
            chat=Chat(id=chat_id, type="private"),
            from_user=DEMO_BOT,
            text=text,
        )

    def _markup(self, message_id: int | None, markup: Any) -> None:
        """Numbers inline buttons as they are shown; remembers the reply keyboard."""
        if isinstance(markup, ReplyKeyboardMarkup):
            self.keyboard = [button.text for row in markup.keyboard for button in row]
        elif isinstance(markup, ReplyKeyboardRemove):
            self.keyboard = []
        if self._batch_inline is None:
            return
        # An edited message's old buttons are gone, whatever replaces them.
        self.inline = [c for c in self.inline if c.message_id != message_id]
        if not isinstance(markup, InlineKeyboardMarkup):
            return
        for row in markup.inline_keyboard:
            line = []
            for button in row:
                if button.callback_data is None:
                    line.append(f"[{button.text} → {button.url or '…'}]")
                    continue
                self._batch_inline.append(Choice(button.text, button.callback_data, message_id))
                line.append(f"[{len(self._batch_inline)}] {button.text}")
            self.say("   " + "   ".join(line))

    def begin_batch(self) -> None:
        self._batch_inline = []

    def end_batch(self) -> list[Choice]:
        """The choices after this update: new buttons replace the old, then the keyboard."""
        batch, self._batch_inline = self._batch_inline or [], None
        if batch:
            self.inline = batch
        choices = self.inline + [Choice(text) for text in self.keyboard]
        first = len(self.inline) + 1
        if self.keyboard and self._shown_keys != (first, self.keyboard):
            self._shown_keys = (first, self.keyboard)
            keys = "  ".join(f"[{first + i}] {text}" for i, text in enumerate(self.keyboard))
            self.say(f"⌨️  {keys}")
        return choices


def _indent(prefix: str, text: str) -> str:
    pad = "   "
    return "\n".join(
        (prefix if i == 0 else pad) + line for i, line in enumerate(text.splitlines() or [""])
    )


@dataclass
class TerminalChat:
    """Turns what the person types into Telegram updates for the Dispatcher."""

    dp: Dispatcher
    bot: Bot
    terminal: TerminalSession
    user: User
    clock: Clock
    choices: list[Choice] = field(default_factory=list)
    update_ids: itertools.count = field(default_factory=lambda: itertools.count(1))

    async def type(self, line: str) -> None:
        text = line.strip()
        if not text:
            return
        choice = self._choice(text)
        if text.startswith("'"):
            text = text[1:]
        self.terminal.begin_batch()
        if choice is not None and choice.callback_data is not None:
            await self._tap(choice)
        else:
            await self._send(choice.label if choice is not None else text)
        self.choices = self.terminal.end_batch()

    def _choice(self, text: str) -> Choice | None:
        if text.isdigit() and 1 <= int(text) <= len(self.choices):
            return self.choices[int(text) - 1]
        return None

    async def _send(self, text: str) -> None:
        entities = None
        if text.startswith("/"):
            command = text.split()[0]
            entities = [MessageEntity(type="bot_command", offset=0, length=len(command))]
        message = Message(
            message_id=next(self.terminal.message_ids),
            date=self.clock.now(),
            chat=Chat(id=self.user.id, type="private"),
            from_user=self.user,
            text=text,
            entities=entities,
        )
        await self._feed(Update(update_id=next(self.update_ids), message=message))

    async def _tap(self, choice: Choice) -> None:
        message_id = choice.message_id or 0
        query = CallbackQuery(
            id=str(next(self.update_ids)),
            from_user=self.user,
            chat_instance="demo",
            data=choice.callback_data,
            message=Message(
                message_id=message_id,
                date=self.clock.now(),
                chat=Chat(id=self.user.id, type="private"),
                from_user=DEMO_BOT,
                text=self.terminal.texts.get(message_id, "…"),
            ),
        )
        await self._feed(Update(update_id=next(self.update_ids), callback_query=query))

    async def _feed(self, update: Update) -> None:
        """As polling does: an update that fails is logged and the bot carries on."""
        try:
            await self.dp.feed_update(self.bot, update)
        except Exception:
            log.exception("update %s failed", update.update_id)
            self.terminal.say("⚠️  (the bot failed on this update; see the log above)")


async def _lines(script: str | None, out: TextIO) -> AsyncIterator[str]:
    """The person's lines: from the script (echoed), or typed at the prompt."""
    if script is not None:
        text = await asyncio.to_thread(Path(script).read_text, encoding="utf-8")
        for line in text.splitlines():
            print(f"\n👤 {line}", file=out, flush=True)
            yield line
        return
    while True:
        try:
            line = await asyncio.to_thread(input, "\n👤 > ")
        except EOFError:
            return
        yield line


INTRO = (
    "BranchBot demo — the real bot, database {db} and locales; no token, no network.\n"
    "You are {name} ({role}). Type messages and commands as in Telegram;\n"
    "a number picks the numbered button; start with ' to send a number as text ('2);\n"
    "/quit or Ctrl-D ends. Images and files go to {out}/."
)


async def run_demo(
    settings: Settings, *, role: str, script: str | None, out: TextIO | None = None
) -> int:
    """Runs the demo until /quit or the end of input; 0 on success."""
    from storage.migrate import upgrade_async

    out = out or sys.stdout
    if script is not None and not await asyncio.to_thread(Path(script).is_file):
        print(f"error: no such script file: {script}", file=sys.stderr)
        return 2
    person = PEOPLE[role]
    # Reminders stay off: their pushes to every seeded member would flood one terminal.
    settings = settings.model_copy(
        update={"database_url": DEMO_DATABASE_URL, "scheduler_enabled": False}
    )
    await upgrade_async(settings.database_url)
    ctx = AppContext.build(settings)
    terminal = TerminalSession(out=out)
    bot = create_bot(ctx, session=terminal)
    dp = build_dispatcher(ctx)
    lifecycle = {"bot": bot, "bots": [bot], "dispatcher": dp, **dp.workflow_data}
    await dp.emit_startup(**lifecycle)  # as polling would: e.g. the criteria index is built
    try:
        await seed_demo(ctx)
        print(
            INTRO.format(db="./data/demo.db", name=person.name, role=role, out=DEMO_OUT_DIR),
            file=out,
        )
        user = User(
            id=person.telegram_id, is_bot=False, first_name=person.name, language_code="zh-hans"
        )
        terminal.me = user.id
        chat = TerminalChat(dp=dp, bot=bot, terminal=terminal, user=user, clock=ctx.clock)
        await chat.type("/start")
        async for line in _lines(script, out):
            if line.strip() in ("/quit", "/exit"):
                break
            await chat.type(line)
    finally:
        await dp.emit_shutdown(**lifecycle)
        await dp.storage.close()
        await ctx.close()
    print("\n👋 bye", file=out)
    return 0
