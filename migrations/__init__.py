"""Alembic environment and revisions for the bot's SQLModel tables."""
