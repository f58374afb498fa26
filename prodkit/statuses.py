"""The run statuses, defined once: the stored runs (prodkit.jobs.records.STATUSES, the job store's
check) and the shown record (prodkit.records.RunRecord.status, the panel's TypeScript union) both
read them from here. Plain typing: importing it imports neither pydantic nor a capability."""

from __future__ import annotations

from typing import Literal

# `lost`: the process that ran it died; `cancelled`: stopped on request.
RunStatus = Literal["queued", "running", "succeeded", "failed", "timed_out", "lost", "cancelled"]
