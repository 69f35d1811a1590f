"""Survey answers and opt-outs: what requesters told us through the survey links.

One answer per ticket, and the first one sent wins: a second (through the same link or
the other answer's) returns the answer already stored and changes nothing. A comment
may follow once. `answer_written_at` / `comment_written_at` say whether the tag and
notes are on the ticket yet; until then the row is a pending write-back.

Opt-outs are keyed by the lower-cased address, so `Ada@Example.com` and
`ada@example.com` are one requester.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import Any

from sqlalchemy import or_, select, update
from sqlalchemy.engine import Connection, Row

from care.store.schema import SurveyAnswer, SurveyOptOut
from care.store.sql import table_of, upsert

answers = table_of(SurveyAnswer)
opt_outs = table_of(SurveyOptOut)


@dataclass(frozen=True, slots=True)
class AnswerRecord:
    helpdesk: str
    ticket_id: str
    requester_email: str
    answer: str  # "solved" or "unsolved"
    answered_at: datetime
    answer_written_at: datetime | None
    comment: str | None
    commented_at: datetime | None
    comment_written_at: datetime | None
    write_attempts: int
    last_error: str | None

    @property
    def ticket_key(self) -> str:
        return f"{self.helpdesk}:{self.ticket_id}"

    @property
    def answer_pending(self) -> bool:
        """The tag and note of the answer are not on the ticket yet."""
        return self.answer_written_at is None

    @property
    def comment_pending(self) -> bool:
        """A comment was left and is not on the ticket yet."""
        return self.comment is not None and self.comment_written_at is None


def record_answer(
    conn: Connection, helpdesk: str, ticket_id: str, email: str, answer: str, now: datetime
) -> tuple[AnswerRecord, bool]:
    """(the stored answer, whether this call stored it): the first answer wins."""
    stmt = (
        upsert(conn, answers)
        .values(
            helpdesk=helpdesk,
            ticket_id=ticket_id,
            requester_email=email,
            answer=answer,
            answered_at=now,
            write_attempts=0,
        )
        .on_conflict_do_nothing(index_elements=[answers.c.helpdesk, answers.c.ticket_id])
        .returning(answers.c.helpdesk)  # a row only when inserted
    )
    inserted = conn.execute(stmt).first() is not None
    stored = get(conn, helpdesk, ticket_id)
    assert stored is not None  # inserted now, or there before
    return stored, inserted


def record_comment(
    conn: Connection, helpdesk: str, ticket_id: str, comment: str, now: datetime
) -> tuple[AnswerRecord | None, bool]:
    """(the stored answer, whether this call stored the comment): the first comment wins.

    None when the ticket has no answer to comment on.
    """
    stmt = (
        update(answers)
        .where(_key(helpdesk, ticket_id), answers.c.comment.is_(None))
        .values(comment=comment, commented_at=now)
    )
    stored_now = conn.execute(stmt).rowcount == 1
    return get(conn, helpdesk, ticket_id), stored_now


def get(conn: Connection, helpdesk: str, ticket_id: str) -> AnswerRecord | None:
    row = conn.execute(select(answers).where(_key(helpdesk, ticket_id))).first()
    return None if row is None else _record(row)


def write_started(conn: Connection, helpdesk: str, ticket_id: str) -> None:
    """Count an attempt before it is made: a crash mid-write leaves a trace to check."""
    _update(conn, helpdesk, ticket_id, write_attempts=answers.c.write_attempts + 1)


def mark_answer_written(conn: Connection, helpdesk: str, ticket_id: str, now: datetime) -> None:
    conn.execute(
        update(answers)
        .where(_key(helpdesk, ticket_id), answers.c.answer_written_at.is_(None))
        .values(answer_written_at=now, last_error=None)
    )


def mark_comment_written(conn: Connection, helpdesk: str, ticket_id: str, now: datetime) -> None:
    conn.execute(
        update(answers)
        .where(
            _key(helpdesk, ticket_id),
            answers.c.comment.is_not(None),
            answers.c.comment_written_at.is_(None),
        )
        .values(comment_written_at=now, last_error=None)
    )


def mark_write_failed(conn: Connection, helpdesk: str, ticket_id: str, error: str) -> None:
    _update(conn, helpdesk, ticket_id, last_error=error)


def give_up_write(
    conn: Connection, helpdesk: str, ticket_id: str, reason: str, max_attempts: int
) -> None:
    """Stop retrying a write-back that cannot succeed; `reason` stays as its last error."""
    _update(conn, helpdesk, ticket_id, last_error=reason, write_attempts=max_attempts)


def pending(
    conn: Connection, answered_before: datetime, limit: int, max_attempts: int | None
) -> list[AnswerRecord]:
    """Answers whose answer or comment is not written back yet, oldest first.

    Only those answered (or commented) before `answered_before`: a write-back the web
    endpoint has just started is left to it.
    """
    a = answers.c
    waiting = or_(
        a.answer_written_at.is_(None) & (a.answered_at < answered_before),
        a.comment.is_not(None)
        & a.comment_written_at.is_(None)
        & (a.commented_at < answered_before),
    )
    query = select(answers).where(waiting).order_by(a.answered_at, a.helpdesk, a.ticket_id)
    if max_attempts is not None:
        query = query.where(a.write_attempts < max_attempts)
    return [_record(row) for row in conn.execute(query.limit(limit))]


def record_opt_out(
    conn: Connection, email: str, helpdesk: str | None, ticket_id: str | None, now: datetime
) -> bool:
    """Store the address as opted out; True if it was not already."""
    stmt = (
        upsert(conn, opt_outs)
        .values(email=normalised(email), opted_out_at=now, helpdesk=helpdesk, ticket_id=ticket_id)
        .on_conflict_do_nothing(index_elements=[opt_outs.c.email])
        .returning(opt_outs.c.email)  # a row only when inserted
    )
    return conn.execute(stmt).first() is not None


def is_opted_out(conn: Connection, email: str) -> bool:
    query = select(opt_outs.c.email).where(opt_outs.c.email == normalised(email))
    return conn.execute(query).first() is not None


def normalised(email: str) -> str:
    return email.strip().lower()


def _key(helpdesk: str, ticket_id: str) -> Any:
    return (answers.c.helpdesk == helpdesk) & (answers.c.ticket_id == ticket_id)


def _update(conn: Connection, helpdesk: str, ticket_id: str, **values: Any) -> None:
    conn.execute(update(answers).where(_key(helpdesk, ticket_id)).values(**values))


def _record(row: Row[Any]) -> AnswerRecord:
    return AnswerRecord(**row._mapping)
