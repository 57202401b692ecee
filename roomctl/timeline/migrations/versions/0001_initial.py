"""The first timeline schema: sessions, append-only events, samples and wave chunks.

Written out by hand rather than derived from the store's tables, so this file keeps describing
revision 0001 however the code changes later.

Revision ID: 0001
Revises:
Create Date: 2024-11-25
"""

from __future__ import annotations

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op
from sqlalchemy.dialects import postgresql

revision: str = "0001"
down_revision: str | None = None
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

APPEND_ONLY_MESSAGE = "timeline events are append-only"


def _json() -> sa.types.TypeEngine[object]:
    return sa.JSON().with_variant(postgresql.JSONB(), "postgresql")


def _row_id() -> sa.Column[int]:
    # BIGSERIAL on PostgreSQL; INTEGER PRIMARY KEY (the rowid itself, no extra index) on SQLite.
    return sa.Column(
        "id",
        sa.BigInteger().with_variant(sa.Integer(), "sqlite"),
        primary_key=True,
        autoincrement=True,
    )


def upgrade() -> None:
    """Create the tables, their indexes and the triggers that keep events append-only."""
    op.create_table(
        "sessions",
        sa.Column("id", sa.Text(), primary_key=True),
        sa.Column("room", sa.Text(), nullable=False),
        sa.Column("patient", sa.Text(), nullable=False),
        sa.Column("course", sa.Integer(), nullable=False),
        sa.Column("planned_minutes", sa.Integer(), nullable=False),
        sa.Column("speed", sa.Float(), nullable=False),
        sa.Column("mode", sa.Text(), nullable=False),
        sa.Column("phase", sa.Text(), nullable=False),
        sa.Column("started_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("ended_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("last_t", sa.Float(), nullable=False),
        sa.Column("last_wall", sa.DateTime(timezone=True), nullable=False),
        sa.Column("owner_host", sa.Text(), nullable=True),
        sa.Column("owner_pid", sa.Integer(), nullable=True),
        sa.Column("heartbeat_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("meta", _json(), nullable=False),
        sa.CheckConstraint("mode IN ('demo', 'clinical')", name="ck_sessions_mode"),
    )
    op.create_index("ix_sessions_started_at", "sessions", ["started_at"])
    op.create_index("ix_sessions_room_started_at", "sessions", ["room", "started_at"])
    op.create_index("ix_sessions_patient", "sessions", ["patient"])

    op.create_table(
        "events",
        sa.Column("session_id", sa.Text(), sa.ForeignKey("sessions.id"), nullable=False),
        sa.Column("seq", sa.Integer(), nullable=False),
        sa.Column("t", sa.Float(), nullable=False),
        sa.Column("wall", sa.DateTime(timezone=True), nullable=False),
        sa.Column("source", sa.Text(), nullable=False),
        sa.Column("kind", sa.Text(), nullable=False),
        sa.Column("data", _json(), nullable=False),
        sa.Column("hash", sa.String(64), nullable=False),
        sa.PrimaryKeyConstraint("session_id", "seq", name="pk_events"),
    )

    op.create_table(
        "samples",
        _row_id(),
        sa.Column("session_id", sa.Text(), sa.ForeignKey("sessions.id"), nullable=False),
        sa.Column("channel", sa.Text(), nullable=False),
        sa.Column("t", sa.Float(), nullable=False),
        sa.Column("value", sa.Float(), nullable=True),  # NULL stands for NaN (no reading)
    )
    op.create_index("ix_samples_session_channel_t", "samples", ["session_id", "channel", "t"])

    op.create_table(
        "waves",
        _row_id(),
        sa.Column("session_id", sa.Text(), sa.ForeignKey("sessions.id"), nullable=False),
        sa.Column("channel", sa.Text(), nullable=False),
        sa.Column("t0", sa.Float(), nullable=False),
        sa.Column("rate_hz", sa.Float(), nullable=False),
        sa.Column("n", sa.Integer(), nullable=False),
        sa.Column("data", sa.LargeBinary(), nullable=False),  # n little-endian float32
    )
    op.create_index("ix_waves_session_channel_t0", "waves", ["session_id", "channel", "t0"])

    _create_append_only_triggers()


def _create_append_only_triggers() -> None:
    """Make the database itself refuse to change or remove an event, whoever connects.

    The audit chain detects tampering after the fact; the triggers stop the honest mistake (a
    stray UPDATE in a console) before it happens. Dropping them takes a deliberate DDL statement.
    """
    if op.get_bind().dialect.name == "postgresql":
        op.execute(
            f"""
            CREATE FUNCTION events_append_only() RETURNS trigger
            LANGUAGE plpgsql AS $$
            BEGIN
                RAISE EXCEPTION '{APPEND_ONLY_MESSAGE} (% refused)', TG_OP
                    USING ERRCODE = 'restrict_violation';
            END
            $$
            """
        )
        for name, when in (
            ("events_no_update", "BEFORE UPDATE ON events FOR EACH ROW"),
            ("events_no_delete", "BEFORE DELETE ON events FOR EACH ROW"),
            ("events_no_truncate", "BEFORE TRUNCATE ON events FOR EACH STATEMENT"),
        ):
            op.execute(f"CREATE TRIGGER {name} {when} EXECUTE FUNCTION events_append_only()")
    else:
        for name, action in (("events_no_update", "UPDATE"), ("events_no_delete", "DELETE")):
            op.execute(
                f"CREATE TRIGGER {name} BEFORE {action} ON events "
                f"BEGIN SELECT RAISE(ABORT, '{APPEND_ONLY_MESSAGE} ({action} refused)'); END"
            )


def downgrade() -> None:
    """Drop everything revision 0001 created (only for development databases)."""
    if op.get_bind().dialect.name == "postgresql":
        for name in ("events_no_update", "events_no_delete", "events_no_truncate"):
            op.execute(f"DROP TRIGGER IF EXISTS {name} ON events")
        op.execute("DROP FUNCTION IF EXISTS events_append_only()")
    else:
        for name in ("events_no_update", "events_no_delete"):
            op.execute(f"DROP TRIGGER IF EXISTS {name}")
    op.drop_table("waves")
    op.drop_table("samples")
    op.drop_table("events")
    op.drop_table("sessions")
