"""Jobs run inside the request in these tests, so no test needs a running worker."""

from __future__ import annotations

import pytest
from huey.contrib.djhuey import HUEY
from huey.storage import MemoryStorage


@pytest.fixture(autouse=True)
def _jobs_run_at_once(monkeypatch: pytest.MonkeyPatch) -> None:
    # huey's immediate mode (what `HUEY.immediate = True` sets), undone exactly after
    # each test: the setter would rebuild the real storage on the way back.
    monkeypatch.setattr(HUEY, "_immediate", True)
    monkeypatch.setattr(HUEY, "storage", MemoryStorage(HUEY.name))
