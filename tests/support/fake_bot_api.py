"""A small local server that speaks the Telegram Bot API, for end-to-end tests and benches.

The real bot talks to it through `TELEGRAM_API_BASE` exactly as it would to Telegram or a
self-hosted Bot API server. It queues updates for `getUpdates`, records what the bot
sends, and — when asked — enforces Telegram's flood limits (429 with `retry_after`),
answers 403 for chats that blocked the bot, and fails with 5xx on demand.
"""

from __future__ import annotations

import asyncio
import itertools
import json
import time
from collections import defaultdict, deque
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

from aiohttp import web

BOT_ID = 4242
BOT_USERNAME = "BranchBot"
SEND_METHODS = {
    "sendmessage",
    "sendphoto",
    "senddocument",
    "sendmediagroup",
    "copymessage",
    "forwardmessage",
}


@dataclass
class Limits:
    """Telegram's documented limits; None switches one off."""

    global_per_second: int | None = 30
    private_chat_interval: float | None = 1.0  # seconds between messages to one chat
    group_per_minute: int | None = 20
    retry_after: int = 1


@dataclass
class Sent:
    method: str
    chat_id: int
    text: str | None
    params: dict[str, Any]
    at: float
    message_id: int
    file: bytes | None = None
    file_name: str | None = None

    @property
    def reply_markup(self) -> dict[str, Any] | None:
        raw = self.params.get("reply_markup")
        return json.loads(raw) if isinstance(raw, str) else raw

    def button_data(self) -> list[str]:
        markup = self.reply_markup or {}
        return [
            button.get("callback_data", "")
            for row in markup.get("inline_keyboard", [])
            for button in row
        ]


@dataclass
class FakeBotAPI:
    limits: Limits | None = None  # None: accept everything (handler-level e2e tests)
    clock: Callable[[], float] = time.monotonic
    blocked: set[int] = field(default_factory=set)
    sent: list[Sent] = field(default_factory=list)
    requests: list[tuple[str, dict[str, Any]]] = field(default_factory=list)
    rejected_429: int = 0
    rejected_403: int = 0
    failures_to_inject: int = 0  # the next N send requests answer 500
    answered_callbacks: list[dict[str, Any]] = field(default_factory=list)

    def __post_init__(self) -> None:
        self._updates: list[dict[str, Any]] = []
        self._update_ids = itertools.count(1)
        self._message_ids = itertools.count(1)
        self._new_update = asyncio.Event()
        self._activity = asyncio.Condition()
        self._global_window: deque[float] = deque()
        self._group_windows: dict[int, deque[float]] = defaultdict(deque)
        self._last_private: dict[int, float] = {}
        self._runner: web.AppRunner | None = None
        self._closing = False
        self.base_url = ""

    # -- lifecycle -------------------------------------------------------------------
    async def start(self) -> FakeBotAPI:
        app = web.Application()
        app.router.add_route("*", "/bot{token}/{method}", self._handle)
        self._runner = web.AppRunner(app, access_log=None)
        await self._runner.setup()
        site = web.TCPSite(self._runner, "127.0.0.1", 0)
        await site.start()
        port = site._server.sockets[0].getsockname()[1]  # type: ignore[union-attr]
        self.base_url = f"http://127.0.0.1:{port}"
        return self

    async def stop(self) -> None:
        self._closing = True
        self._new_update.set()
        if self._runner is not None:
            await self._runner.cleanup()

    async def __aenter__(self) -> FakeBotAPI:
        return await self.start()

    async def __aexit__(self, *exc: object) -> None:
        await self.stop()

    # -- what users do ---------------------------------------------------------------
    def push_update(self, update: dict[str, Any]) -> int:
        update_id = next(self._update_ids)
        self._updates.append({"update_id": update_id, **update})
        self._new_update.set()
        return update_id

    def push_message(self, user_id: int, text: str, *, language_code: str = "zh-hans") -> int:
        message: dict[str, Any] = {
            "message_id": next(self._message_ids),
            "date": int(time.time()),
            "chat": {"id": user_id, "type": "private", "first_name": f"u{user_id}"},
            "from": _user(user_id, language_code),
            "text": text,
        }
        if text.startswith("/"):
            command = text.split()[0]
            message["entities"] = [{"type": "bot_command", "offset": 0, "length": len(command)}]
        return self.push_update({"message": message})

    def push_callback(self, user_id: int, data: str, *, message_id: int = 1) -> int:
        query = {
            "id": f"cb{next(self._update_ids)}",
            "from": _user(user_id, "zh-hans"),
            "chat_instance": "ci",
            "data": data,
            "message": {
                "message_id": message_id,
                "date": int(time.time()),
                "chat": {"id": user_id, "type": "private"},
                "from": _bot_user(),
                "text": "…",
            },
        }
        return self.push_update({"callback_query": query})

    # -- what tests read -------------------------------------------------------------
    def sent_to(self, chat_id: int) -> list[Sent]:
        return [message for message in self.sent if message.chat_id == chat_id]

    def texts_to(self, chat_id: int) -> list[str]:
        return [message.text for message in self.sent_to(chat_id) if message.text]

    async def wait_for(self, predicate: Callable[[], bool], within: float = 10.0) -> None:
        """Waits until `predicate()` holds after some request; fails after `within` s."""
        async with asyncio.timeout(within), self._activity:
            await self._activity.wait_for(predicate)

    # -- the API ---------------------------------------------------------------------
    async def _handle(self, request: web.Request) -> web.Response:
        method = request.match_info["method"].lower()
        params, file, file_name = await _read_params(request)
        self.requests.append((method, params))
        try:
            if method == "getupdates":
                return _ok(await self._get_updates(params))
            if method in SEND_METHODS:
                return self._send(method, params, file, file_name)
            return _ok(self._other(method, params))
        finally:
            async with self._activity:
                self._activity.notify_all()

    async def _get_updates(self, params: dict[str, Any]) -> list[dict[str, Any]]:
        offset = int(params.get("offset") or 0)
        self._updates = [update for update in self._updates if update["update_id"] >= offset]
        if not self._updates and not self._closing:
            self._new_update.clear()
            timeout = float(params.get("timeout") or 0)
            try:
                async with asyncio.timeout(min(timeout, 1.0)):
                    await self._new_update.wait()
            except TimeoutError:
                pass
        return list(self._updates)

    def _send(
        self, method: str, params: dict[str, Any], file: bytes | None, file_name: str | None
    ) -> web.Response:
        chat_id = int(params["chat_id"])
        if self.failures_to_inject > 0:
            self.failures_to_inject -= 1
            return _error(500, "Internal Server Error: injected")
        if chat_id in self.blocked:
            self.rejected_403 += 1
            return _error(403, "Forbidden: bot was blocked by the user")
        now = self.clock()
        if self.limits is not None and not self._admit(chat_id, now):
            self.rejected_429 += 1
            return _error(
                429,
                f"Too Many Requests: retry after {self.limits.retry_after}",
                {"retry_after": self.limits.retry_after},
            )
        message_id = next(self._message_ids)
        text = params.get("text") or params.get("caption")
        self.sent.append(Sent(method, chat_id, text, params, now, message_id, file, file_name))
        return _ok(_message(chat_id, message_id, text, method, file_name))

    def _admit(self, chat_id: int, now: float) -> bool:
        limits = self.limits
        assert limits is not None
        window = self._global_window
        while window and now - window[0] >= 1.0:
            window.popleft()
        if limits.global_per_second is not None and len(window) >= limits.global_per_second:
            return False
        if chat_id > 0 and limits.private_chat_interval is not None:
            last = self._last_private.get(chat_id)
            if last is not None and now - last < limits.private_chat_interval:
                return False
        if chat_id < 0 and limits.group_per_minute is not None:
            group = self._group_windows[chat_id]
            while group and now - group[0] >= 60.0:
                group.popleft()
            if len(group) >= limits.group_per_minute:
                return False
            group.append(now)
        window.append(now)
        if chat_id > 0:
            self._last_private[chat_id] = now
        return True

    def _other(self, method: str, params: dict[str, Any]) -> Any:
        if method == "getme":
            return _bot_user()
        if method == "answercallbackquery":
            self.answered_callbacks.append(params)
            return True
        if method in {"editmessagetext", "editmessagecaption"}:
            chat_id = int(params.get("chat_id") or 0)
            text = params.get("text") or params.get("caption")
            message_id = int(params.get("message_id") or 0)
            self.sent.append(Sent(method, chat_id, text, params, self.clock(), message_id))
            return _message(chat_id, message_id, text, method, None)
        return True  # deleteWebhook, setMyCommands, editMessageReplyMarkup, deleteMessage …


