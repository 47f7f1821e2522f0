"""Small file I/O helpers shared by every reader and writer.

atomic_write(path, data)                         # temporary file, fsync, rename
text = read_input_file(path, "spec file", SpecError, limit=SPEC_LIMIT)

`read_input_file` is the one way user input files (specs, sweeps, data files, model configs)
are read: only a regular file of bounded size, opened without blocking (a FIFO or a device
is refused, never waited on or read forever), decoded as UTF-8 (a leading BOM dropped).
"""

from __future__ import annotations

import os
import stat
import tempfile
from pathlib import Path

from forgetlab.errors import ForgetlabError

SPEC_LIMIT = 4 * 2**20  # a spec, sweep or model config: 4 MiB is far above any real one
DATA_LIMIT = 2 * 2**30  # a JSONL/CSV data file is read whole into memory


def atomic_write(path: Path, data: bytes | str) -> None:
    """Write to a temporary file in the same folder, fsync, then rename over `path`."""
    path.parent.mkdir(parents=True, exist_ok=True)
    raw = data.encode() if isinstance(data, str) else data
    fd, tmp = tempfile.mkstemp(dir=path.parent, prefix=f".{path.name}.")
    try:
        os.fchmod(fd, 0o644)
        with os.fdopen(fd, "wb") as f:
            f.write(raw)
            f.flush()
            os.fsync(f.fileno())
        os.replace(tmp, path)
    except BaseException:
        Path(tmp).unlink(missing_ok=True)
        raise


def _kind(mode: int) -> str:
    for test, name in (
        (stat.S_ISDIR, "a directory"),
        (stat.S_ISFIFO, "a FIFO (named pipe)"),
        (stat.S_ISCHR, "a character device"),
        (stat.S_ISBLK, "a block device"),
        (stat.S_ISSOCK, "a socket"),
    ):
        if test(mode):
            return name
    return "not a regular file"


def _size(n: int) -> str:
    return f"{n / 2**20:.0f} MiB" if n < 2**30 else f"{n / 2**30:.0f} GiB"


def read_input_bytes(path: str | Path, what: str, error: type[ForgetlabError], limit: int) -> bytes:
    """The bytes of the regular file `path`, at most `limit` of them; `error` naming
    `what` and the path when it is missing, not a regular file, too large or unreadable."""
    name = repr(str(path))
    try:
        # O_NONBLOCK: opening a FIFO with no writer returns at once instead of waiting
        fd = os.open(path, os.O_RDONLY | os.O_NONBLOCK | getattr(os, "O_CLOEXEC", 0))
    except FileNotFoundError:
        raise error(f"{what} {name} does not exist") from None
    except OSError as e:
        raise error(f"{what} {name} cannot be read: {e.strerror}") from None
    try:
        st = os.fstat(fd)
        if not stat.S_ISREG(st.st_mode):
            raise error(f"{what} {name} cannot be read: it is {_kind(st.st_mode)}")
        if st.st_size > limit:
            raise error(f"{what} {name} is {_size(st.st_size)}, above the {_size(limit)} limit")
        os.set_blocking(fd, True)
        chunks, total = [], 0
        while chunk := os.read(fd, min(1 << 20, limit + 1 - total)):
            chunks.append(chunk)
            total += len(chunk)
            if total > limit:  # the file grew while we read it
                raise error(f"{what} {name} is above the {_size(limit)} limit")
        return b"".join(chunks)
    except OSError as e:
        raise error(f"{what} {name} cannot be read: {e.strerror}") from None
    finally:
        os.close(fd)


def read_input_file(path: str | Path, what: str, error: type[ForgetlabError], limit: int) -> str:
    """`read_input_bytes` decoded as UTF-8 (a leading byte-order mark is dropped)."""
    raw = read_input_bytes(path, what, error, limit)
    try:
        return raw.decode("utf-8-sig")
    except UnicodeDecodeError as e:
        raise error(f"{what} {str(path)!r} is not UTF-8 text (byte {e.start})") from None
