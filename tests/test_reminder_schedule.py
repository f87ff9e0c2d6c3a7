"""The calendar: fixed job ids, local cron times, and catching up after a restart."""

from __future__ import annotations

from datetime import datetime

from apscheduler.triggers.cron import CronTrigger

from bot.clock import FixedClock
from bot.context import AppContext
from scheduler.jobs import KINDS
from scheduler.service import build_scheduler, catch_up, cron_trigger
from tests.conftest import SHANGHAI
from tests.support.factories import World


async def test_one_job_per_kind_with_fixed_ids_coalesced_and_a_grace_of_hours(
    app: AppContext,
) -> None:
    scheduler = build_scheduler(app)

    jobs = {job.id: job for job in scheduler.get_jobs()}

    assert set(jobs) == set(KINDS)
    for job in jobs.values():
        assert isinstance(job.trigger, CronTrigger)
        assert job.coalesce is True
        assert job.misfire_grace_time == 6 * 3600


async def test_month_start_fires_on_the_first_at_nine_local_time(app: AppContext) -> None:
    now = datetime(2026, 11, 20, 20, 30, tzinfo=SHANGHAI)

    fire = cron_trigger(app, "month_start").get_next_fire_time(None, now)

    assert fire == datetime(2026, 12, 1, 9, 0, tzinfo=SHANGHAI)


async def test_meeting_reminders_are_checked_every_ten_minutes(app: AppContext) -> None:
    now = datetime(2026, 11, 20, 20, 31, tzinfo=SHANGHAI)

    fire = cron_trigger(app, "meeting_soon").get_next_fire_time(None, now)

    assert fire == datetime(2026, 11, 20, 20, 40, tzinfo=SHANGHAI)


async def test_after_a_restart_the_kinds_missed_within_the_grace_run_once(
    app: AppContext, world: World, clock: FixedClock
) -> None:
    clock.set_local(datetime(2026, 12, 1, 10, 30), SHANGHAI)

    first = await catch_up(app)
    again = await catch_up(app)

    assert first["month_start"] == 6
    assert first["month_close"] == 1
    assert "weekly_digest" not in first  # a Tuesday
    assert set(again.values()) == {0}
