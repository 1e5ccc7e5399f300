"""Run one loading job in a separate Python process.

``multiprocessing`` with *spawn* re-imports the caller's ``__main__`` (a user's
script without an ``if __name__ == "__main__"`` guard would run twice), and
*fork* copies Arrow's and GDAL's thread pools into a child that may deadlock
on them. So the parent starts ``python -m landclear._worker JOB IN OUT``: the
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

    Examples
    --------
    >>> job = Job("ledgers", project)  # doctest: +SKIP
    >>> frames, log = job.result()  # doctest: +SKIP
    """

    def __init__(self, name: str, argument: Any) -> None:
        if name not in JOBS:
            raise ValueError(f"unknown job {name!r}")
        self._dir = tempfile.TemporaryDirectory(prefix="landclear-")
        self._in = Path(self._dir.name) / "in.pkl"
        self._out = Path(self._dir.name) / "out.pkl"
        self._in.write_bytes(pickle.dumps(argument, protocol=pickle.HIGHEST_PROTOCOL))
        package_root = str(Path(__file__).resolve().parents[1])
        path = os.pathsep.join(p for p in (package_root, os.environ.get("PYTHONPATH")) if p)
        self._proc = subprocess.Popen(
            [sys.executable, "-m", "landclear._worker", name, str(self._in), str(self._out)],
            env={**os.environ, "PYTHONPATH": path},
            stdin=subprocess.DEVNULL,
        )

    def result(self) -> Any:
        """The job's return value; an error it raised is raised here."""
        try:
            code = self._proc.wait()
            if not self._out.exists():
                raise RuntimeError(f"landclear worker exited with code {code} and no result")
            status, value, trace = pickle.loads(self._out.read_bytes())
        finally:
            self._dir.cleanup()
        if status == "ok":
            return value
        if isinstance(value, LandclearError):
            raise value
        raise RuntimeError(f"landclear worker failed:\n{trace}") from value

    def cancel(self) -> None:
        """Stop the worker (after an error in the parent)."""
        if self._proc.poll() is None:
            self._proc.kill()
            self._proc.wait()
        self._dir.cleanup()


def _main(argv: list[str]) -> int:
    name, source, target = argv
    module, func = JOBS[name].split(":")
    argument = pickle.loads(Path(source).read_bytes())
    try:
        fn = getattr(__import__(module, fromlist=[func]), func)
        outcome: tuple[str, Any, str] = ("ok", fn(argument), "")
    except Exception as exc:  # reported to the parent, which raises it
        try:
            pickle.dumps(exc)
        except Exception:
            exc = RuntimeError(repr(exc))
        outcome = ("error", exc, traceback.format_exc())
    Path(target).write_bytes(pickle.dumps(outcome, protocol=pickle.HIGHEST_PROTOCOL))
    return 0


if __name__ == "__main__":
    sys.exit(_main(sys.argv[1:]))
