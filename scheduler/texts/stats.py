"""Outbox message renderers: stats (the secretary's manual nudge)."""

from __future__ import annotations

from typing import Any

from aiogram.utils.i18n import gettext as _

from bot.rules import format_hours
from scheduler.texts import Rendered, Renderer


def render_manual_nudge(args: dict[str, Any]) -> Rendered:
    done = int(args.get("done_minutes", 0))
    target = int(args.get("target_minutes", 0))
    text = _(
        "🔔 {org} reminds you: in {month} you have logged {done} h of {target} h. "
        "Log what you study with /log."
    ).format(
        org=args.get("org", ""),
        month=args.get("month", ""),
        done=format_hours(done),
        target=format_hours(target),
    )
    return Rendered(text=text)


RENDERERS: dict[str, Renderer] = {"manual_nudge": render_manual_nudge}
