"""Outbox message renderers: reminders."""

from __future__ import annotations

from scheduler.texts import Renderer

RENDERERS: dict[str, Renderer] = {}
