"""Independent reads of one page run side by side, each on its own pooled connection.

The dashboard asks PostgreSQL five independent questions about a team (its deadlines, the
12 weeks' timeliness, late recording, the work panel's unallocated cases, assessments and
oversight). Each already runs in a session of its own, so running them at the same time changes
no answer; it overlaps their waits on the database, so the page costs the longest of them
rather than their sum. Only on PostgreSQL: SQLite serves one file from this process, and an
in-memory SQLite database shares a single connection that threads must not use at once.
"""

from __future__ import annotations

import contextvars
from collections.abc import Callable
from concurrent.futures import Future, ThreadPoolExecutor
from typing import Any, ParamSpec, TypeVar

from workflows.persistence import SessionFactory

__all__ = ["Reads"]

P = ParamSpec("P")
T = TypeVar("T")

_POOL = ThreadPoolExecutor(max_workers=16, thread_name_prefix="esafety-reads")
"""Threads for the reads of every request of this process (each holds a database connection
while it runs: the web pool keeps 20, with 10 more on demand)."""


class Reads:
    """`reads(fn, *args)` starts `fn(*args)` and gives its future: in a thread of the pool on
    PostgreSQL, at once in the caller's thread elsewhere (the future is then already done, its
    exception kept for `result()` as a thread's would be)."""

    def __init__(self, session_factory: SessionFactory) -> None:
        bind: Any = session_factory.kw.get("bind")
        self.parallel = bind is not None and bind.dialect.name == "postgresql"

    def __call__(self, fn: Callable[P, T], /, *args: P.args, **kwargs: P.kwargs) -> Future[T]:
        if self.parallel:
            # with the caller's context variables (the request's log fields), as in its thread
            context = contextvars.copy_context()

            def run() -> T:
                return context.run(fn, *args, **kwargs)

            return _POOL.submit(run)
        done: Future[T] = Future()
        try:
            done.set_result(fn(*args, **kwargs))
        except Exception as exc:
            done.set_exception(exc)
        return done
