"""The SQLAlchemy engine: SQLite in WAL mode by default, any SQLAlchemy URL otherwise."""

from __future__ import annotations

from typing import Any

from sqlalchemy import event
from sqlalchemy.engine import Engine
from sqlmodel import create_engine


def make_engine(url: str, *, echo: bool = False) -> Engine:
    """Create an engine; for SQLite, WAL + foreign keys + a busy timeout on every connection.

    WAL lets the scheduler and the adapters read while one writer commits; the busy timeout
    turns brief lock contention into a short wait instead of an error.
    """
    connect_args: dict[str, Any] = {}
    if url.startswith("sqlite"):
        connect_args["check_same_thread"] = False
    engine = create_engine(url, echo=echo, connect_args=connect_args, pool_pre_ping=True)
    if engine.dialect.name == "sqlite":
        event.listen(engine, "connect", _sqlite_pragmas)
        event.listen(engine, "begin", _sqlite_begin)
    return engine


def writer(engine: Engine) -> Engine:
    """The same engine, for transactions that read and then write.

    On SQLite such a transaction must take the write lock at BEGIN (IMMEDIATE): two
    deferred ones that both read and then write fail at once ("database is locked", or a
    stale WAL snapshot) instead of waiting. IMMEDIATE makes the second wait its turn
    (busy_timeout), and WAL keeps plain readers free. On PostgreSQL it changes nothing;
    row locks (SELECT ... FOR UPDATE) do that job there.
    """
    return engine.execution_options(sqlite_immediate=True)


def _sqlite_begin(connection: Any) -> None:
    immediate = connection.get_execution_options().get("sqlite_immediate", False)
    connection.exec_driver_sql("BEGIN IMMEDIATE" if immediate else "BEGIN")


def _sqlite_pragmas(dbapi_connection: Any, _record: Any) -> None:
    # Let SQLAlchemy's "begin" event issue BEGIN (IMMEDIATE) instead of the driver.
    dbapi_connection.isolation_level = None
    cursor = dbapi_connection.cursor()
    try:
        cursor.execute("PRAGMA journal_mode=WAL")
        cursor.execute("PRAGMA foreign_keys=ON")
        cursor.execute("PRAGMA busy_timeout=10000")
        cursor.execute("PRAGMA synchronous=NORMAL")
    finally:
        cursor.close()
