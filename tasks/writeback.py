"""Survey answers written back to the ticket: a tag, internal notes, maybe a reopen.

An answer becomes two changes: the tag `care_survey_solved` / `care_survey_unsolved`
(with a reopen for "unsolved" when `survey.reopen_on_unsolved`), and an internal
note saying what the requester answered. A comment becomes one more internal note.

Each note carries the ref of its own action key (`enhance.survey_answer`,
`enhance.survey_comment`) in its footer. Attempts are counted in the store before
they are made, so once a ticket has seen one, every later write sends its notes
with `UNCONFIRMED_JOB`: the connector looks for the ref on the ticket first and
never posts a note twice, even after a crash between the write and its record.
Adding a tag twice changes nothing.
"""

from __future__ import annotations

import logging
from collections.abc import Callable, Collection, Sequence
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from typing import Final, Literal

from care.domain.actions import Action, NoteDraft
from care.domain.notes import NoteRenderer, ref_in
from care.domain.policy import Policy
from care.domain.rules.enhance import SURVEY_ANSWER, SURVEY_COMMENT
from care.domain.survey_links import valid_ticket_id
from care.settings.load import ConfigError, Settings
from care.store import AnswerRecord, Store
from connectors.base import UNCONFIRMED_JOB, Change, Helpdesk
from connectors.errors import HelpdeskError, Transient

log = logging.getLogger("tasks.writeback")

ANSWER_RULE: Final = SURVEY_ANSWER
COMMENT_RULE: Final = SURVEY_COMMENT
ANSWER_LABELS: Final = {"solved": "Yes, solved", "unsolved": "No, not yet"}
PENDING_GRACE: Final = timedelta(minutes=5)  # the web endpoint's own write has this long
MAX_WRITE_ATTEMPTS: Final = 10  # a ticket that refuses updates (closed) is not tried forever

Part = Literal["answer", "comment"]
BOTH: Final[frozenset[Part]] = frozenset({"answer", "comment"})
HelpdeskOpener = Callable[[str], Helpdesk]

# Refs of the changes inside one apply call.
_TAG, _ANSWER_NOTE, _COMMENT_NOTE = 1, 2, 3


@dataclass
class WriteBackResult:
    answers_written: int = 0
    comments_written: int = 0
    failed: dict[str, str] = field(default_factory=dict)  # ticket key -> why
    unreachable: bool = False  # the helpdesk did not answer (worth trying again later)

    def add(self, other: WriteBackResult) -> None:
        self.answers_written += other.answers_written
        self.comments_written += other.comments_written
        self.failed.update(other.failed)
        self.unreachable = self.unreachable or other.unreachable


def answer_tag(policy: Policy, answer: str) -> str:
    """`care_survey_solved` or `care_survey_unsolved`, with the configured prefix and names."""
    return policy.tag(f"survey_{answer}")


def reopens(policy: Policy, answer: str) -> bool:
    return answer == "unsolved" and policy.survey.reopen_on_unsolved


def write_back(
    store: Store,
    helpdesk: Helpdesk,
    record: AnswerRecord,
    policy: Policy,
    notes: NoteRenderer,
    now: datetime,
    parts: Collection[Part] = BOTH,
) -> WriteBackResult:
    """Write the pending `parts` of one answer to its ticket, and record the outcome.

    Raises nothing a helpdesk can cause: a failure is recorded on the answer
    (`last_error`) and it stays pending for `write_back_pending`.
    """
    result = WriteBackResult()
    if not valid_ticket_id(record.helpdesk, record.ticket_id):
        return _not_a_ticket(store, record, result)
    retrying = record.write_attempts > 0
    batches: list[list[Change]] = []
    try:
        if "answer" in parts and record.answer_pending:
            batches.append(_answer_changes(record, policy, notes, retrying))
        if "comment" in parts and record.comment_pending:
            batches.append([_comment_change(record, notes, retrying)])
    except ValueError as exc:  # a note template that does not render
        return _failed(store, record, str(exc), result)
    if not batches:
        return result
    store.survey_write_started(record.helpdesk, record.ticket_id)
    # One after the other, each recorded before the next: the helpdesk runs bulk jobs in
    # any order, and agents read the answer's note before the comment's; and an answer
    # on the ticket is never written again because its comment then failed.
    for batch in batches:
        try:
            report = helpdesk.apply(batch)
        except HelpdeskError as exc:
            result.unreachable = isinstance(exc, Transient)
            return _failed(store, record, str(exc), result)
        applied = set(report.applied)
        if {_TAG, _ANSWER_NOTE} <= applied:
            done = _answer_action(record, policy)
            store.mark_survey_answer_written(record.helpdesk, record.ticket_id, now, done)
            result.answers_written += 1
        if _COMMENT_NOTE in applied:
            store.mark_survey_comment_written(record.helpdesk, record.ticket_id, now)
            result.comments_written += 1
        if report.failed:
            return _failed(store, record, next(iter(report.failed.values())), result)
    return result


