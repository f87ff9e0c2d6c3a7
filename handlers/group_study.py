"""Feature router: group_study (to be built)."""

from __future__ import annotations

from aiogram import Router


def create_router() -> Router:
    return Router(name="group_study")
