"""`side_by_side.Reads`: a page's independent reads in threads on PostgreSQL, in the caller's
thread on SQLite, with the same answers and errors either way."""

from __future__ import annotations

import contextvars
import threading

import pytest
from sqlalchemy import Engine, text

from esafety_flow.web.side_by_side import Reads
from workflows.persistence import SessionFactory

WHO: contextvars.ContextVar[str] = contextvars.ContextVar("who", default="nobody")


def _answer(sf: SessionFactory, n: int) -> tuple[int, str, bool]:
    with sf() as s:
        value = int(s.execute(text("SELECT :n + 1"), {"n": n}).scalar_one())
    return value, WHO.get(), threading.current_thread() is threading.main_thread()


def test_reads_give_the_same_answers_in_threads_on_postgresql_only(
    engine: Engine, session_factory: SessionFactory
) -> None:
    reads = Reads(session_factory)
    assert reads.parallel is (engine.dialect.name == "postgresql")
    WHO.set("pat")
    futures = [reads(_answer, session_factory, n) for n in range(5)]
    answers = [f.result() for f in futures]
    assert [a[:2] for a in answers] == [(n + 1, "pat") for n in range(5)]
    # in the pool's threads on PostgreSQL, in this (the main) thread on SQLite
    assert {a[2] for a in answers} == {not reads.parallel}


def test_an_error_of_a_read_is_raised_by_its_result(session_factory: SessionFactory) -> None:
    def broken() -> int:
        raise ValueError("no such team")

    read = Reads(session_factory)(broken)
    with pytest.raises(ValueError, match="no such team"):
        read.result()
