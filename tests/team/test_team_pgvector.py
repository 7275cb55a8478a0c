"""The team tests' PostgreSQL has pgvector where ``make system-deps`` ran (CI always): built
from Debian's source package on Debian 12 (scripts/install_pgvector.sh, docs/team.md#pgvector),
so team memories can be tested on it, and on a server without it, against the fallback."""

from __future__ import annotations

import os

import psycopg
import pytest
from team_fixtures import postgres  # noqa: F401 -- fixtures

pytestmark = pytest.mark.slow  # it starts PostgreSQL


def test_pgvector_is_there_and_measures_cosine_distance(postgres) -> None:
    with psycopg.connect(postgres.database()) as conn:
        if not conn.execute("SELECT 1 FROM pg_available_extensions WHERE name = 'vector'").fetchone():
            if os.environ.get("CI"):
                pytest.fail("pgvector is missing on CI: 'make system-deps' builds it (scripts/install_pgvector.sh)")
            pytest.skip("pgvector is not installed for this PostgreSQL (make system-deps)")
        conn.execute("CREATE EXTENSION vector")
        distance = conn.execute("SELECT '[1, 0, 0]'::vector <=> '[0, 1, 0]'::vector").fetchone()
    assert distance == (1.0,)
