"""Routers, one module per feature; the order below is the order of precedence."""

from __future__ import annotations

from aiogram import Router


def create_routers() -> list[Router]:
    from handlers import (
        checkin,
        common,
        criteria,
        group_study,
        meetings,
        members,
        onboarding,
        reminders,
        settings,
        stats,
    )

    return [
        checkin.create_command_router(),  # /log, /me, /history work in any state: most used
        common.create_router(),  # so do /cancel and /help
        onboarding.create_router(),
        settings.create_router(),
        members.create_router(),
        checkin.create_router(),
        group_study.create_router(),
        meetings.create_router(),
        stats.create_router(),
        reminders.create_router(),
        criteria.create_router(),  # last: free text that nothing else took is a question
    ]
