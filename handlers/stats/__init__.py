"""/stats, /member, /export and /chart: an organisation's month for secretaries and admins.

Scope is checked on every message and callback: an admin sees their subtree, a secretary
their organisation's subtree, a cadre only their own month. One module a job: `view`
(/stats, drill-down, nudge), `member` (/member), `export` (/export), `chart` (/chart);
`common` holds the month parsing, scope and long replies they share.
"""

from __future__ import annotations

from aiogram import F, Router
from aiogram.filters import Command

from bot.keyboards.menu import MENU_STATS
from bot.keyboards.stats import MemberCb, StatsCb
from handlers.guards import reject_stale
from handlers.stats.chart import chart_command, chart_labels
from handlers.stats.common import MonthError, parse_month
from handlers.stats.export import export_command
from handlers.stats.member import member_callback, member_command
from handlers.stats.view import render_stats, stats_callback, stats_command

__all__ = ["MonthError", "chart_labels", "create_router", "parse_month", "render_stats"]


def create_router() -> Router:
    router = Router(name="stats")
    private = F.chat.type == "private"
    router.message.register(stats_command, Command("stats"), private)
    router.message.register(stats_command, F.text == MENU_STATS, private)
    router.message.register(export_command, Command("export"), private)
    router.message.register(chart_command, Command("chart"), private)
    router.message.register(member_command, Command("member"), private)
    router.callback_query.register(stats_callback, StatsCb.filter())
    router.callback_query.register(member_callback, MemberCb.filter())
    # Our prefixes but data that does not unpack: forged or from an older version.
    router.callback_query.register(reject_stale, F.data.startswith(("sts:", "stm:")))
    return router
