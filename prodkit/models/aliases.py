"""Alias moves in the registry itself: a per-model lock and an append-only history of every move.

Both live in MLflow, so every promoter sharing one tracking server (or one sqlite store) sees them:

- The lock is a registered model named `_prodkit_lock.<sha>` created for the duration of one
  move: creating a registered model is atomic in every MLflow store (a unique name), so
  only one process holds it. A lock whose holder stays the same for `STALE_AFTER` seconds
  (the holder died; a move takes about a second) is taken over.
- Each move is one registered-model tag `prodkit.alias_log.<alias>.<seq>-<id>` holding a JSON
  record (action, from, to, who, when, the gate's checks). A tag is written once and never
  changed; the record sequence is what rollback walks back.
"""

from __future__ import annotations

import contextlib
import hashlib
import os
import random
import socket
import time
import uuid
from collections.abc import Iterator
from typing import Any

from prodkit.errors import ProdkitError
from prodkit.models import tags as T
from prodkit.models.registry import LOCK_PREFIX

WAIT = 60.0  # seconds a promotion waits for another one on the same model
STALE_AFTER = 30.0  # a lock held this long by the same holder is left over from a crashed process
OWNER_TAG = "prodkit.lock.owner"
MODEL_TAG = "prodkit.lock.model"


def lock_name(name: str) -> str:
    return LOCK_PREFIX + hashlib.sha256(name.encode()).hexdigest()[:32]


def _already_exists(error: BaseException) -> bool:
    return "RESOURCE_ALREADY_EXISTS" in str(getattr(error, "error_code", "")) or "already exists" in str(error).lower()


def _holder(client, lock: str) -> str | None:
    """The owner token of the lock, None when nobody holds it."""
    from mlflow.exceptions import MlflowException

    try:
        return dict(client.get_registered_model(lock).tags or {}).get(OWNER_TAG, "?")
    except MlflowException:
        return None


@contextlib.contextmanager
def model_lock(client, name: str, who: str) -> Iterator[str]:
    """Hold the alias-move lock of model `name` (all its aliases) while the block runs."""
    from mlflow.exceptions import MlflowException

    lock = lock_name(name)
    me = f"{who}@{socket.gethostname()} pid {os.getpid()} {uuid.uuid4().hex[:8]}"
    deadline = time.monotonic() + WAIT
    seen, seen_since = None, time.monotonic()
    while True:
        try:
            client.create_registered_model(lock, tags={OWNER_TAG: me, MODEL_TAG: name},
                                           description=f"prodkit: {me} is moving an alias of {name}")
            break
        except MlflowException as e:
            if not _already_exists(e):
                raise
        holder = _holder(client, lock)
        if holder != seen:
            seen, seen_since = holder, time.monotonic()
        elif holder is not None and time.monotonic() - seen_since > STALE_AFTER:
            _release(client, lock, holder)  # its process died holding it
            continue
        if time.monotonic() > deadline:
            raise ProdkitError(f"another alias move of {name} is still in progress ({holder})",
                               fix="retry in a minute; a lock left by a crashed process is taken over after "
                                   f"{STALE_AFTER:.0f} s")
        time.sleep(random.uniform(0.05, 0.2))  # noqa: S311 - jitter, not security
    try:
        yield me
    finally:
        _release(client, lock, me)


def _release(client, lock: str, owner: str) -> None:
    """Delete the lock if `owner` still holds it (never a lock another process took over)."""
    from mlflow.exceptions import MlflowException

    with contextlib.suppress(MlflowException):
        if _holder(client, lock) == owner:
            client.delete_registered_model(lock)


def log_key(alias: str, seq: int) -> str:
    return f"{T.ALIAS_LOG_PREFIX}{alias}.{seq:06d}-{uuid.uuid4().hex[:8]}"


def moves(model_tags: dict[str, str], alias: str) -> list[dict[str, Any]]:
    """Every recorded move of `alias`, oldest first."""
    prefix = T.ALIAS_LOG_PREFIX + alias + "."
    found = [(key, T.load_json(model_tags, key)) for key in model_tags if key.startswith(prefix)]
    records = [(record.get("seq", 0), key, record) for key, record in found if isinstance(record, dict)]
    return [record for _seq, _key, record in sorted(records, key=lambda r: (r[0], r[1]))]


def append_move(client, name: str, alias: str, model_tags: dict[str, str], record: dict[str, Any]) -> dict:
    """Record one move under the next sequence number (call with the model lock held)."""
    seq = max((m.get("seq", 0) for m in moves(model_tags, alias)), default=0) + 1
    record = {"seq": seq, "alias": alias, **record}
    client.set_registered_model_tag(name, log_key(alias, seq), T.dump_json(record))
    return record


def holders(model_tags: dict[str, str], alias: str) -> list[str]:
    """The versions that held `alias`, oldest first, as rollback sees them: each promotion
    pushes its version, each rollback goes back to the version it moved to."""
    stack = [str(v) for v in T.load_json(model_tags, T.ALIAS_HISTORY_PREFIX + alias, [])]  # before the log
    for move in moves(model_tags, alias):
        to, previous = str(move.get("to")), move.get("from")
        if move.get("action") == "rollback":
            while stack and stack[-1] != to:
                stack.pop()
            if not stack:
                stack.append(to)
            continue
        if previous is not None and (not stack or stack[-1] != str(previous)):
            stack.append(str(previous))  # the alias was moved outside prodkit before this move
        stack.append(to)
    return stack
