"""Alembic: the migrations build the schema the models describe, and run both ways."""

from __future__ import annotations

import asyncio

import pytest
from alembic.autogenerate import compare_metadata
from alembic.migration import MigrationContext
from sqlalchemy import inspect
from sqlmodel import SQLModel

from storage import migrate
from storage.db import create_engine
from tests.support.db import postgres_schema, require_postgres


async def _table_names(url: str) -> set[str]:
    engine = create_engine(url)
    async with engine.connect() as connection:
        names = await connection.run_sync(lambda sync: set(inspect(sync).get_table_names()))
    await engine.dispose()
    return names - {"alembic_version"}


async def _schema_drift(url: str) -> list[object]:
    engine = create_engine(url)
    async with engine.connect() as connection:
        diff = await connection.run_sync(
            lambda sync: compare_metadata(MigrationContext.configure(sync), SQLModel.metadata)
        )
    await engine.dispose()
    return diff


async def _round_trip(url: str) -> None:
    await asyncio.to_thread(migrate.upgrade, url)
    assert await _table_names(url) == set(SQLModel.metadata.tables)
    await asyncio.to_thread(migrate.downgrade, url)
    assert await _table_names(url) == set()
    await asyncio.to_thread(migrate.upgrade, url)
    assert await _schema_drift(url) == []


async def test_migrations_upgrade_downgrade_upgrade_on_sqlite(sqlite_url: str) -> None:
    await _round_trip(sqlite_url)


@pytest.mark.postgres
async def test_migrations_upgrade_downgrade_upgrade_on_postgresql() -> None:
    await require_postgres()
    async with postgres_schema() as url:
        await _round_trip(url)
