"""Writing a file or a folder so that a crash never leaves a broken one.

The content goes to a temporary file (or folder) beside the target, is
flushed to disk, then takes the target's place in one step: a process killed
at any moment leaves either the previous target or the new one. A temporary
left by a killed process is removed by the next write of the same target.
"""

import contextlib
import ctypes
import os
import shutil

_TMP = ".tmp"


def _temporary(path):
    folder, name = os.path.split(os.path.abspath(os.fspath(path)))
    return folder, name, os.path.join(folder, f".{name}.{os.getpid()}{_TMP}")


def _remove_stale(folder, name):
    """Temporaries of ``name`` whose writing process is gone."""
    prefix = f".{name}."
    for entry in os.listdir(folder):
        if not (entry.startswith(prefix) and entry.endswith(_TMP)):
            continue
        pid = entry[len(prefix) : -len(_TMP)].split(".")[0]
        if not pid.isdigit() or _alive(int(pid)):
            continue
        stale = os.path.join(folder, entry)
        if os.path.isdir(stale) and not os.path.islink(stale):
            shutil.rmtree(stale, ignore_errors=True)
        else:
            with contextlib.suppress(FileNotFoundError):
                os.remove(stale)


def _alive(pid):
    if pid == os.getpid():
        return True
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:
        return True
    return True


def _fsync(path):
    fd = os.open(path, os.O_RDONLY)
    try:
        os.fsync(fd)
    finally:
        os.close(fd)


@contextlib.contextmanager
def replaced_file(path):
    """Yield a binary file object whose content replaces ``path`` on success."""
    folder, name, tmp = _temporary(path)
    _remove_stale(folder, name)
    try:
        with open(tmp, "wb") as f:
            yield f
            f.flush()
            os.fsync(f.fileno())
        os.replace(tmp, os.path.join(folder, name))
    except BaseException:
        with contextlib.suppress(FileNotFoundError):
            os.remove(tmp)
        raise
    _fsync(folder)


def _exchange(a, b):
    """Swap two paths in one step (Linux renameat2), False where unavailable."""
    try:
        libc = ctypes.CDLL(None, use_errno=True)
        renameat2 = libc.renameat2
    except (OSError, AttributeError):
        return False
    at_fdcwd, rename_exchange = -100, 2
    result = renameat2(
        at_fdcwd, os.fsencode(a), at_fdcwd, os.fsencode(b), rename_exchange
    )
    return result == 0


@contextlib.contextmanager
def replaced_folder(path):
    """Yield a folder path whose content replaces the folder ``path``.

    Where the system can swap two folders in one step (Linux), an existing
    target is swapped with the new folder; elsewhere it is moved aside first,
    which leaves a moment without a target (but the previous folder intact
    beside it).
    """
    folder, name, tmp = _temporary(path)
    _remove_stale(folder, name)
    target = os.path.join(folder, name)
    if os.path.lexists(tmp):
        shutil.rmtree(tmp)
    try:
        yield tmp
        for root, _, files in os.walk(tmp):
            for file in files:
                _fsync(os.path.join(root, file))
            _fsync(root)
        if os.path.isdir(target) and not os.path.islink(target):
            if not _exchange(tmp, target):
                aside = os.path.join(folder, f".{name}.{os.getpid()}.old{_TMP}")
                os.replace(target, aside)
                os.replace(tmp, target)
                tmp = aside
            shutil.rmtree(tmp, ignore_errors=True)
        else:
            os.replace(tmp, target)
    except BaseException:
        shutil.rmtree(tmp, ignore_errors=True)
        raise
    _fsync(folder)
