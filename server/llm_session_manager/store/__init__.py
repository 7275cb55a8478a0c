"""The embedded SQLite store: one file, WAL, apsw, sqlite-vec and FTS5."""

from ..core.paths import data_dir
from .connection import DB_NAME, SCHEMA_VERSION, connect, db_path, write_transaction

__all__ = ["DB_NAME", "SCHEMA_VERSION", "connect", "data_dir", "db_path", "write_transaction"]
