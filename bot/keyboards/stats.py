"""Callback data and inline keyboards of statistics (pure builders)."""

from __future__ import annotations

from collections.abc import Sequence
from enum import StrEnum

from aiogram.filters.callback_data import CallbackData
from aiogram.types import InlineKeyboardMarkup
from aiogram.utils.i18n import gettext as _

from bot.keyboards.buttons import button
from bot.keyboards.ids import RowId
from bot.rules import Month

MAX_CHILD_BUTTONS = 40  # Telegram allows 100 buttons; a long list is read in the text


class StatsAction(StrEnum):
    VIEW = "v"  # show an organisation's month (drill down, up, or switch month)
    NUDGE = "n"  # queue a reminder to the members behind


class StatsCb(CallbackData, prefix="sts"):
    """Every id in it is re-checked against the tapper's scope: it may be forged."""

    action: StatsAction
    org_id: RowId
    month: str  # "YYYY-MM"


class MemberCb(CallbackData, prefix="stm"):
    member_id: RowId
    month: str


def stats_keyboard(
    *,
    org_id: int,
    month: Month,
    parent: tuple[int, str] | None,
    kids: Sequence[tuple[int, str, float]],
    can_go_next: bool,
    nudge_count: int,
) -> InlineKeyboardMarkup:
    """Children to drill into, the way back up, month switching and the nudge button."""

    def view(target: int, on: Month) -> StatsCb:
        return StatsCb(action=StatsAction.VIEW, org_id=target, month=on.key)

    child_buttons = [
        button(f"🔍 {name} {rate:.0%}", view(kid_id, month))
        for kid_id, name, rate in kids[:MAX_CHILD_BUTTONS]
    ]
    rows = [child_buttons[i : i + 2] for i in range(0, len(child_buttons), 2)]
    if parent is not None:
        rows.append([button(_("⬆️ Up to {name}").format(name=parent[1]), view(parent[0], month))])
    months = [button(f"◀️ {month.prev().key}", view(org_id, month.prev()))]
    if can_go_next:
        months.append(button(f"{month.next().key} ▶️", view(org_id, month.next())))
    rows.append(months)
    if nudge_count:
        rows.append(
            [
                button(
                    _("🔔 Remind the {count} behind").format(count=nudge_count),
                    StatsCb(action=StatsAction.NUDGE, org_id=org_id, month=month.key),
                )
            ]
        )
    return InlineKeyboardMarkup(inline_keyboard=rows)


def member_choice_keyboard(
    choices: Sequence[tuple[int, str]], month: Month
) -> InlineKeyboardMarkup:
    """One button per member whose name matched (label: name and organisation)."""
    return InlineKeyboardMarkup(
        inline_keyboard=[
            [button(label, MemberCb(member_id=member_id, month=month.key))]
            for member_id, label in choices
        ]
    )
