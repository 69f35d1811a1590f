"""The survey part of the `Store`: the outbox of e-mails, the answers and the opt-outs."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime, timedelta

from care.domain.actions import Action
from care.store import actions, answers, surveys
from care.store.answers import AnswerRecord
from care.store.base import StoreBase
from care.store.surveys import SurveyRecord, SurveyRequest


class SurveyMethods(StoreBase):
    # -- surveys ----------------------------------------------------------

    def schedule_survey(self, item: SurveyRequest, now: datetime) -> bool:
        """Insert the survey if absent, or reschedule it if `reopened` and solved again
        since. Rows sent, skipped, claimed or failed are never touched.
        Returns True if it inserted or rescheduled."""
        return self.schedule_surveys([item], now) == 1

    def schedule_surveys(self, items: Sequence[SurveyRequest], now: datetime) -> int:
        """`schedule_survey` in bulk; returns how many were inserted or rescheduled."""
        with self._write() as conn:
            return surveys.schedule(conn, items, now)

    def claim_due_surveys(
        self,
        now: datetime,
        token: str,
        limit: int = 100,
        stale_after: timedelta = surveys.STALE_CLAIM,
    ) -> list[SurveyRecord]:
        """Claim surveys due by `now` (and stale claims), earliest due first.

        Concurrent claimers never receive the same survey.
        """
        with self._write() as conn:
            return surveys.claim_due(conn, now, token, limit, stale_after)

    def due_surveys(self, now: datetime, limit: int = 100) -> list[SurveyRecord]:
        """Surveys due by `now`, without claiming them (dry runs)."""
        with self._read() as conn:
            return surveys.due(conn, now, limit)

    # Each transition below applies only while the survey is still claimed under
    # `token`, and returns False otherwise (another dispatcher took the claim over,
    # or the survey is settled): a late dispatcher never overwrites the new owner.
    # The transitions are listed in care/store/surveys.py.

    def reschedule_survey(self, id: int, due_at: datetime, now: datetime, *, token: str) -> bool:
        """A claimed survey turned out not to be due yet: schedule it for `due_at`."""
        with self._write() as conn:
            return surveys.reschedule(conn, id, token, due_at, now)

    def start_survey_send(self, id: int, now: datetime, message_id: str, *, token: str) -> bool:
        """Commit that the transport is about to be called for this survey.

        False: the claim was taken over; do not send.
        """
        with self._write() as conn:
            return surveys.start_send(conn, id, token, now, message_id)

    def mark_survey_sent(
        self,
        id: int,
        now: datetime,
        message_id: str,
        *,
        token: str,
        sent_at: datetime | None = None,
    ) -> bool:
        with self._write() as conn:
            return surveys.mark_sent(conn, id, token, now, message_id, sent_at)

    def mark_survey_skipped(self, id: int, reason: str, now: datetime, *, token: str) -> bool:
        with self._write() as conn:
            return surveys.mark_skipped(conn, id, token, reason, now)

    def mark_survey_reopened(self, id: int, now: datetime, *, token: str) -> bool:
        """The ticket is no longer solved: wait until it is solved again."""
        with self._write() as conn:
            return surveys.mark_reopened(conn, id, token, now)

    def mark_survey_failed(
        self, id: int, error: str, now: datetime, retry_at: datetime | None, *, token: str
    ) -> bool:
        """Not delivered: retry at `retry_at` (attempts + 1), or give up when it is None."""
        with self._write() as conn:
            return surveys.mark_failed(conn, id, token, error, now, retry_at)

    def mark_survey_interrupted(self, id: int, error: str, now: datetime, *, token: str) -> bool:
        """A send that may have been delivered: `failed` for good, never sent again."""
        with self._write() as conn:
            return surveys.mark_interrupted(conn, id, token, error, now)

    def last_survey_sent_to(self, email: str, since: datetime) -> datetime | None:
        """When a survey last went to this address (any case), if at or after `since`."""
        with self._read() as conn:
            return surveys.last_sent_to(conn, email, since)

    def survey_counts(self) -> dict[str, int]:
        """state -> count, every state present."""
        with self._read() as conn:
            return surveys.counts(conn)

    def survey(self, helpdesk: str, ticket_id: str) -> SurveyRecord | None:
        """The ticket's survey as it stands, in any state; None if it has none."""
        with self._read() as conn:
            return surveys.get(conn, helpdesk, ticket_id)

    def survey_by_id(self, id: int) -> SurveyRecord | None:
        """The survey with this outbox id, in any state; None if there is none."""
        with self._read() as conn:
            return surveys.get_by_id(conn, id)

    # -- survey answers and opt-outs ------------------------------------------

    def record_survey_answer(
        self, helpdesk: str, ticket_id: str, email: str, answer: str, now: datetime
    ) -> tuple[AnswerRecord, bool]:
        """Store the first answer to a ticket's survey; a later one changes nothing.

        Returns the stored answer (this one, or the one recorded before) and whether
        this call stored it.
        """
        with self._write() as conn:
            return answers.record_answer(conn, helpdesk, ticket_id, email, answer, now)

    def record_survey_comment(
        self, helpdesk: str, ticket_id: str, comment: str, now: datetime
    ) -> tuple[AnswerRecord | None, bool]:
        """Store the first comment on an answer; a later one changes nothing.

        Returns the answer (None if the ticket has none) and whether this call stored it.
        """
        with self._write() as conn:
            return answers.record_comment(conn, helpdesk, ticket_id, comment, now)

    def survey_answer(self, helpdesk: str, ticket_id: str) -> AnswerRecord | None:
        with self._read() as conn:
            return answers.get(conn, helpdesk, ticket_id)

    def survey_write_started(self, helpdesk: str, ticket_id: str) -> None:
        """Count a write-back attempt, committed before it is made."""
        with self._write() as conn:
            answers.write_started(conn, helpdesk, ticket_id)

    def mark_survey_answer_written(
        self, helpdesk: str, ticket_id: str, now: datetime, action: Action | None = None
    ) -> None:
        """The answer is on the ticket; `action` (nothing left to write) goes to the action
        log in the same transaction, once by its key."""
        with self._write() as conn:
            answers.mark_answer_written(conn, helpdesk, ticket_id, now)
            if action is not None:
                actions.record(conn, [(action, None)], now)

    def mark_survey_comment_written(self, helpdesk: str, ticket_id: str, now: datetime) -> None:
        with self._write() as conn:
            answers.mark_comment_written(conn, helpdesk, ticket_id, now)

    def mark_survey_write_failed(self, helpdesk: str, ticket_id: str, error: str) -> None:
        """Keep the write-back pending, with why it failed."""
        with self._write() as conn:
            answers.mark_write_failed(conn, helpdesk, ticket_id, error)

    def give_up_survey_write(
        self, helpdesk: str, ticket_id: str, reason: str, max_attempts: int
    ) -> None:
        """The answer stays recorded here; its write-back is not tried again."""
        with self._write() as conn:
            answers.give_up_write(conn, helpdesk, ticket_id, reason, max_attempts)

    def pending_survey_write_backs(
        self, answered_before: datetime, limit: int = 100, max_attempts: int | None = None
    ) -> list[AnswerRecord]:
        """Answers (or comments) made before `answered_before` and not on the ticket yet,
        oldest first; with `max_attempts`, only those tried fewer times."""
        with self._read() as conn:
            return answers.pending(conn, answered_before, limit, max_attempts)

    def record_opt_out(
        self,
        email: str,
        now: datetime,
        helpdesk: str | None = None,
        ticket_id: str | None = None,
    ) -> bool:
        """No more surveys to this address (any case). True if it was not opted out yet."""
        with self._write() as conn:
            return answers.record_opt_out(conn, email, helpdesk, ticket_id, now)

    def opted_out(self, email: str | None) -> bool:
        """Whether this address (any case) unsubscribed from surveys; False for none."""
        if not email or not email.strip():
            return False
        with self._read() as conn:
            return answers.is_opted_out(conn, email)
