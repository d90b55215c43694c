from __future__ import annotations

import pytest

# The shared checks in tests/helpers.py report failures as pytest does in a test module.
pytest.register_assert_rewrite("tests.helpers")
