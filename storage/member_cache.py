"""A per-process cache of Member rows keyed by Telegram id, for the per-update middleware.

Every update needs its sender's Member, and reading it through the async database layer
costs more than the rest of a cheap update. Snapshots of the row's columns are kept for
`ttl` seconds, and forgotten as soon as this process changes a Member through a session of
the factory that owns the cache (`session.info[CACHE_KEY]`):

- ORM flushes of new, changed or deleted members (by old and new Telegram id);
- bulk `update(Member)` / `delete(Member)` statements run with `session.exec`/`execute`
  (the whole cache: the rows are not known).

Both forget again after the commit, so a read that raced the write cannot keep the old row.
Writes this process cannot see (another bot process or the CLI on the same PostgreSQL
database, raw SQL text, `connection.execute`) show after at most `ttl` seconds.
Only members are cached, never "not registered": a new member is seen at once everywhere.
Entries expire when next asked for, so the cache holds at most one row per member.
"""

from __future__ import annotations

import time
from collections.abc import Callable, Iterable, Mapping
from itertools import chain
from typing import Any

from sqlalchemy import bindparam, event, inspect, select
from sqlalchemy.orm import ORMExecuteState, Session, SessionTransaction, make_transient_to_detached

from storage.models import Member

CACHE_KEY = "member_cache"
_PENDING_KEY = "member_cache_pending"  # Telegram ids changed in the open transaction
_CLEAR_ALL = 0  # in the pending set: a bulk statement changed unknown members

_MAPPER = inspect(Member)
_COLUMNS = tuple(attr.key for attr in _MAPPER.column_attrs)
_TABLE = Member.__table__  # type: ignore[attr-defined]
MEMBER_BY_TELEGRAM_ID = select(*_TABLE.columns).where(
    _TABLE.c.telegram_id == bindparam("telegram_id", type_=_TABLE.c.telegram_id.type)
)


def detached_member(values: Mapping[str, Any]) -> Member:
    """A Member as the ORM builds a loaded row (no validation), detached with its identity:
    `session.add` makes it persistent with no query, and its changes are flushed as usual."""
    member: Member = _MAPPER.class_manager.new_instance()
    member.__dict__.update({key: values[key] for key in _COLUMNS})
    make_transient_to_detached(member)
    return member


class MemberCache:
    """Member snapshots by Telegram id; `get` hands out a fresh detached instance."""

    def __init__(self, ttl: float, clock: Callable[[], float] = time.monotonic) -> None:
        self._ttl = ttl
        self._clock = clock
        self._rows: dict[int, tuple[float, dict[str, Any]]] = {}
        self._epoch = 0

    @property
    def epoch(self) -> int:
        """Changes with every invalidation: take it before reading the row, give it to put."""
        return self._epoch

    def get(self, telegram_id: int) -> Member | None:
        entry = self._rows.get(telegram_id)
        if entry is None:
            return None
        expires, values = entry
        if expires <= self._clock():
            del self._rows[telegram_id]
            return None
        return detached_member(values)

    def put(self, member: Member, epoch: int) -> None:
        """Keeps the member unless something was invalidated since `epoch` was read."""
        if epoch != self._epoch or self._ttl <= 0:
            return
        values = {key: member.__dict__[key] for key in _COLUMNS}
        self._rows[member.telegram_id] = (self._clock() + self._ttl, values)

    def forget(self, telegram_ids: Iterable[int]) -> None:
        self._epoch += 1
        for telegram_id in telegram_ids:
            self._rows.pop(telegram_id, None)

    def clear(self) -> None:
        self._epoch += 1
        self._rows.clear()

    def __len__(self) -> int:
        return len(self._rows)


def cache_of(session: Session) -> MemberCache | None:
    """The cache of the session's factory, if it has one."""
    return session.info.get(CACHE_KEY)


def _forget(cache: MemberCache, telegram_ids: set[int]) -> None:
    if _CLEAR_ALL in telegram_ids:
        cache.clear()
    else:
        cache.forget(telegram_ids)


def _invalidate(session: Session, telegram_ids: set[int]) -> None:
    """Forget now, and again after the commit (see `_committed`)."""
    cache = cache_of(session)
    if cache is None or not telegram_ids:
        return
    _forget(cache, telegram_ids)
    session.info.setdefault(_PENDING_KEY, set()).update(telegram_ids)


@event.listens_for(Session, "after_flush")
def _members_flushed(session: Session, _context: Any) -> None:
    changed: set[int] = set()
    for obj in chain(session.new, session.dirty, session.deleted):
        if isinstance(obj, Member):
            # Old and new value: removing a member rewrites their Telegram id.
            added, unchanged, deleted = inspect(obj).attrs.telegram_id.history
            changed.update(v for v in chain(added or (), unchanged or (), deleted or ()) if v)
    _invalidate(session, changed)


@event.listens_for(Session, "do_orm_execute")
def _bulk_statement(state: ORMExecuteState) -> None:
    if state.is_select:
        return
    table = getattr(state.statement, "table", None)
    if getattr(table, "name", None) == Member.__tablename__:
        _invalidate(state.session, {_CLEAR_ALL})


@event.listens_for(Session, "after_commit")
def _committed(session: Session) -> None:
    # A read that started before the commit may have stored the old row since the flush.
    pending = session.info.pop(_PENDING_KEY, None)
    cache = cache_of(session)
    if pending and cache is not None:
        _forget(cache, pending)


@event.listens_for(Session, "after_transaction_end")
def _ended(session: Session, transaction: SessionTransaction) -> None:
    if transaction.parent is None:
        session.info.pop(_PENDING_KEY, None)
