"""The agenda (issue 13): shared calendars and each user's private ICS feed.

Personal calendars are implicit (a user's own activities; a team's calendar is its members'
activities); only the *shared* ones are rows here ("Sala de reuniones", "Furgoneta"), which an
admin creates, renames and archives. An activity on a shared calendar names it
(``activity.calendar_id``).

A user's ICS feed URL carries a token only the holder knows: the user's id and an HMAC of it
and a random ``token_seed`` under the app's secret key. The table keeps the seed and the token's
SHA-256 (``token_hash``), never the token, so the URL can be shown again; regenerating draws
a new seed and the old URL stops working. No row: the seed is ``""`` (never regenerated).
"""

from __future__ import annotations

from datetime import datetime
from enum import StrEnum

from sqlmodel import Field, SQLModel

from crm_app.models.base import Timestamp


class CalendarKind(StrEnum):
    SHARED = "shared"


class Calendar(SQLModel, table=True):
    id: int | None = Field(default=None, primary_key=True)
    name: str = Field(max_length=80, unique=True)
    colour: str = Field(default="#3e63dd", max_length=7)  # "#rrggbb"
    kind: str = Field(default=CalendarKind.SHARED, max_length=10)
    active: bool = True
    created_at: datetime = Timestamp(nullable=False)


class CalendarFeed(SQLModel, table=True):
    """One user's private ICS feed (at most one live URL per user)."""

    __tablename__ = "calendar_feed"
    user_id: int = Field(foreign_key="user.id", primary_key=True)
    # named like a token so the data export leaves it out (``export_all.SECRET_NAME``): with
    # the server's secret key it makes the URL
    token_seed: str = Field(max_length=64)
    token_hash: str = Field(max_length=64, unique=True)
    created_at: datetime = Timestamp(nullable=False)
