"""Reminders: the engine's start and stop, and the admins' /outbox and /remind_now."""

from __future__ import annotations

from aiogram import Bot, F, Router
from aiogram.filters import Command, CommandObject
from aiogram.types import Message
from aiogram.utils.i18n import gettext as _
from sqlmodel.ext.asyncio.session import AsyncSession

from bot.clock import local_today
from bot.context import AppContext
from bot.rules import local_day_bounds_utc
from bot.services.orgs import managed_root
from handlers.guards import ensure_role
from scheduler.jobs import KINDS, preview, run_job
from scheduler.service import ReminderService
from scheduler.status import outbox_counts
from storage.models import Member, Role

SERVICE_KEY = "reminders"
SEND_WORDS = {"send", "--send"}


async def start_reminders(bot: Bot, app: AppContext) -> None:
    """Every process starts the service; only the elected leader schedules and sends."""
    if not app.settings.scheduler_enabled:
        return
    service = ReminderService(app, bot)
    app.extras[SERVICE_KEY] = service
    await service.start()


async def stop_reminders(app: AppContext) -> None:
    service = app.extras.pop(SERVICE_KEY, None)
    if service is not None:
        await service.stop()


async def show_outbox(
    message: Message, member: Member | None, session: AsyncSession, app: AppContext
) -> None:
    """Pending messages, and those sent, failed and blocked today."""
    if not await ensure_role(message, member, Role.ADMIN):
        return
    day = local_today(app.clock, app.settings.tz)
    counts = await outbox_counts(session, *local_day_bounds_utc(day, app.settings.tz))
    await message.answer(
        _(
            "Outbox: {pending} pending. Today: {sent} sent, {failed} failed, {blocked} blocked."
        ).format(
            pending=counts.pending, sent=counts.sent, failed=counts.failed, blocked=counts.blocked
        )
    )


def _usage() -> str:
    return _(
        "Usage: /remind_now KIND [send]. Without “send” it only shows who would get it. "
        "Kinds: {kinds}"
    ).format(kinds=", ".join(KINDS))


async def remind_now(
    message: Message,
    command: CommandObject,
    member: Member | None,
    session: AsyncSession,
    app: AppContext,
) -> None:
    """Dry run of a reminder kind for the admin's subtree, or (with `send`) queue it now."""
    if not await ensure_role(message, member, Role.ADMIN):
        return
    words = (command.args or "").split()
    if not words or words[0] not in KINDS or len(words) > 2 or not set(words[1:]) <= SEND_WORDS:
        await message.answer(_usage())
        return
    kind = words[0]
    root = await managed_root(session, member)
    if len(words) == 2:
        added = await run_job(app, kind, force=True, root=root)
        service = app.extras.get(SERVICE_KEY)
        if service is not None:
            service.sender.wake()
        await message.answer(
            _(
                "{kind}: {count} new messages queued (anything queued before is not repeated)."
            ).format(kind=kind, count=added)
        )
        return
    result = await preview(app, kind, root)
    lines = [_("Dry run of {kind}: {count} recipients.").format(kind=kind, count=result.count)]
    if result.sample:
        lines.append(_("For example: {names}").format(names="、".join(result.sample)))
    lines.append(_("To queue them: /remind_now {kind} send").format(kind=kind))
    await message.answer("\n".join(lines))


def create_router() -> Router:
    router = Router(name="reminders")
    router.startup.register(start_reminders)
    router.shutdown.register(stop_reminders)
    private = F.chat.type == "private"
    router.message.register(show_outbox, Command("outbox"), private)
    router.message.register(remind_now, Command("remind_now"), private)
    return router
