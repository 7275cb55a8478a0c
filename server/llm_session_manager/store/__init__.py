"""The embedded SQLite store: one file, WAL, apsw, sqlite-vec and FTS5."""

from .connection import SCHEMA_VERSION, connect, data_dir, db_path, write_transaction

__all__ = ["SCHEMA_VERSION", "connect", "data_dir", "db_path", "write_transaction"]
