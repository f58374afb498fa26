"""Notifications: a JSON POST to settings.ini `notify_url` on run failure, drift, degradation,
promotion and rollback. The body carries `text` (what Slack/Teams/Mattermost webhooks show)
plus the event's fields. Delivery is best effort: a webhook that is down never fails a run.
"""

from __future__ import annotations

import json
import logging
import urllib.error
import urllib.parse
import urllib.request
from datetime import UTC, datetime
from typing import Any

EVENTS = ("run_failed", "drift", "degraded", "promoted", "rolled_back")
TIMEOUT_S = 5.0
log = logging.getLogger("prodkit.notify")


def notify_url(project) -> str | None:
    """settings.ini `notify_url` when it is an http(s) URL; None otherwise."""
    url = (project.settings.get("notify_url") or "").strip()
    if not url:
        return None
    parsed = urllib.parse.urlparse(url)
    if parsed.scheme not in ("http", "https") or not parsed.netloc:
        log.warning("settings.ini notify_url %r is not an http(s) URL: no notification sent", url)
        return None
    return url


def message(event: str, fields: dict[str, Any]) -> str:
    """One line for people: `prodkit: drift in run 12 of churn-daily (churn-clf)`."""
    if fields.get("summary"):
        return f"prodkit {event}: {fields['summary']}"
    parts = [f"{k}={v}" for k, v in fields.items() if v is not None and k != "summary"]
    return f"prodkit {event}: " + ", ".join(parts)


def notify(project, event: str, fields: dict[str, Any]) -> bool:
    """POST the event to notify_url; True when the webhook answered 2xx."""
    url = notify_url(project)
    if url is None:
        return False
    body = {"text": message(event, fields), "event": event, "project": project.root.name,
            "at": datetime.now(UTC).isoformat(timespec="seconds"), **fields}
    request = urllib.request.Request(url, data=json.dumps(body, default=str).encode(), method="POST",
                                     headers={"Content-Type": "application/json"})
    try:
        with urllib.request.urlopen(request, timeout=TIMEOUT_S) as response:  # noqa: S310 - scheme checked
            return 200 <= response.status < 300
    except (urllib.error.URLError, OSError, ValueError) as e:
        log.warning("notification %s to %s failed: %s", event, url, getattr(e, "reason", e))
        return False
