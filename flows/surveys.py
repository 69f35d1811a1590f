"""`dispatch-surveys`: due surveys, re-checked against the helpdesk, sent once each;
then any survey answer the helpdesk did not take at once is written back."""

from __future__ import annotations

from contextlib import ExitStack
from functools import partial
from typing import Any

from prefect import flow, get_run_logger
from prefect.utilities.annotations import quote

from care.domain.alerts import outage_alert
from care.outbound.alert_channels import send_everywhere
from care.outbound.transport import transport_from_env
from care.settings.load import AlertSettings, ConfigError, Settings, load_settings
from connectors.base import Helpdesk
from connectors.registry import open_helpdesk
from flows.artifacts import publish, published_on_failure
from flows.summary import failure_lines, interrupted_note, outcome_words, table
from tasks.answers import write_back_answers
from tasks.context import utc_now
from tasks.runtime import open_store
from tasks.surveys import (
    BATCH,
    DispatchContext,
    DispatchResult,
    MailServerDown,
    claimed_batches,
    send_batch,
)

KEY, DESCRIPTION = "dispatch-surveys", "CARE surveys"


@flow(name="dispatch-surveys", log_prints=False)
def dispatch_surveys(
    dry_run: bool = False,
    limit: int = 1000,
    config: str | None = None,
    overrides: dict[str, Any] | None = None,
) -> DispatchResult:
    """`config`: the care.toml to read (default: CARE_CONFIG, else ./care.toml);
    `overrides`: care.toml keys for this run over the file's (never a secret)."""
    result = DispatchResult()
    with published_on_failure(KEY, DESCRIPTION, partial(markdown_summary, result, dry_run)):
        _dispatch(result, dry_run, limit, load_settings(config, overrides=overrides))
    publish(KEY, markdown_summary(result, dry_run), DESCRIPTION)
    return result


def _dispatch(result: DispatchResult, dry_run: bool, limit: int, settings: Settings) -> None:
    """Fill `result` batch by batch: a run that fails midway still shows how far it got."""
    if not settings.survey_secret and not dry_run:
        raise ConfigError("CARE_SURVEY_SECRET is not set: survey links must be signed with it")
    try:
        transport = transport_from_env(settings.policy)
    except ValueError as exc:
        raise ConfigError(str(exc)) from None
    with ExitStack() as stack:
        store = stack.enter_context(open_store(settings))
        helpdesks: dict[str, Helpdesk] = {}

        def helpdesk(name: str) -> Helpdesk:
            if name not in helpdesks:
                helpdesks[name] = open_helpdesk(settings.helpdesk(name), accounts=store)
                stack.callback(helpdesks[name].close)
            return helpdesks[name]

        ctx = DispatchContext(settings, store, transport, helpdesk, utc_now)
        if dry_run:
            due = store.due_surveys(utc_now(), limit)
            batches = (due[start : start + BATCH] for start in range(0, len(due), BATCH))
        else:
            batches = claimed_batches(ctx, limit)
        for batch in batches:
            try:
                result.add(send_batch(quote(ctx), quote(batch), dry_run))
            except MailServerDown as down:
                if down.first:
                    _alert(settings.alerts, down)
                raise
        if not dry_run:
            result.write_backs = write_back_answers(quote(store), quote(settings))


def _alert(alerts: AlertSettings, down: MailServerDown) -> None:
    """Tell the alert channels, once per outage: a run every 15 minutes that finds the
    same server down says so in its own failure, not in another alert."""
    if not alerts.enabled:
        return
    headline = "Survey e-mails held: the mail server cannot be used"
    errors = send_everywhere(alerts, outage_alert(KEY, headline, str(down), utc_now()))
    for channel, error in errors.items():
        get_run_logger().warning("the %s alert channel did not take the outage: %s", channel, error)


def markdown_summary(result: DispatchResult, dry_run: bool, failed: str | None = None) -> str:
    """The run's artifact: surveys per outcome, and what to do about interrupted sends;
    `failed` is the error of a run that stopped, whose figures say how far it got."""
    mode = " (dry run: nothing sent)" if dry_run else ""
    rows = [[outcome_words(label), count] for label, count in sorted(result.outcomes.items())]
    header = [
        f"# dispatch-surveys{mode}",
        "",
        *failure_lines(failed, "Before it stopped, this run had handled these surveys:"),
    ]
    none = "(none handled)" if failed else "(none due)"
    lines = [*header, table(["Outcome", "Surveys"], rows or [[none, 0]], numeric_from=1)]
    note = interrupted_note(result.interrupted)
    if note:
        lines += ["", f"**{note}**"]
    w = result.write_backs
    if w is not None and (w.answers_written or w.comments_written or w.failed):
        lines += [
            "",
            f"Survey answers written back to their tickets: {w.answers_written} answers, "
            f"{w.comments_written} comments; {len(w.failed)} still pending.",
        ]
    return "\n".join(lines)
