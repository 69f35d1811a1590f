"""Build what a flow run needs from the configuration, and close it afterwards."""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager

from care.domain.faq import FaqIndex
from care.domain.notes import NoteRenderer
from care.settings.load import Settings
from care.store import Store
from connectors.registry import open_helpdesk
from tasks.context import PollContext
from tasks.poll import release_held


@contextmanager
def open_store(settings: Settings) -> Iterator[Store]:
    store = Store.open(settings.database_url)
    try:
        yield store
    finally:
        store.close()


@contextmanager
def poll_context(helpdesk: str, settings: Settings) -> Iterator[tuple[PollContext, float]]:
    policy = settings.policy
    with open_store(settings) as store:
        client = open_helpdesk(settings.helpdesk(helpdesk), accounts=store)
        try:
            ctx = PollContext(
                helpdesk=client,
                store=store,
                policy=policy,
                faq=FaqIndex.load(policy.rules.faq.catalogue),
                notes=NoteRenderer(policy.templates_dir, ref_key=store.note_ref_key()),
                alerts=settings.alerts,
            )
            try:
                yield ctx, settings.backfill_days
            except BaseException as exc:
                # A run that fails with actions claimed in hand gives them back with its
                # error, rather than leaving them `applying` until the claim goes stale.
                release_held(ctx, exc)
                raise
        finally:
            client.close()
