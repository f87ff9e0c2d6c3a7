"""Authorization answers shared by every feature: checked on each message and callback."""

from __future__ import annotations

from aiogram.types import CallbackQuery, Message
from aiogram.utils.i18n import gettext as _

from storage.models import Member, Role


async def notify(event: Message | CallbackQuery, text: str) -> None:
    """An alert on a tap, a reply to a message."""
    if isinstance(event, CallbackQuery):
        await event.answer(text, show_alert=True)
    else:
        await event.answer(text)


def is_registered(_event: object, member: Member | None) -> bool:
    """Filter: the update comes from a registered member."""
    return member is not None


async def ensure_member(event: Message | CallbackQuery, member: Member | None) -> bool:
    """True for a registered member; otherwise tells the user how to join."""
    if member is not None:
        return True
    await notify(
        event,
        _("You have not joined yet. Ask your branch secretary for an invite link and open it."),
    )
    return False


async def ensure_role(event: Message | CallbackQuery, member: Member | None, *roles: Role) -> bool:
    if not await ensure_member(event, member):
        return False
    assert member is not None
    if member.role in roles:
        return True
    if roles == (Role.ADMIN,):
        await notify(event, _("Only admins can do this."))
    else:
        await notify(event, _("Only branch secretaries and admins can do this."))
    return False


async def reject_stale(event: CallbackQuery) -> None:
    """For a button whose data is forged, out of scope or no longer valid."""
    await event.answer(_("This button is no longer valid."), show_alert=True)
