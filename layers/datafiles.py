"""Files in the data directory that follow the database transaction.

A new raster is written to a hidden temporary file next to its final place; it is
moved into place only when the session's transaction commits and removed when it
rolls back. Files of removed or replaced layers are deleted only after the commit.
So a failed upload leaves the data directory exactly as it was.

Examples
--------
>>> move_on_commit(session, Path(".../rasters/.tmp-1a2b.tif"), Path(".../rasters/pop_v1.tif"))  # doctest: +SKIP
>>> delete_on_commit(session, Path(".../rasters/pop_v0.tif"))                                   # doctest: +SKIP
"""

from __future__ import annotations

import os
import uuid
from collections.abc import Callable
from pathlib import Path

from sqlalchemy import event
from sqlalchemy.orm import Session, SessionTransaction

from spatial.settings import get_settings


def data_path(relative: str) -> Path:
    """Absolute path of a file named relative to the data directory."""
    return get_settings().data_dir / relative


def temporary_path(final: Path) -> Path:
    """A hidden, unique temporary name in the folder of ``final`` (created if needed)."""
    final.parent.mkdir(parents=True, exist_ok=True)
    return final.with_name(f".tmp-{uuid.uuid4().hex}{final.suffix}")


def _on_outcome(session: Session, committed: Callable[[], None], rolled_back: Callable[[], None]) -> None:
    """Run ``committed`` after the session's next commit, or ``rolled_back`` after its next rollback.

    Listeners stay registered on the (short-lived) session but act only once: SQLAlchemy
    does not allow removing a listener while its event is being dispatched.
    """
    pending = [True]

    def after_commit(_: Session) -> None:
        if pending.pop() if pending else False:
            committed()

    def after_rollback(_: Session, previous: SessionTransaction) -> None:
        if previous.nested:  # a savepoint rolled back; the outer transaction may still commit
            return
        if pending.pop() if pending else False:
            rolled_back()

    event.listen(session, "after_commit", after_commit)
    event.listen(session, "after_soft_rollback", after_rollback)


def move_on_commit(session: Session, temporary: Path, final: Path) -> None:
    """Move ``temporary`` to ``final`` when the transaction commits; delete it when it rolls back."""
    _on_outcome(session, lambda: os.replace(temporary, final), lambda: temporary.unlink(missing_ok=True))


def delete_on_commit(session: Session, path: Path) -> None:
    """Delete ``path`` once the transaction commits (a rollback keeps it)."""
    _on_outcome(session, lambda: path.unlink(missing_ok=True), lambda: None)
