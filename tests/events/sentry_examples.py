# ruff: noqa: E501 - the examples are copied as Sentry prints them, long lines and all
"""Sentry's published example webhook payloads, as the docs print them (JSON copied as is).

- `ERROR` (Sentry-Hook-Resource: error):
  https://docs.sentry.io/organization/integrations/integration-platform/webhooks/errors/
  (source: getsentry/sentry-docs, docs/organization/integrations/integration-platform/
  webhooks/errors.mdx)
- `EVENT_ALERT` (Sentry-Hook-Resource: event_alert):
  https://docs.sentry.io/organization/integrations/integration-platform/webhooks/issue-alerts/
  (docs/integrations/integration-platform/webhooks/issue-alerts.mdx)
- `ISSUE` (Sentry-Hook-Resource: issue):
  https://docs.sentry.io/organization/integrations/integration-platform/webhooks/issues/
  (docs/integrations/integration-platform/webhooks/issues.mdx)
- Headers and the signature: https://docs.sentry.io/integrations/integration-platform/webhooks/

The examples' `user` holds an IP address only (no e-mail): `with_user` adds what an app
that calls `Sentry.setUser({id, email})` sends.
"""

from __future__ import annotations

import copy
import json
from typing import Any

ERROR: dict[str, Any] = json.loads(r"""
{
  "action": "created",
  "actor": {"id": "sentry", "name": "Sentry", "type": "application"},
  "data": {
    "error": {
      "_ref": 1293919,
      "_ref_version": 2,
      "contexts": {
        "browser": {"name": "Chrome", "type": "browser", "version": "75.0.3770"},
        "os": {"name": "Mac OS X", "type": "os", "version": "10.14.0"}
      },
      "culprit": "?(runner)",
      "datetime": "2019-08-19T20:58:37.391000Z",
      "dist": null,
      "event_id": "bb78c1407cea4519aa397afc059c793d",
      "exception": {
        "values": [
          {
            "mechanism": {
              "data": {"message": "blooopy is not defined", "mode": "stack", "name": "ReferenceError"},
              "description": null,
              "handled": false,
              "help_link": null,
              "meta": null,
              "synthetic": null,
              "type": "onerror"
            },
            "stacktrace": {
              "frames": [
                {
                  "abs_path": "https://null.jsbin.com/runner",
                  "colno": 5,
                  "context_line": "<meta charset=utf-8>",
                  "data": {"orig_in_app": 1},
                  "errors": null,
                  "filename": "/runner",
                  "function": null,
                  "image_addr": null,
                  "in_app": false,
                  "instruction_addr": null,
                  "lineno": 3,
                  "module": "runner",
                  "package": null,
                  "platform": null,
                  "post_context": ["<title>JS Bin Runner</title>", "", "<style type=\"text/css\">", "  body {", "    margin: 0;"],
                  "pre_context": ["<!doctype html>", "<html>"],
                  "raw_function": null,
                  "symbol": null,
                  "symbol_addr": null,
                  "trust": null,
                  "vars": null
                }
              ]
            },
            "type": "ReferenceError",
            "value": "blooopy is not defined"
          }
        ]
      },
      "fingerprint": ["{{ default }}"],
      "grouping_config": {"enhancements": "eJybzDhxY05qemJypZWRgaGlroGxrqHRBABbEwcC", "id": "legacy:2019-03-12"},
      "hashes": ["07d2da329989f6cd310eb5f1c5e828a4"],
      "issue_url": "https://sentry.io/api/0/issues/1170820242/",
      "issue_id": "1170820242",
      "key_id": "667532",
      "level": "error",
      "location": "/runner",
      "logger": "",
      "message": "",
      "metadata": {"filename": "/runner", "type": "ReferenceError", "value": "blooopy is not defined"},
      "platform": "javascript",
      "project": 1,
      "received": 1566248317.391,
      "release": null,
      "request": {
        "cookies": null,
        "data": null,
        "env": null,
        "fragment": null,
        "headers": [["User-Agent", "Mozilla/5.0 (Macintosh; Intel Mac OS X 10_14_0) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/75.0.3770.100 Safari/537.36"]],
        "inferred_content_type": null,
        "method": null,
        "query_string": [],
        "url": "https://null.jsbin.com/runner"
      },
      "sdk": {
        "integrations": ["InboundFilters", "FunctionToString", "BrowserApiErrors", "Breadcrumbs", "GlobalHandlers", "LinkedErrors", "HttpContext"],
        "name": "sentry.javascript.browser",
        "packages": [{"name": "npm:@sentry/browser", "version": "5.5.0"}],
        "version": "5.5.0"
      },
      "tags": [
        ["browser", "Chrome 75.0.3770"], ["browser.name", "Chrome"], ["handled", "no"],
        ["level", "error"], ["mechanism", "onerror"], ["os", "Mac OS X 10.14.0"],
        ["os.name", "Mac OS X"], ["user", "ip:162.217.75.90"], ["url", "https://null.jsbin.com/runner"]
      ],
      "time_spent": null,
      "timestamp": 1566248317.391,
      "title": "ReferenceError: blooopy is not defined",
      "type": "error",
      "url": "https://sentry.io/api/0/projects/test-org/front-end/events/bb78c1407cea4519aa397afc059c793d/",
      "user": {"ip_address": "162.218.85.90"},
      "version": "7",
      "web_url": "https://sentry.io/organizations/test-org/issues/1170820242/events/bb78c1407cea4519aa397afc059c793d/"
    }
  },
  "installation": {"uuid": "a8e5d37a-696c-4c54-adb5-b3f28d64c7de"}
}
""")

