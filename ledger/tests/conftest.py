"""Ledger fixtures (the accounts themselves are described in ``helpers.py``)."""

import pytest

from .helpers import Books, open_books


@pytest.fixture
def books(world) -> Books:
    return open_books(world)
