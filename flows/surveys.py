"""`dispatch-surveys`: due surveys, re-checked against the helpdesk, sent once each."""

from __future__ import annotations

import uuid
from contextlib import ExitStack

from prefect import flow
from prefect.artifacts import create_markdown_artifact
from prefect.utilities.annotations import quote

from care.config import ConfigError, load_settings
from care.surveys import transport_from_env
from connectors.base import Helpdesk
from connectors.factory import open_helpdesk
from tasks.context import utc_now
from tasks.runtime import open_store
from tasks.surveys import DispatchContext, DispatchResult, send_batch

BATCH = 100


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
        now = utc_now()
        due = (
            store.due_surveys(now, limit)
            if dry_run
            else store.claim_due_surveys(now, uuid.uuid4().hex, limit=limit)
        )
        for start in range(0, len(due), BATCH):
            result.add(send_batch(quote(ctx), quote(due[start : start + BATCH]), dry_run))
    create_markdown_artifact(
        key="dispatch-surveys", markdown=_markdown(result, dry_run), description="CARE surveys"
    )
    return result


def _markdown(result: DispatchResult, dry_run: bool) -> str:
    mode = " (dry run: nothing sent)" if dry_run else ""
    rows = [f"| {label} | {count} |" for label, count in sorted(result.outcomes.items())]
    header = [f"# dispatch-surveys{mode}", "", "| outcome | surveys |", "|---|---:|"]
    return "\n".join(header + (rows or ["| (none due) | 0 |"]))
