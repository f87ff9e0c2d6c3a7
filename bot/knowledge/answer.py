"""An entry as the user reads it: placeholders filled from configuration, in their locale."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass

from bot.config import Settings
from bot.knowledge.intent import MIN_CONFIDENCE
from bot.knowledge.loader import Entry, KnowledgeBase
from bot.knowledge.search import Hit
from bot.rules import format_hours

MAX_RELATED = 3


@dataclass(frozen=True)
class Phrases:
    """Localized wording for targets our copy of the plan lost (given by the caller)."""

    target_set_locally: str  # "the target set locally"
    deadline_set_locally: str  # "by the deadline set locally"
    deadline: str  # "by {deadline}" with the configured value


@dataclass(frozen=True)
class EntryView:
    title: str
    text: str
    section: str


def placeholder_values(settings: Settings, phrases: Phrases) -> dict[str, str]:
    """Study rules from the same settings as check-ins; lost targets from settings too."""
    deadline = settings.league_rate_deadline
    return {
        "monthly_study_hours": format_hours(settings.study_target_minutes),
        "group_study_half_days": str(settings.group_study_half_days),
        "nonpublic_rate_target": settings.nonpublic_league_rate_target
        or phrases.target_set_locally,
        "league_rate_deadline": phrases.deadline.format(deadline=deadline)
        if deadline
        else phrases.deadline_set_locally,
    }


def entry_view(entry: Entry, locale: str, values: Mapping[str, str]) -> EntryView:
    local = entry.local(locale)
    return EntryView(
        title=local.title.format_map(values),
        text=local.text.format_map(values),
        section=local.section.format_map(values),
    )


def related_ids(kb: KnowledgeBase, entry_id: str, hits: list[Hit] | None = None) -> list[str]:
    """Up to three entries to offer next: the closest runner-up for the question, then the
    entry's curated neighbours, then other confident runners-up."""
    runners_up = [hit.entry_id for hit in hits or [] if hit.confidence >= MIN_CONFIDENCE]
    candidates = [*runners_up[:1], *kb.entries[entry_id].related, *runners_up[1:]]
    found: list[str] = []
    for candidate in candidates:
        if candidate != entry_id and candidate in kb.entries and candidate not in found:
            found.append(candidate)
    return found[:MAX_RELATED]
