"""Where the packaged templates and presets are.

In a checkout (and an editable install) they are the top-level `templates/` and
`configs/` folders; in a wheel they ship as `gh_ft/templates` and `gh_ft/configs`.
A project can override both by `gh-ft init`, which copies them into the project.
"""
from __future__ import annotations

from pathlib import Path

_PACKAGE = Path(__file__).resolve().parent


def packaged_dir(name: str) -> Path:
    """`templates`, `configs` or `launchd`: the folder shipped with gh-ft."""
    in_wheel = _PACKAGE / name
    if in_wheel.is_dir():
        return in_wheel
    in_checkout = _PACKAGE.parent / name
    if in_checkout.is_dir():
        return in_checkout
    raise FileNotFoundError(f"gh-ft's {name}/ folder is missing from the installation ({_PACKAGE})")


def find_file(name: str, kind: str, project_dir: Path | None) -> Path:
    """The project's copy (after `gh-ft init`) wins over the packaged one."""
    if project_dir is not None:
        own = Path(project_dir) / kind / name
        if own.is_file():
            return own
    return packaged_dir(kind) / name