EVENT_ALERT: dict[str, Any] = json.loads(r"""
{
  "action": "triggered",
  "actor": {"id": "sentry", "name": "Sentry", "type": "application"},
  "data": {
    "event": {
      "_ref": 1,
      "_ref_version": 2,
      "contexts": {
        "browser": {"name": "Chrome", "type": "browser", "version": "75.0.3770"},
        "os": {"name": "Mac OS X", "type": "os", "version": "10.14.0"}
      },
      "culprit": "?(<anonymous>)",
      "datetime": "2019-08-19T21:06:17.677000Z",
      "dist": null,
      "event_id": "e4874d664c3540c1a32eab185f12c5ab",
      "exception": {
        "values": [
          {
            "mechanism": {
              "data": {"message": "heck is not defined", "mode": "stack", "name": "ReferenceError"},
              "description": null,
              "handled": false,
              "help_link": null,
              "meta": null,
              "synthetic": null,
              "type": "onerror"
            },
            "stacktrace": {
              "frames": [
                {
                  "abs_path": "<anonymous>",
                  "colno": 5,
                  "context_line": null,
                  "data": {"orig_in_app": 1},
                  "errors": null,
                  "filename": "<anonymous>",
                  "function": null,
                  "image_addr": null,
                  "in_app": false,
                  "instruction_addr": null,
                  "lineno": 3,
                  "module": null,
                  "package": null,
                  "platform": null,
                  "post_context": null,
                  "pre_context": null,
                  "raw_function": null,
                  "symbol": null,
                  "symbol_addr": null,
                  "trust": null,
                  "vars": null
                }
              ]
            },
            "type": "ReferenceError",
            "value": "heck is not defined"
          }
        ]
      },
      "fingerprint": ["{{ default }}"],
      "grouping_config": {"enhancements": "eJybzDhxY05qemJypZWRgaGlroGxrqHRBABbEwcC", "id": "legacy:2019-03-12"},
      "hashes": ["29f7ffc4903a8a990408b80a3b4c95a2"],
      "issue_url": "https://sentry.io/api/0/issues/1117540176/",
      "issue_id": "1117540176",
      "key_id": "667532",
      "level": "error",
      "location": "<anonymous>",
      "logger": "",
      "message": "",
      "metadata": {"filename": "<anonymous>", "type": "ReferenceError", "value": "heck is not defined"},
      "platform": "javascript",
      "project": 1,
      "received": 1566248777.677,
      "release": null,
      "request": {
        "cookies": null,
        "data": null,
        "env": null,
        "fragment": null,
        "headers": [["User-Agent", "Mozilla/5.0 (Macintosh; Intel Mac OS X 10_14_0) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/75.0.3770.100 Safari/537.36"]],
        "inferred_content_type": null,
        "method": null,
        "query_string": [],
        "url": "https://null.jsbin.com/runner"
      },
      "sdk": {
        "integrations": ["InboundFilters", "FunctionToString", "BrowserApiErrors", "Breadcrumbs", "GlobalHandlers", "LinkedErrors", "HttpContext"],
        "name": "sentry.javascript.browser",
        "packages": [{"name": "npm:@sentry/browser", "version": "5.5.0"}],
        "version": "5.5.0"
      },
      "tags": [
        ["browser", "Chrome 75.0.3770"], ["browser.name", "Chrome"], ["handled", "no"],
        ["level", "error"], ["mechanism", "onerror"], ["os", "Mac OS X 10.14.0"],
        ["os.name", "Mac OS X"], ["user", "ip:162.217.75.90"], ["url", "https://null.jsbin.com/runner"]
      ],
      "time_spent": null,
      "timestamp": 1566248777.677,
      "title": "ReferenceError: heck is not defined",
      "type": "error",
      "url": "https://sentry.io/api/0/projects/test-org/front-end/events/e4874d664c3540c1a32eab185f12c5ab/",
      "user": {"ip_address": "162.218.85.90"},
      "version": "7",
      "web_url": "https://sentry.io/organizations/test-org/issues/1117540176/events/e4874d664c3540c1a32eab185f12c5ab/"
    },
    "triggered_rule": "Very Important Alert Rule!",
    "issue_alert": {"title": "Very Important Alert Rule!", "settings": [{"name": "channel", "value": "#general"}]}
  },
  "installation": {"uuid": "a8e5d37a-696c-4c54-adb5-b3f28d64c7de"}
}
""")

