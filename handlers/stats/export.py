"""/export: a month of the manager's subtree as a spreadsheet (or a zip of CSV files)."""

from __future__ import annotations

from aiogram.filters import CommandObject
from aiogram.types import BufferedInputFile, Message
from aiogram.utils.i18n import gettext as _
from sqlmodel.ext.asyncio.session import AsyncSession

from bot.context import AppContext
from bot.services.export import ExportRequest, export_month
from handlers.flow import for_managers
from handlers.stats.common import app_today, asked_month, scope_root
from storage.models import Member


@for_managers
async def export_command(
    message: Message,
    session: AsyncSession,
    member: Member,
    app: AppContext,
    command: CommandObject | None = None,
) -> None:
    """/export [YYYY-MM] [--csv]: the month of the manager's subtree as .xlsx (or CSV zip)."""
    root = await scope_root(session, member)
    words = (command.args or "").split() if command else []
    as_csv = "--csv" in words
    words = [word for word in words if word != "--csv"]
    if len(words) > 1:
        await message.answer(_("Usage: /export [YYYY-MM] [--csv]"))
        return
    month = await asked_month(message, words[0] if words else None, app_today(app))
    if month is None:
        return
    request = ExportRequest(
        org=root,
        month=month,
        policy=app.policy,
        tz=app.settings.tz,
        now=app.clock.now(),
        group_half_days_target=app.settings.group_study_half_days,
        translate=_,
    )
    result = await export_month(session, request, csv=as_csv, actor=member, via="bot")
    await session.commit()
    extension = "zip" if as_csv else "xlsx"
    filename = f"branchbot-{root.code}-{month.key}.{extension}"
    await message.answer_document(
        BufferedInputFile(result.data, filename=filename),
        caption=_("{org} — {month}: {rows} rows.").format(
            org=root.name, month=month.key, rows=result.rows
        ),
    )
