"""Outbox message renderers: meetings (announcement, cancellation, move).

The args carry display values (host name, local start, place, agenda) because renderers
do not read the database.
"""

from __future__ import annotations

from typing import Any

from aiogram.utils.i18n import gettext as _

from bot.keyboards.meetings import announce_keyboard
from scheduler.texts import Rendered, Renderer


def _details(args: dict[str, Any]) -> str:
    return _("🕒 {starts}\n📍 {place}\n📝 {agenda}").format(
        starts=args["starts"], place=args["place"], agenda=args["agenda"]
    )


def render_announce(args: dict[str, Any]) -> Rendered:
    text = _("🗣 {org} invites you to the cadre exchange meeting.").format(org=args["org"])
    footer = _("Please reply below; you can change your answer until the meeting starts.")
    return Rendered(
        f"{text}\n{_details(args)}\n\n{footer}", announce_keyboard(int(args["meeting_id"]))
    )


def render_cancelled(args: dict[str, Any]) -> Rendered:
    text = _("✖️ The exchange meeting of {org} has been cancelled.").format(org=args["org"])
    return Rendered(f"{text}\n{_details(args)}")


def render_moved(args: dict[str, Any]) -> Rendered:
    text = _("🕒 The exchange meeting of {org} has moved from {old} to {new}.").format(
        org=args["org"], old=args["old_starts"], new=args["starts"]
    )
    return Rendered(f"{text}\n{_details(args)}", announce_keyboard(int(args["meeting_id"])))


RENDERERS: dict[str, Renderer] = {
    "meeting_announce": render_announce,
    "meeting_cancelled": render_cancelled,
    "meeting_moved": render_moved,
}
