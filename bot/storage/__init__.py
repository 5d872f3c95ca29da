"""Relational state: SQLModel tables, the database engine, and schema migrations."""
