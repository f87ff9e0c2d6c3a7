"""Field types of callback data that the handlers look up in the database."""

from __future__ import annotations

from typing import Annotated

from pydantic import Field

# Primary keys are INTEGER columns (32-bit on PostgreSQL). A forged id outside that range
# fails to unpack, so the prefix's fallback answers "no longer valid" instead of the
# database raising an overflow.
MAX_ROW_ID = 2**31 - 1

RowId = Annotated[int, Field(ge=0, le=MAX_ROW_ID)]
# A page number that becomes an SQL OFFSET (page × page size must fit a 64-bit integer).
PageNo = Annotated[int, Field(ge=0, le=MAX_ROW_ID)]
