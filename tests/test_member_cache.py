"""The middleware's member cache: served fresh, forgotten on every change this process makes."""

from __future__ import annotations

from typing import Any

import pytest
from aiogram.types import Message, User
from sqlalchemy import update
from sqlmodel import col, select

from bot.context import AppContext
from bot.keyboards.onboarding import SettingsAction, SettingsCb
from bot.middlewares import RequestContextMiddleware
from storage.member_cache import MemberCache, cache_of
from storage.models import Member
from tests.support.factories import CADRE_A1_TG, World
from tests.support.harness import Harness, joined


class FakeMonotonic:
    def __init__(self) -> None:
        self.now = 100.0

    def __call__(self) -> float:
        return self.now


async def _cached(app: AppContext, telegram_id: int) -> MemberCache:
    """The app's cache, holding the member as the middleware would put them there."""
    async with app.sessions() as session:
        cache = cache_of(session.sync_session)
        assert cache is not None
        epoch = cache.epoch
        member = (await session.exec(select(Member).where(Member.telegram_id == telegram_id))).one()
        cache.put(member, epoch)
    assert cache.get(telegram_id) is not None
    return cache


async def _member(app: AppContext, telegram_id: int) -> Member:
    async with app.sessions() as session:
        return (await session.exec(select(Member).where(Member.telegram_id == telegram_id))).one()


def test_get_hands_out_a_fresh_copy_each_time(world: World) -> None:
    cache = MemberCache(30)
    cache.put(world.cadre_a1, cache.epoch)
    first, second = cache.get(CADRE_A1_TG), cache.get(CADRE_A1_TG)
    assert first is not None and second is not None and first is not second
    assert first.model_dump() == world.cadre_a1.model_dump()


def test_an_entry_expires_after_its_ttl(world: World) -> None:
    clock = FakeMonotonic()
    cache = MemberCache(30, clock)
    cache.put(world.cadre_a1, cache.epoch)
    clock.now += 30
    assert cache.get(CADRE_A1_TG) is None


def test_zero_seconds_caches_nothing(world: World) -> None:
    cache = MemberCache(0)
    cache.put(world.cadre_a1, cache.epoch)
    assert cache.get(CADRE_A1_TG) is None


def test_a_row_read_before_an_invalidation_is_not_kept(world: World) -> None:
    cache = MemberCache(30)
    epoch = cache.epoch
    cache.forget([CADRE_A1_TG])
    cache.put(world.cadre_a1, epoch)
    assert cache.get(CADRE_A1_TG) is None


async def test_changing_a_member_through_the_orm_forgets_them(
    app: AppContext, world: World
) -> None:
    cache = await _cached(app, CADRE_A1_TG)
    async with app.sessions() as session:
        member = await session.get(Member, world.cadre_a1.id)
        assert member is not None
        member.locale = "en"
        session.add(member)
        await session.commit()
    assert cache.get(CADRE_A1_TG) is None


async def test_rewriting_the_telegram_id_forgets_the_old_one(app: AppContext, world: World) -> None:
    cache = await _cached(app, CADRE_A1_TG)
    async with app.sessions() as session:
        member = await session.get(Member, world.cadre_a1.id)
        assert member is not None
        member.telegram_id = -(member.id or 0)
        session.add(member)
        await session.commit()
    assert cache.get(CADRE_A1_TG) is None


async def test_a_bulk_update_of_members_clears_the_cache(app: AppContext, world: World) -> None:
    cache = await _cached(app, CADRE_A1_TG)
    async with app.sessions() as session:
        await session.exec(  # type: ignore[call-overload]
            update(Member).where(col(Member.id) == world.cadre_a2.id).values(active=False)
        )
        await session.commit()
    assert len(cache) == 0


async def test_a_row_cached_between_flush_and_commit_is_forgotten_at_the_commit(
    app: AppContext, world: World
) -> None:
    cache = await _cached(app, CADRE_A1_TG)
    async with app.sessions() as session:
        member = await session.get(Member, world.cadre_a1.id)
        assert member is not None
        member.locale = "en"
        session.add(member)
        await session.flush()
        cache.put(await _member(app, CADRE_A1_TG), cache.epoch)  # another update's read
        await session.commit()
    assert cache.get(CADRE_A1_TG) is None


async def test_a_member_blocked_while_cached_is_reactivated_by_their_next_message(
    app: AppContext, world: World, harness: Harness
) -> None:
    await harness.send(CADRE_A1_TG, "/help")
    async with app.sessions() as session:  # what the reminder sender does on a 403
        await session.exec(  # type: ignore[call-overload]
            update(Member).where(Member.telegram_id == CADRE_A1_TG).values(active=False)
        )
        await session.commit()
    await harness.send(CADRE_A1_TG, "/help")
    assert (await _member(app, CADRE_A1_TG)).active


async def test_a_language_change_shows_in_the_next_answer(
    app: AppContext, world: World, harness: Harness
) -> None:
    await harness.send(CADRE_A1_TG, "/help")
    async with app.sessions() as session:
        member = await session.get(Member, world.cadre_a1.id)
        assert member is not None
        member.locale = "en"
        session.add(member)
        await session.commit()
    requests = await harness.send(CADRE_A1_TG, "/help")
    assert "I help you keep" in joined(requests)


async def test_a_handler_changing_a_cached_member_stores_the_change(
    app: AppContext, world: World, harness: Harness
) -> None:
    await harness.send(CADRE_A1_TG, "/help")  # now cached
    await harness.press(CADRE_A1_TG, SettingsCb(action=SettingsAction.REMINDERS, value="off"))
    assert not (await _member(app, CADRE_A1_TG)).reminders_enabled
    await harness.press(CADRE_A1_TG, SettingsCb(action=SettingsAction.REMINDERS, value="on"))
    assert (await _member(app, CADRE_A1_TG)).reminders_enabled


async def _through_middleware(app: AppContext, handler: Any) -> None:
    middleware = RequestContextMiddleware(app.sessions, app.i18n)
    user = User(id=CADRE_A1_TG, is_bot=False, first_name="团干部")
    await middleware(handler, Message.model_construct(), {"event_from_user": user})


async def test_a_change_to_the_member_saved_through_a_session_is_not_reported(
    app: AppContext, world: World, caplog: pytest.LogCaptureFixture
) -> None:
    async def handler(_event: object, data: dict[str, Any]) -> None:
        data["member"].locale = "en"
        data["session"].add(data["member"])
        await data["session"].commit()

    await _through_middleware(app, handler)
    assert (await _member(app, CADRE_A1_TG)).locale == "en"
    assert "not saved" not in caplog.text


async def test_a_change_to_the_member_never_added_to_a_session_is_reported(
    app: AppContext, world: World, caplog: pytest.LogCaptureFixture
) -> None:
    async def handler(_event: object, data: dict[str, Any]) -> None:
        data["member"].locale = "en"

    await _through_middleware(app, handler)
    assert "not saved" in caplog.text
