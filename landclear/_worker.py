"""Run one loading job in a separate Python process.

``multiprocessing`` with *spawn* re-imports the caller's ``__main__`` (a user's
script without an ``if __name__ == "__main__"`` guard would run twice), and
*fork* copies Arrow's and GDAL's thread pools into a child that may deadlock
on them. So the parent starts ``python -P -m landclear._worker JOB IN OUT``: the
job's argument is pickled to ``IN``, its result (or the error it raised) to
``OUT``.
"""

from __future__ import annotations

import os
import pickle
import subprocess
import sys
import tempfile
import traceback
from pathlib import Path
from typing import Any

from landclear.errors import LandclearError

__all__ = ["Job"]

#: Jobs a worker may run: name → "module:function".
JOBS = {"ledgers": "landclear.loading:_ledger_job"}


class Job:
    """A job started in a worker process; :meth:`result` waits for it.

    The argument and the result pass through files in a temporary folder
    (written whole, then renamed); the worker's error output is kept there
    too, so that a crash (out of memory, a missing library) is reported with
    what the worker printed.

    Examples
    --------
    >>> job = Job("ledgers", project)  # doctest: +SKIP
    >>> frames, log, keys = job.result()  # doctest: +SKIP
    """

    def __init__(self, name: str, argument: Any) -> None:
        if name not in JOBS:
            raise ValueError(f"unknown job {name!r}")
        self._dir = tempfile.TemporaryDirectory(prefix="landclear-")
        folder = Path(self._dir.name)
        self._in, self._out, self._err = folder / "in.pkl", folder / "out.pkl", folder / "err.txt"
        with open(self._in, "wb") as fh:
            pickle.dump(argument, fh, protocol=pickle.HIGHEST_PROTOCOL)
        package_root = str(Path(__file__).resolve().parents[1])
        path = os.pathsep.join(p for p in (package_root, os.environ.get("PYTHONPATH")) if p)
        with open(self._err, "wb") as err:
            self._proc = subprocess.Popen(
                # -P: not the working directory first on the path, where another
                # checkout's landclear would be imported instead of this one.
                [
                    sys.executable,
                    "-P",
                    "-m",
                    "landclear._worker",
                    name,
                    str(self._in),
                    str(self._out),
                ],
                env={**os.environ, "PYTHONPATH": path},
                stdin=subprocess.DEVNULL,
                stderr=err,
            )

    def done(self) -> bool:
        """Whether the worker has finished (its result is ready, or it failed): no waiting."""
        return self._proc.poll() is not None

    def result(self) -> Any:
        """The job's return value; an error it raised is raised here, with its type."""
        try:
            code = self._proc.wait()
            if code != 0 or not self._out.exists():
                tail = self._err.read_text("utf-8", errors="replace")[-2000:]
                raise RuntimeError(f"landclear worker exited with code {code}:\n{tail}")
            with open(self._out, "rb") as fh:
                status, value, trace = pickle.load(fh)
        finally:
            self._dir.cleanup()
        if status == "ok":
            return value
        if not isinstance(value, LandclearError):
            value.add_note(f"in the landclear worker process:\n{trace}")
        raise value

    def cancel(self) -> None:
        """Stop the worker (after an error in the parent)."""
        if self._proc.poll() is None:
            self._proc.kill()
            self._proc.wait()
        self._dir.cleanup()


def _main(argv: list[str]) -> int:
    name, source, target = argv
    module, func = JOBS[name].split(":")
    with open(source, "rb") as fh:
        argument = pickle.load(fh)
    try:
        fn = getattr(__import__(module, fromlist=[func]), func)
        outcome: tuple[str, Any, str] = ("ok", fn(argument), "")
    except Exception as exc:  # reported to the parent, which raises it
        try:
            pickle.dumps(exc)
        except Exception:
            exc = RuntimeError(repr(exc))
        outcome = ("error", exc, traceback.format_exc())
    partial = Path(target).with_suffix(".partial")
    with open(partial, "wb") as fh:
        pickle.dump(outcome, fh, protocol=pickle.HIGHEST_PROTOCOL)
    os.replace(partial, target)  # the parent never reads half a result
    return 0


if __name__ == "__main__":
    sys.exit(_main(sys.argv[1:]))