async def _read_params(request: web.Request) -> tuple[dict[str, Any], bytes | None, str | None]:
    params: dict[str, Any] = dict(request.query)
    file = file_name = None
    if request.content_type == "application/json":
        params.update(await request.json())
    elif request.can_read_body:
        form = await request.post()
        for key, value in form.items():
            if isinstance(value, web.FileField):
                file, file_name = value.file.read(), value.filename
            else:
                params[key] = value
    return params, file, file_name


def _user(user_id: int, language_code: str) -> dict[str, Any]:
    return {
        "id": user_id,
        "is_bot": False,
        "first_name": f"u{user_id}",
        "language_code": language_code,
    }


def _bot_user() -> dict[str, Any]:
    return {"id": BOT_ID, "is_bot": True, "first_name": "团支书助手", "username": BOT_USERNAME}


def _message(
    chat_id: int, message_id: int, text: str | None, method: str, file_name: str | None
) -> dict[str, Any]:
    message: dict[str, Any] = {
        "message_id": message_id,
        "date": int(time.time()),
        "chat": {"id": chat_id, "type": "private" if chat_id > 0 else "supergroup"},
        "from": _bot_user(),
    }
    if method == "sendphoto":
        message["photo"] = [
            {
                "file_id": f"p{message_id}",
                "file_unique_id": f"p{message_id}",
                "width": 1,
                "height": 1,
            }
        ]
        message["caption"] = text
    elif method == "senddocument":
        message["document"] = {
            "file_id": f"d{message_id}",
            "file_unique_id": f"d{message_id}",
            "file_name": file_name or "file",
        }
        message["caption"] = text
    elif text is not None:
        message["text"] = text
    return message


def _ok(result: Any) -> web.Response:
    return web.json_response({"ok": True, "result": result})


def _error(code: int, description: str, parameters: dict[str, Any] | None = None) -> web.Response:
    body: dict[str, Any] = {"ok": False, "error_code": code, "description": description}
    if parameters:
        body["parameters"] = parameters
    return web.json_response(body, status=code)
