"""Group study service: length conversion and storage on SQLite and PostgreSQL."""

from __future__ import annotations

from datetime import date

import pytest

from bot.context import AppContext
from bot.rules import Month, StudyPolicy
from bot.services import group_study as service
from bot.services.group_study import GroupStudyDraft, GroupStudyError, GroupStudyProblem
from tests.support.factories import build_world

POLICY = StudyPolicy(half_day_minutes=180)
TODAY = date(2026, 11, 20)


@pytest.mark.parametrize(
    ("hours", "half_days"), [(3, 1.0), (3.5, 1.0), (4.5, 1.5), (6, 2.0), (1, 0.5), (0.2, 0.5)]
)
def test_hours_round_to_the_nearest_half_of_a_half_day(hours: float, half_days: float) -> None:
    assert service.length_of_hours(hours, POLICY).half_days == half_days


def test_hours_keep_the_typed_minutes() -> None:
    assert service.length_of_hours(3.5, POLICY).minutes == 210


@pytest.mark.parametrize("hours", [0, -1, 25, float("nan")])
def test_impossible_hours_are_refused(hours: float) -> None:
    with pytest.raises(GroupStudyError):
        service.length_of_hours(hours, POLICY)


def draft(org_id: int, attendees: set[int], key: str = "k1", day: date = TODAY) -> GroupStudyDraft:
    return GroupStudyDraft(
        org_id=org_id,
        study_date=day,
        length=service.length_of_half_days(2, POLICY),
        topic="学习团章",
        summary="",
        attendee_ids=frozenset(attendees),
        idempotency_key=key,
    )


async def test_record_and_month_status_on_both_backends(any_app: AppContext) -> None:
    world = await build_world(any_app.sessions)
    async with any_app.sessions() as session:
        secretary = await session.get(type(world.secretary_a), world.secretary_a.id)
        assert secretary is not None
        _, created = await service.record(
            session, secretary, draft(world.branch_a.id, {world.cadre_a1.id}), POLICY, TODAY
        )
        _, again = await service.record(
            session, secretary, draft(world.branch_a.id, {world.cadre_a1.id}), POLICY, TODAY
        )
        status = await service.month_status(session, world.branch_a, Month(2026, 11), POLICY)
    assert (created, again) == (True, False)
    assert status.half_days == 2.0 and status.reached
    assert [count for _study, count in status.sessions] == [1]


async def test_attendee_of_another_organisation_is_refused(any_app: AppContext) -> None:
    world = await build_world(any_app.sessions)
    async with any_app.sessions() as session:
        secretary = await session.get(type(world.secretary_a), world.secretary_a.id)
        assert secretary is not None
        with pytest.raises(GroupStudyError) as raised:
            await service.record(
                session, secretary, draft(world.branch_a.id, {world.cadre_b1.id}), POLICY, TODAY
            )
    assert raised.value.problem == GroupStudyProblem.FOREIGN_ATTENDEE
