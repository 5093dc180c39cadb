"""Every failure a command can meet, as one line and an exit code (see `jejak.cli.main`).

Jejak's own errors say what was wrong, what was expected and what to do; the rest are what the
operating system says about files and disks, put the same way. Anything else is a bug: it says
so, and how to report it, instead of a traceback.
"""

from __future__ import annotations

import errno

from jejak.engine.errors import JejakError, ValidationError

__all__ = ["describe_failure"]

EXIT_REFUSED = 1
EXIT_BAD_INPUT = 2

# A path the user gave that cannot be read as asked: bad input. Anything else the system
# refuses (a full or read-only disk, an I/O error) is a failed operation.
_BAD_PATH = {
    errno.ENOENT: "it does not exist",
    errno.EISDIR: "it is a directory",
    errno.ENOTDIR: "a part of it is not a directory",
    errno.EACCES: "permission denied",
    errno.EPERM: "permission denied",
    errno.ENAMETOOLONG: "the name is too long",
    errno.ELOOP: "too many symbolic links",
}
_CHECK = "check the disk and the device, then run the command again"
_FAILED = {
    errno.ENOSPC: ("no space left on the disk", "free some space, then run the command again"),
    errno.EDQUOT: ("the disk quota is used up", "free some space, then run the command again"),
    errno.EROFS: ("the file system is read-only", "use a writable place"),
    errno.EIO: ("an input/output error", "check the disk"),
}


def describe_failure(error: BaseException) -> tuple[str, int]:
    """The message (without the ``jejak: error:`` head) and the exit code for `error`."""
    if isinstance(error, ValidationError):
        return str(error), EXIT_BAD_INPUT
    if isinstance(error, JejakError):
        return str(error), EXIT_REFUSED
    if isinstance(error, OSError):
        return _os_error(error)
    message = (
        f"Internal error {type(error).__name__}: {error}. Nothing is stored that the command "
        "did not finish. Hint: run it again with `jejak --debug ...` and report the traceback."
    )
    return message, EXIT_REFUSED


def _os_error(error: OSError) -> tuple[str, int]:
    where = f" {error.filename!r}" if error.filename is not None else ""
    reason = error.strerror or str(error)
    if error.errno in _BAD_PATH:
        message = (
            f"Cannot use{where}: {_BAD_PATH[error.errno]}; expected a path this user can read "
            "(or write) as the command needs. Hint: check the path and its permissions."
        )
        return message, EXIT_BAD_INPUT
    what, hint = _FAILED.get(error.errno or 0, (reason, _CHECK))
    message = (
        f"Failed writing or reading{where}: {what}. Nothing is stored that the command did not "
        f"finish. Hint: {hint}."
    )
    return message, EXIT_REFUSED
