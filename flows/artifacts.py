"""The summary artifact each flow run leaves in the Prefect UI, a failed run's included."""

from __future__ import annotations

from collections.abc import Callable, Iterator
from contextlib import contextmanager

from prefect import get_run_logger
from prefect.artifacts import create_markdown_artifact

from flows.summary import error_line


def publish(key: str, markdown: str, description: str) -> None:
    create_markdown_artifact(key=key, markdown=markdown, description=description)


@contextmanager
def published_on_failure(
    key: str, description: str, render: Callable[[str], str]
) -> Iterator[None]:
    """When the block raises, publish `render(error in one line)` under `key` and re-raise,
    so the run is still Failed and its artifact says why and how far it got."""
    try:
        yield
    except Exception as exc:
        try:
            publish(key, render(error_line(exc)), f"{description} (failed)")
        except Exception as artifact_error:  # the run's own error is the one to see
            get_run_logger().warning(
                "no artifact for this failed run: %s", error_line(artifact_error)
            )
        raise
