class GhFtError(Exception):
    """Base of every error gh-ft reports as one line."""