ISSUE: dict[str, Any] = json.loads(r"""
{
  "action": "created",
  "installation": {"uuid": "24b397fc-a86e-43ef-9297-949e21b82480"},
  "data": {
    "issue": {
      "url": "https://sentry.io/api/0/organizations/example-org/issues/1234567890/",
      "web_url": "https://example-org.sentry.io/issues/1234567890/",
      "project_url": "https://example-org.sentry.io/issues/?project=4509877862268928",
      "id": "1234567890",
      "shareId": null,
      "shortId": "PYTHON-Y",
      "title": "Error generated with event_id: 495d375a-1df6-45c0-9890-34dae8e1b6a4(Priority: HIGH)",
      "culprit": "test-transaction-0-41e49cd3-7252-441f-8d27-63a9ad697b0a",
      "permalink": "https://example-org.sentry.io/issues/1234567890/",
      "logger": "edge-function",
      "level": "fatal",
      "status": "unresolved",
      "statusDetails": {},
      "substatus": "new",
      "isPublic": false,
      "platform": "javascript",
      "project": {"id": "112313123123134", "name": "python", "slug": "python", "platform": "python"},
      "type": "default",
      "metadata": {
        "title": "Error generated with event_id: 495d375a-1df6-45c0-9890-34dae8e1b6a4(Priority: HIGH)",
        "sdk": {"name": "edge-function", "name_normalized": "other"},
        "severity": 1,
        "severity_reason": "log_level_fatal",
        "initial_priority": 75
      },
      "numComments": 0,
      "assignedTo": null,
      "isBookmarked": false,
      "isSubscribed": false,
      "subscriptionDetails": null,
      "hasSeen": false,
      "annotations": [],
      "issueType": "error",
      "issueCategory": "error",
      "priority": "high",
      "priorityLockedAt": null,
      "seerFixabilityScore": null,
      "seerAutofixLastTriggered": null,
      "isUnhandled": false,
      "count": "3",
      "userCount": 3,
      "firstSeen": "2025-11-10T20:56:00.679000+00:00",
      "lastSeen": "2025-11-10T20:56:00.738000+00:00"
    }
  },
  "actor": {"type": "application", "id": "example-app", "name": "Example App"}
}
""")


def with_user(payload: dict[str, Any], key: str, **user: Any) -> dict[str, Any]:
    """A deep copy of `payload` whose data[key]["user"] is `user`."""
    changed = copy.deepcopy(payload)
    changed["data"][key]["user"] = user
    return changed
