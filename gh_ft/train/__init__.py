"""Training: the tiny local base model and the Axolotl orchestration around it."""

from gh_ft.errors import GhFtError


class TrainError(GhFtError, RuntimeError):
    """A training or merge run could not be made or failed; every back-end raises it."""
