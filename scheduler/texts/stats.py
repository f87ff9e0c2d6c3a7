"""Outbox message renderers: stats."""

from __future__ import annotations

from scheduler.texts import Renderer

RENDERERS: dict[str, Renderer] = {}
