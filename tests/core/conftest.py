from pathlib import Path

import pytest
from sqlalchemy.engine import Engine

from bot.storage.conversations import ConversationStore
from bot.storage.database import make_engine
from bot.storage.schema import upgrade_schema


@pytest.fixture
def db(tmp_path: Path) -> Engine:
    """A real SQLite file at the newest schema."""
    engine = make_engine(f"sqlite:///{tmp_path / 'bot.db'}")
    upgrade_schema(engine)
    return engine


@pytest.fixture
def store(db: Engine) -> ConversationStore:
    return ConversationStore(db)
