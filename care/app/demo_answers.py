"""The demo's customer: opens one survey e-mail from the outbox, clicks "No, not yet",
writes a comment and presses "Send my answer", through the survey endpoint over HTTP,
as a browser would. Opening the link alone records nothing (mail scanners open links)."""

from __future__ import annotations

import email
from email import policy
from pathlib import Path
from typing import Any

import requests
from rich.console import Console

COMMENT = "The replacement part has still not arrived."


def answer_one_survey(console: Console, outbox: Path, endpoint: Any, sandboxes: dict) -> None:
    console.rule('A customer answers a survey: "No, not yet", with a comment')
    mails = sorted(outbox.glob("*.eml")) if outbox.exists() else []
    if not mails:
        console.print("No survey e-mail was due, so there is none to answer.")
        return
    message = email.message_from_bytes(mails[0].read_bytes(), policy=policy.default)
    helpdesk, _, ticket_id = str(message["X-CARE-Survey"]).partition(":")
    link = _link_after(message.get_body(("plain",)).get_content(), "No, not yet:")
    opened = requests.get(link, timeout=30)
    sent = requests.post(link, data={"send": "answer", "comment": COMMENT}, timeout=30)
    endpoint.wait_for_write_backs(timeout=60)
    ticket = sandboxes[helpdesk].ticket(int(ticket_id))
    state = "reopened (status open)" if ticket["status"] in ("open", 2) else "not reopened"
    console.print(
        f"{message['To']} opened {mails[0].name}, followed the link (HTTP "
        f"{opened.status_code}: the answer page, nothing recorded yet) and sent the answer "
        f"with a comment (HTTP {sent.status_code}).\n"
        f"{helpdesk} #{ticket_id} now: tags {', '.join(sorted(ticket['tags']))}; "
        f"{state}; the answer and the comment are internal notes."
    )


def _link_after(text: str, label: str) -> str:
    lines = text.splitlines()
    return lines[lines.index(label) + 1].strip()
