"""The ``--update-snapshots`` option of the output snapshots (see ``test_output_snapshots.py``).

pytest reads options only from conftests it finds before collecting, so give it this
folder: ``pytest tests/snapshots --update-snapshots``.
"""

from __future__ import annotations

import pytest


def pytest_addoption(parser: pytest.Parser) -> None:
    parser.addoption(
        "--update-snapshots", action="store_true", default=False,
        help="rewrite tests/snapshots/outputs/ from what the CLI prints now, instead of comparing",
    )


@pytest.fixture
def update_snapshots(request: pytest.FixtureRequest) -> bool:
    """Whether this run rewrites the snapshots; false when pytest started from a folder above this one."""
    return bool(request.config.getoption("--update-snapshots", default=False))
