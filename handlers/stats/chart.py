"""/chart: completion, hours and trend of the manager's subtree as three PNGs."""

from __future__ import annotations

import asyncio

from aiogram.filters import CommandObject
from aiogram.types import BufferedInputFile, InputMediaPhoto, Message
from aiogram.utils.i18n import gettext as _
from sqlmodel.ext.asyncio.session import AsyncSession

from bot.context import AppContext
from bot.rules import StudyPolicy, format_hours
from bot.services.charts import ChartLabels, chart_data, render_charts
from handlers.flow import for_managers
from handlers.stats.common import app_today, asked_month, scope_root
from storage.models import Member


def chart_labels(policy: StudyPolicy) -> ChartLabels:
    return ChartLabels(
        completion_title=_("Completion by organisation — {org} {month}"),
        completion_axis=_("Completion %"),
        hours_title=_("Hours of members — {org} {month}"),
        hours_axis=_("Hours studied"),
        members_axis=_("Number of members"),
        target_line=_("Target {hours} h").format(hours=format_hours(policy.target_minutes)),
        trend_title=_("Last 6 months — {org}"),
        trend_rate=_("Completion %"),
        trend_hours=_("Average hours"),
    )


@for_managers
async def chart_command(
    message: Message,
    session: AsyncSession,
    member: Member,
    app: AppContext,
    command: CommandObject | None = None,
) -> None:
    """/chart [YYYY-MM]: three PNGs of the manager's subtree, sent as one album."""
    root = await scope_root(session, member)
    month = await asked_month(message, command.args if command else None, app_today(app))
    if month is None:
        return
    data = await chart_data(session, root, month, app.policy, app.settings.tz)
    # Drawing is CPU work (~0.3 s a chart): off the event loop so other chats keep flowing.
    images = await asyncio.to_thread(render_charts, data, chart_labels(app.policy))
    caption = _("{org} — {month}: completion, hours and trend.").format(
        org=root.name, month=month.key
    )
    await message.answer_media_group(
        [
            InputMediaPhoto(
                media=BufferedInputFile(png, filename=f"chart-{index}.png"),
                caption=caption if index == 0 else None,
            )
            for index, png in enumerate(images)
        ]
    )
