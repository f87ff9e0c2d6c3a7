"""The live knowledge base and its index: built in the background, swapped on reload.

Building takes about half a second (jieba's dictionary), so it runs in a worker thread
started when the bot starts; the first question waits for it if it is not ready yet.
"""

from __future__ import annotations

import asyncio
import logging
from pathlib import Path

from bot.knowledge.loader import load_knowledge_base
from bot.knowledge.search import SearchIndex

log = logging.getLogger(__name__)
EXTRAS_KEY = "knowledge"


def build_index(path: str | Path | None) -> SearchIndex:
    """Load, validate and index the file (blocking; raises KnowledgeBaseError)."""
    return SearchIndex(load_knowledge_base(path))


class KnowledgeStore:
    def __init__(self, path: str | Path | None) -> None:
        self.path = path
        self._index: SearchIndex | None = None
        self._building: asyncio.Task[SearchIndex] | None = None

    def start(self) -> None:
        """Start building in the background (no-op once started)."""
        if self._index is None and self._building is None:
            self._building = asyncio.create_task(asyncio.to_thread(build_index, self.path))

    async def index(self) -> SearchIndex:
        """The index, waiting for the build if needed (raises KnowledgeBaseError)."""
        if self._index is not None:
            return self._index
        self.start()
        assert self._building is not None
        try:
            self._index = await self._building
        except Exception:
            self._building = None  # let the next question try again
            raise
        return self._index

    async def reload(self) -> SearchIndex:
        """Re-read the file; on a validation error the current index stays in use."""
        index = await asyncio.to_thread(build_index, self.path)
        self._index = index
        log.info(
            "knowledge base reloaded from %s: %d entries", index.kb.source, len(index.kb.entries)
        )
        return index


def knowledge_store(extras: dict, path: str | Path | None) -> KnowledgeStore:
    """The application's store (one per AppContext, kept in `extras`)."""
    store = extras.get(EXTRAS_KEY)
    if store is None:
        store = extras[EXTRAS_KEY] = KnowledgeStore(path)
    return store