def write_back_pending(
    store: Store,
    settings: Settings,
    *,
    open_helpdesk: HelpdeskOpener | None = None,
    now: datetime | None = None,
    grace: timedelta = PENDING_GRACE,
    max_attempts: int = MAX_WRITE_ATTEMPTS,
    limit: int = 500,
) -> WriteBackResult:
    """Retry every answer and comment not yet on its ticket; returns what was written.

    Idempotent: what is written is recorded and never written again, and a note that
    reached the ticket before a crash is found by its ref instead of being posted twice.
    Answers younger than `grace` are left to the web endpoint that is writing them;
    answers tried `max_attempts` times are left alone (see `last_error`). A helpdesk
    that does not answer is skipped for the rest of the run. Run it from one process
    at a time (e.g. one scheduled flow).
    """
    now = now or datetime.now(UTC)
    opener = open_helpdesk or helpdesk_opener(settings, store)
    notes = NoteRenderer(settings.policy.templates_dir, ref_key=store.note_ref_key())
    by_helpdesk: dict[str, list[AnswerRecord]] = {}
    result = WriteBackResult()
    for record in store.pending_survey_write_backs(now - grace, limit, max_attempts):
        if valid_ticket_id(record.helpdesk, record.ticket_id):
            by_helpdesk.setdefault(record.helpdesk, []).append(record)
        else:
            _not_a_ticket(store, record, result, max_attempts)
    for name, records in by_helpdesk.items():
        result.add(
            _write_all(store, opener, name, records, settings.policy, notes, now, max_attempts)
        )
    return result


def _write_all(
    store: Store,
    opener: HelpdeskOpener,
    name: str,
    records: Sequence[AnswerRecord],
    policy: Policy,
    notes: NoteRenderer,
    now: datetime,
    max_attempts: int = MAX_WRITE_ATTEMPTS,
) -> WriteBackResult:
    result = WriteBackResult()
    try:
        helpdesk = opener(name)
    except (ConfigError, HelpdeskError) as exc:
        for record in records:
            _failed(store, record, str(exc), result)
        return result
    try:
        records = _skip_closed(store, helpdesk, name, records, result, max_attempts)
        for record in records:
            outcome = write_back(store, helpdesk, record, policy, notes, now)
            result.add(outcome)
            if outcome.unreachable:
                log.warning("%s does not answer: its other write-backs wait for the next run", name)
                break
    finally:
        helpdesk.close()
    return result


def _skip_closed(
    store: Store,
    helpdesk: Helpdesk,
    name: str,
    records: Sequence[AnswerRecord],
    result: WriteBackResult,
    max_attempts: int,
) -> list[AnswerRecord]:
    """The records whose ticket can still take a write; a read-only ticket (a closed Zendesk
    ticket: Zendesk closes solved tickets after a few days and then refuses every update;
    a closed Freshdesk ticket still takes them) is given up at once."""
    try:
        fresh = helpdesk.tickets([r.ticket_id for r in records])
    except HelpdeskError:
        return list(records)  # the writes will say what is wrong
    open_ones = []
    for record in records:
        ticket = fresh.get(record.ticket_id)
        if ticket is not None and ticket.read_only:
            reason = (
                f"{name} ticket {record.ticket_id} is closed and takes no more updates: "
                "the answer stays recorded in CARE (care status, the report)"
            )
            store.give_up_survey_write(record.helpdesk, record.ticket_id, reason, max_attempts)
            result.failed[record.ticket_key] = reason
            log.info("survey answer %s not written back: %s", record.ticket_key, reason)
        else:
            open_ones.append(record)
    return open_ones


