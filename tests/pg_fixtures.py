"""Pytest fixtures for a real PostgreSQL server (see postgres_server.py).

Register them from a conftest with `from pg_fixtures import pg_database, postgres_url`.
`postgres_url` starts one server per test session (installing Debian's package first when it
is missing, which can take minutes on a new machine) and skips with the concrete reason when
PostgreSQL cannot be started here; `pg_database` gives each test its own empty database.
"""

from __future__ import annotations

from collections.abc import Iterator

import pytest
from postgres_server import PostgresServer, PostgresUnavailable, postgres_server

# The running server behind each URL handed out (keyed by URL, so registering the fixtures
# both in a conftest and in a test module cannot mix two servers up).
_SERVERS: dict[str, PostgresServer] = {}


@pytest.fixture(scope="session")
def postgres_url() -> Iterator[str]:
    """A SQLAlchemy URL (postgresql+psycopg) of a database on the session's real server."""
    try:
        with postgres_server() as server:
            _SERVERS[server.url] = server
            yield server.url
            _SERVERS.pop(server.url, None)
    except PostgresUnavailable as reason:
        pytest.skip(f"PostgreSQL could not be started here: {reason}")


@pytest.fixture
def pg_database(postgres_url: str) -> Iterator[str]:
    """The URL of a fresh, empty database of its own for one test, dropped afterwards."""
    server = _SERVERS[postgres_url]
    name = server.create_database()
    yield server.url_for(name)
    server.drop_database(name)
