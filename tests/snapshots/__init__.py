"""Output snapshots; a package so its conftest is ``snapshots.conftest`` and does not hide
``tests/conftest.py`` from ``from conftest import``."""
