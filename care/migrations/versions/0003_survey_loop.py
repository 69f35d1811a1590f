"""The survey loop closed: answers, opt-outs, and sends that were under way.

Revision ID: 0003
Revises: 0002
Create Date: 2026-11-23

- `survey_answers`: one answer per ticket (the first click wins), the optional
  comment, and whether each has been written back to the ticket yet.
- `survey_opt_outs`: addresses that unsubscribed, compared in lower case.
- `survey_outbox.send_started_at`: set and committed just before a message goes
  to the transport, so a dispatcher killed mid-send leaves a visible trace instead
  of a claim that would be sent again.
"""

from __future__ import annotations

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0003"
down_revision: str | Sequence[str] | None = "0002"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def _time() -> sa.DateTime:
    return sa.DateTime(timezone=True)


def upgrade() -> None:
    with op.batch_alter_table("survey_outbox") as table:
        table.add_column(sa.Column("send_started_at", _time(), nullable=True))

    op.create_table(
        "survey_answers",
        sa.Column("helpdesk", sa.String(), nullable=False),
        sa.Column("ticket_id", sa.String(), nullable=False),
        sa.Column("requester_email", sa.String(), nullable=False),
        sa.Column("answer", sa.String(), nullable=False),
        sa.Column("answered_at", _time(), nullable=False),
        sa.Column("answer_written_at", _time(), nullable=True),
        sa.Column("comment", sa.Text(), nullable=True),
        sa.Column("commented_at", _time(), nullable=True),
        sa.Column("comment_written_at", _time(), nullable=True),
        sa.Column("write_attempts", sa.Integer(), server_default=sa.text("0"), nullable=False),
        sa.Column("last_error", sa.Text(), nullable=True),
        sa.PrimaryKeyConstraint("helpdesk", "ticket_id", name="pk_survey_answers"),
        sa.CheckConstraint("answer IN ('solved', 'unsolved')", name="ck_survey_answers_answer"),
    )

    op.create_table(
        "survey_opt_outs",
        sa.Column("email", sa.String(), nullable=False),  # lower case
        sa.Column("opted_out_at", _time(), nullable=False),
        sa.Column("helpdesk", sa.String(), nullable=True),  # the survey it came from
        sa.Column("ticket_id", sa.String(), nullable=True),
        sa.PrimaryKeyConstraint("email", name="pk_survey_opt_outs"),
    )


def downgrade() -> None:
    op.drop_table("survey_opt_outs")
    op.drop_table("survey_answers")
    with op.batch_alter_table("survey_outbox") as table:
        table.drop_column("send_started_at")
