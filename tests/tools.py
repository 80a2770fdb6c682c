"""Helpers for tests that need an outside tool (mcs, go, a built llama.cpp).

Locally a missing tool skips the test with the reason; in CI (GH_FT_CI=1, set by .ci/run)
it fails, so a check can never pass there by not running.
"""
from __future__ import annotations

import os
import shutil

import pytest


def in_ci() -> bool:
    return os.environ.get("GH_FT_CI") == "1"


def require_tool(name: str, why: str) -> str:
    """The path of executable `name`; skip (locally) or fail (CI) when it is missing."""
    path = shutil.which(name)
    if path:
        return path
    message = f"{name} is not installed ({why})"
    if in_ci():
        pytest.fail(message)
    pytest.skip(message)


def require_module(name: str, why: str):
    """Import and return module `name`; skip (locally) or fail (CI) when it is missing."""
    try:
        return __import__(name)
    except ImportError as e:
        message = f"Python module {name} is not importable ({why}): {e}"
        if in_ci():
            pytest.fail(message)
        pytest.skip(message)
