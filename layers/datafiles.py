"""Files in the data directory that follow the database transaction.

A new raster is written to a hidden temporary file next to its final place (named with
the writing process's id); it is moved into place just before the session's transaction
commits (its name is new: every layer version has its own file) and removed when it rolls
back. Files of removed or replaced layers are deleted only after the commit. So a failed
upload leaves the data directory exactly as it was; a process killed at any point leaves
at most files nothing in the catalogue names, which :func:`clear_leftovers` removes when
the server next starts.

Examples
--------
>>> move_on_commit(session, Path(".../rasters/.tmp-1a2b.tif"), Path(".../rasters/pop_v1.tif"))  # doctest: +SKIP
>>> delete_on_commit(session, Path(".../rasters/pop_v0.tif"))                                   # doctest: +SKIP
"""

from __future__ import annotations

import os
import re
import shutil
import tempfile
import uuid
from collections.abc import Callable
from pathlib import Path

from sqlalchemy import event, text
from sqlalchemy.orm import Session, SessionTransaction

from spatial.errors import StorageFull
from spatial.settings import get_settings


def data_path(relative: str) -> Path:
    """Absolute path of a file named relative to the data directory."""
    return get_settings().data_dir / relative


TEMPORARY_PREFIX = ".tmp-"


def temporary_path(final: Path) -> Path:
    """A hidden, unique temporary name in the folder of ``final`` (created if needed),
    carrying this process's id so that leftovers of a dead process can be told apart."""
    final.parent.mkdir(parents=True, exist_ok=True)
    return final.with_name(f"{TEMPORARY_PREFIX}{os.getpid()}-{uuid.uuid4().hex}{final.suffix}")


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


#: ``session.info`` key: the files the session's transaction deletes once it commits.
_DELETING = "pishraft.deleting"


def move_on_commit(session: Session, temporary: Path, final: Path) -> None:
    """Move ``temporary`` to ``final`` just before the transaction commits (so that a committed
    catalogue row always finds its file); delete it, or the moved file, when it rolls back.
    A file of that name the same transaction deletes (a layer removed and made again under
    its slug, as a demo reload does) is not deleted: the new file takes its place.
    The first file a database writes claims the data directory for it (:data:`OWNER_FILE`)."""
    _claim(session)
    session.info.get(_DELETING, set()).discard(final)
    moved = [False]

    def before_commit(_: Session) -> None:
        if not moved[0] and temporary.exists():
            os.replace(temporary, final)
            moved[0] = True

    def rolled_back() -> None:
        (final if moved[0] else temporary).unlink(missing_ok=True)

    event.listen(session, "before_commit", before_commit)
    _on_outcome(session, lambda: None, rolled_back)


def delete_on_commit(session: Session, path: Path) -> None:
    """Delete ``path`` once the transaction commits (a rollback keeps it), unless the same
    transaction writes a new file there (:func:`move_on_commit`)."""
    deleting: set[Path] = session.info.setdefault(_DELETING, set())
    deleting.add(path)

    def committed() -> None:
        if path in deleting:
            deleting.discard(path)
            path.unlink(missing_ok=True)

    _on_outcome(session, committed, lambda: deleting.discard(path))


def _process_alive(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:  # alive, someone else's
        return True
    return True


def _writer_gone(name: str, prefix: str) -> bool:
    """Whether the process that named a temporary ``<prefix><pid>-…`` is no longer running."""
    pid = name.removeprefix(prefix).split("-", 1)[0]
    return not (pid.isdigit() and _process_alive(int(pid)))


def clear_leftovers(session: Session, folder: str) -> list[str]:
    """Remove what interrupted work left in the data directory: temporary files of processes
    that are gone, and files in ``folder`` (the rasters) that no catalogue row names, plus
    work folders (:func:`work_folder`) of dead processes. Returns what was removed.

    Holds a SHARE lock on the catalogue meanwhile, so that an upload committing in another
    process is waited for rather than mistaken for a leftover. Files the catalogue does not
    name are removed only from a data directory that belongs to this database (see
    :func:`_owned_by`): one shared with another database holds that one's files.
    """
    session.execute(text("LOCK TABLE layer IN SHARE MODE"))
    named = set(session.execute(text("SELECT raster_path FROM layer WHERE raster_path IS NOT NULL")).scalars())
    root = get_settings().data_dir
    ours = _owned_by(session, root)
    removed: list[str] = []
    for path in sorted(root.rglob("*")) if root.is_dir() else []:
        relative = path.relative_to(root)
        if not path.is_file():
            continue
        if path.name.startswith(TEMPORARY_PREFIX):
            if not _writer_gone(path.name, TEMPORARY_PREFIX):
                continue
        elif not ours or relative.parts[0] != folder or relative.as_posix() in named:
            continue
        path.unlink(missing_ok=True)
        removed.append(relative.as_posix())
    for work in Path(tempfile.gettempdir()).glob("pishraft-*"):
        found = _WORK_FOLDER.match(work.name)
        if work.is_dir() and found and not _process_alive(int(found.group(1))):
            shutil.rmtree(work, ignore_errors=True)
            removed.append(str(work))
    return removed


#: Names the database a data directory belongs to (written with the first file it keeps there).
OWNER_FILE = ".pishraft-database"


def _database_name(session: Session) -> str:
    """Who the session's database is: cluster identifier (where readable), name and oid."""
    return str(session.execute(text("""
        SELECT CASE WHEN has_function_privilege('pg_control_system()', 'EXECUTE')
                    THEN (SELECT system_identifier::text FROM pg_control_system()) ELSE '' END
               || '/' || current_database() || '/' || (SELECT oid FROM pg_database WHERE datname = current_database())
    """)).scalar_one())


def _claim(session: Session) -> None:
    """Mark the data directory as the session's database's, the first time it writes a file there."""
    marker = get_settings().data_dir / OWNER_FILE
    if not marker.exists():
        marker.parent.mkdir(parents=True, exist_ok=True)
        marker.write_text(_database_name(session))


def _owned_by(session: Session, root: Path) -> bool:
    """Whether the data directory ``root`` was claimed by the session's database."""
    marker = root / OWNER_FILE
    return marker.exists() and marker.read_text().strip() == _database_name(session)


_WORK_FOLDER = re.compile(r"^pishraft-[a-z]+(?:-[a-z]+)*-(\d+)-")


def work_folder(kind: str) -> tempfile.TemporaryDirectory[str]:
    """A private temporary folder for one piece of work (an upload, a conversion), removed
    when done; named ``pishraft-<kind>-<pid>-…`` so that :func:`clear_leftovers` can tell
    the folders of a killed process from those of a running one."""
    return tempfile.TemporaryDirectory(prefix=f"pishraft-{kind}-{os.getpid()}-")


def storage_full(folder: Path | None = None) -> StorageFull:
    """The error for a write that ran out of disk: names the folder (default the data
    directory), what is free there, and the upload limit."""
    where = folder or get_settings().data_dir
    try:
        free = f"{shutil.disk_usage(where).free / 1e6:.1f} MB free"
    except OSError:
        free = "its free space unknown"
    return StorageFull(
        f"The server ran out of disk space while saving this ({where} has {free}; uploads may be up to "
        f"PISHRAFT_MAX_UPLOAD_MB = {get_settings().max_upload_mb} MB). Nothing was saved; ask the administrator "
        "to free space, or send a smaller file.", field="file")