def write_back_now(
    store: Store,
    opener: HelpdeskOpener,
    record: AnswerRecord,
    policy: Policy,
    parts: Collection[Part],
) -> WriteBackResult:
    """`write_back` through a helpdesk opened for the purpose (the web endpoint's way)."""
    result = WriteBackResult()
    try:
        helpdesk = opener(record.helpdesk)
    except (ConfigError, HelpdeskError) as exc:
        return _failed(store, record, str(exc), result)
    try:
        notes = NoteRenderer(policy.templates_dir, ref_key=store.note_ref_key())
        return write_back(store, helpdesk, record, policy, notes, datetime.now(UTC), parts)
    finally:
        helpdesk.close()


def _answer_changes(
    record: AnswerRecord, policy: Policy, notes: NoteRenderer, retrying: bool
) -> list[Change]:
    tag = answer_tag(policy, record.answer)
    reopen = reopens(policy, record.answer)
    action = _action(record, ANSWER_RULE)
    draft = NoteDraft(
        ANSWER_RULE,
        {
            "answer": record.answer,
            "answer_label": ANSWER_LABELS[record.answer],
            "tag": tag,
            "reopened": reopen,
            "answered_at": record.answered_at,
        },
    )
    return [
        Change(ref=_TAG, ticket_id=record.ticket_id, add_tags=frozenset({tag}), reopen=reopen),
        _note(_ANSWER_NOTE, record, notes.render(draft, action), action, retrying),
    ]


def _comment_change(record: AnswerRecord, notes: NoteRenderer, retrying: bool) -> Change:
    action = _action(record, COMMENT_RULE)
    draft = NoteDraft(
        COMMENT_RULE,
        {
            "answer": record.answer,
            "answer_label": ANSWER_LABELS[record.answer],
            "comment": record.comment,
            "commented_at": record.commented_at,
        },
    )
    return _note(_COMMENT_NOTE, record, notes.render(draft, action), action, retrying)


def _note(ref: int, record: AnswerRecord, text: str, action: Action, retrying: bool) -> Change:
    return Change(
        ref=ref,
        ticket_id=record.ticket_id,
        note=text,
        note_ref=ref_in(text) or action.ref,  # a public note carries none
        job_id=UNCONFIRMED_JOB if retrying else None,
    )


def _answer_action(record: AnswerRecord, policy: Policy) -> Action:
    """The answer as it lands in the action log once on the ticket: `care status` lists
    it, and an unsolved one is an alert (`[alerts] rules`) for the next poll to send."""
    reason = f'the requester answered the survey "{ANSWER_LABELS[record.answer]}"'
    if reopens(policy, record.answer):
        reason += "; the ticket is reopened"
    return Action(
        rule=ANSWER_RULE,
        helpdesk=record.helpdesk,
        ticket_id=record.ticket_id,
        reason=reason,
        notify=record.answer == "unsolved",
    )


def _action(record: AnswerRecord, rule: str) -> Action:
    return Action(
        rule=rule,
        helpdesk=record.helpdesk,
        ticket_id=record.ticket_id,
        reason=f"the requester answered the survey: {record.answer}",
    )


def _not_a_ticket(
    store: Store,
    record: AnswerRecord,
    result: WriteBackResult,
    max_attempts: int = MAX_WRITE_ATTEMPTS,
) -> WriteBackResult:
    """Give up an answer recorded for something that is no ticket id of its helpdesk.

    Only a forged link, before links were bound to their survey, could record one; and
    written back, "105,106,118" would tag and reopen three tickets."""
    reason = f"{record.ticket_id!r} is not a {record.helpdesk} ticket id: never written back"
    store.give_up_survey_write(record.helpdesk, record.ticket_id, reason, max_attempts)
    result.failed[record.ticket_key] = reason
    log.warning("survey answer %s not written back: %s", record.ticket_key, reason)
    return result


def _failed(
    store: Store, record: AnswerRecord, error: str, result: WriteBackResult
) -> WriteBackResult:
    store.mark_survey_write_failed(record.helpdesk, record.ticket_id, error)
    result.failed[record.ticket_key] = error
    log.warning("survey answer %s not written back yet: %s", record.ticket_key, error)
    return result


def helpdesk_opener(settings: Settings, store: Store) -> HelpdeskOpener:
    """`connectors.registry.open_helpdesk` for a name, with the store as its memory."""
    from connectors.registry import open_helpdesk  # the connectors, only when writing

    return lambda name: open_helpdesk(settings.helpdesk(name), accounts=store)
