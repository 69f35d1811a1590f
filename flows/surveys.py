"""`dispatch-surveys`: due surveys, re-checked against the helpdesk, sent once each;
then any survey answer the helpdesk did not take at once is written back."""

from __future__ import annotations

from contextlib import ExitStack

from prefect import flow
from prefect.artifacts import create_markdown_artifact
from prefect.utilities.annotations import quote

from care.config import ConfigError, load_settings
from care.report_text import interrupted_note
from care.surveys import transport_from_env
from connectors.base import Helpdesk
from connectors.factory import open_helpdesk
from tasks.answers import write_back_answers
from tasks.context import utc_now
from tasks.runtime import open_store
from tasks.surveys import BATCH, DispatchContext, DispatchResult, claimed_batches, send_batch


@flow(name="dispatch-surveys", log_prints=False)
def dispatch_surveys(dry_run: bool = False, limit: int = 1000) -> DispatchResult:
    settings = load_settings()
    if not settings.survey_secret and not dry_run:
        raise ConfigError("CARE_SURVEY_SECRET is not set: survey links must be signed with it")
    try:
        transport = transport_from_env(settings.policy)
    except ValueError as exc:
        raise ConfigError(str(exc)) from None
    result = DispatchResult()
    with ExitStack() as stack:
        store = stack.enter_context(open_store(settings))
        helpdesks: dict[str, Helpdesk] = {}

        def helpdesk(name: str) -> Helpdesk:
            if name not in helpdesks:
                helpdesks[name] = open_helpdesk(name, settings, accounts=store)
                stack.callback(helpdesks[name].close)
            return helpdesks[name]

        ctx = DispatchContext(settings, store, transport, helpdesk, utc_now)
        if dry_run:
            due = store.due_surveys(utc_now(), limit)
            batches = (due[start : start + BATCH] for start in range(0, len(due), BATCH))
        else:
            batches = claimed_batches(ctx, limit)
        for batch in batches:
            result.add(send_batch(quote(ctx), quote(batch), dry_run))
        if not dry_run:
            result.write_backs = write_back_answers(quote(store), quote(settings))
    create_markdown_artifact(
        key="dispatch-surveys",
        markdown=markdown_summary(result, dry_run),
        description="CARE surveys",
    )
    return result


def markdown_summary(result: DispatchResult, dry_run: bool) -> str:
    """The run's artifact: surveys per outcome, and what to do about interrupted sends."""
    mode = " (dry run: nothing sent)" if dry_run else ""
    rows = [f"| {label} | {count} |" for label, count in sorted(result.outcomes.items())]
    header = [f"# dispatch-surveys{mode}", "", "| outcome | surveys |", "|---|---:|"]
    note = interrupted_note(result.interrupted)
    footer = ["", f"**{note}**"] if note else []
    w = result.write_backs
    if w is not None and (w.answers_written or w.comments_written or w.failed):
        footer += [
            "",
            f"Survey answers written back to their tickets: {w.answers_written} answers, "
            f"{w.comments_written} comments; {len(w.failed)} still pending.",
        ]
    return "\n".join(header + (rows or ["| (none due) | 0 |"]) + footer)
