"""The command's standard streams when their reader leaves early (`ctdl … | head -1`).

Writing to a pipe whose reader has gone raises BrokenPipeError wherever the command was printing; the reader
had all it wanted, so that is neither a failure (click's exit 1) nor an error. ``cli.entry`` wraps stdout and
stderr pipes (:func:`tolerate_closed_pipes`) so that later writes go nowhere and the command ends with its own
exit code; :func:`silence_stdout` is the same for code that meets the error itself.
"""

from __future__ import annotations

import contextlib
import io
import os
import stat
import sys


def point_at_devnull(fd: int) -> None:
    """``fd`` writes to /dev/null from now on (a flush at exit would fail again on the gone reader)."""
    devnull = os.open(os.devnull, os.O_WRONLY)
    try:
        os.dup2(devnull, fd)
    finally:
        os.close(devnull)


def stdout_reader_gone() -> bool:
    """Whether standard output is a pipe whose reader has closed it (a BrokenPipeError may come from another pipe:
    a worker process's, a socket's, which is a failure, not a reader that had all it wanted)."""
    import select

    try:
        fd = sys.stdout.fileno()
        if not stat.S_ISFIFO(os.fstat(fd).st_mode) or not hasattr(select, "poll"):
            return False
        poller = select.poll()
        poller.register(fd, select.POLLOUT)
        return any(events & select.POLLERR for _, events in poller.poll(0))  # a pipe with no reader left
    except (AttributeError, OSError, ValueError):
        return False


def silence_stdout() -> None:
    """Standard output to /dev/null: its reader has gone."""
    with contextlib.suppress(OSError, ValueError, AttributeError):
        point_at_devnull(sys.stdout.fileno())


class ReaderMayLeave(io.RawIOBase):
    """A standard stream's file descriptor (a pipe) whose reader may leave early (`| head -1`): what is written
    after that goes to /dev/null instead of raising BrokenPipeError in whatever command was printing. The
    command runs to its end and exits with its own code (`ctdl ler check … | head -1` still exits 1 for a link
    that does not resolve): a reader that had all it wanted is neither a failure (click's exit 1) nor an error."""

    def __init__(self, fd: int) -> None:
        super().__init__()
        self.fd = fd

    def writable(self) -> bool:
        return True

    def fileno(self) -> int:
        return self.fd

    def isatty(self) -> bool:
        return False  # a pipe

    def write(self, data: bytes) -> int | None:  # type: ignore[override]
        try:
            return os.write(self.fd, data)
        except BlockingIOError:  # a non-blocking pipe that is full: as io.FileIO says it to io.BufferedWriter
            return None
        except BrokenPipeError:
            point_at_devnull(self.fd)
            return memoryview(data).nbytes


def tolerate_closed_pipes() -> None:
    """Standard output and error that are pipes, rewrapped over :class:`ReaderMayLeave` (same encoding, error
    handler and buffering); files, terminals and closed streams (None: `>&-`) are left as they are."""
    for name in ("stdout", "stderr"):
        stream = getattr(sys, name)
        try:
            fd = stream.fileno()
            mode = os.fstat(fd).st_mode
            if not stat.S_ISFIFO(mode) and not stat.S_ISSOCK(mode):
                continue
            stream.flush()
        except (AttributeError, OSError, ValueError):  # None, or not a real file
            continue
        wrapped = io.TextIOWrapper(io.BufferedWriter(ReaderMayLeave(fd)), encoding=stream.encoding,
                                   errors=stream.errors, line_buffering=stream.line_buffering,
                                   write_through=getattr(stream, "write_through", False))
        setattr(sys, name, wrapped)
