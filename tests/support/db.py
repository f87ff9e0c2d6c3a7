"""Test databases: a fresh SQLite file, or a fresh PostgreSQL schema, per test."""

from __future__ import annotations

import asyncio
import os
import uuid
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager

import pytest
from sqlalchemy import text
from sqlalchemy.ext.asyncio import AsyncEngine
from sqlmodel import SQLModel

import storage.models  # noqa: F401
from storage.db import create_engine

PG_ADMIN_URL = os.environ.get(
    "BRANCHBOT_TEST_PG_URL", "postgresql+asyncpg://postgres@127.0.0.1:5432/test"
)
# CI sets this so that an absent server fails the run instead of skipping quietly.
PG_REQUIRED = os.environ.get("BRANCHBOT_REQUIRE_PG") == "1"


async def _pg_answers() -> bool:
    engine = create_engine(PG_ADMIN_URL)
    try:
        async with asyncio.timeout(3), engine.connect() as connection:
            await connection.execute(text("select 1"))
        return True
    except Exception:
        return False
    finally:
        await engine.dispose()


async def require_postgres() -> None:
    if await _pg_answers():
        return
    if PG_REQUIRED:
        pytest.fail(f"PostgreSQL required (BRANCHBOT_REQUIRE_PG=1) but {PG_ADMIN_URL} is down")
    pytest.skip(f"PostgreSQL not reachable at {PG_ADMIN_URL}")


@asynccontextmanager
async def postgres_schema() -> AsyncIterator[str]:
    """A throw-away schema; yields a URL whose connections use it as search_path."""
    schema = f"t_{uuid.uuid4().hex[:12]}"
    admin = create_engine(PG_ADMIN_URL)
    async with admin.begin() as connection:
        await connection.execute(text(f'CREATE SCHEMA "{schema}"'))
    try:
        yield f"{PG_ADMIN_URL}?search_path={schema}"
    finally:
        async with admin.begin() as connection:
            await connection.execute(text(f'DROP SCHEMA "{schema}" CASCADE'))
        await admin.dispose()


async def create_schema(engine: AsyncEngine) -> None:
    async with engine.begin() as connection:
        await connection.run_sync(SQLModel.metadata.create_all)
