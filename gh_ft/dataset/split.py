"""The grouped, hash-stable train/test split: adding data never moves an example across it."""
from __future__ import annotations

import hashlib
from typing import Sequence

from gh_ft.dataset.example import Example

def split_side(group: str, seed: int, test_fraction: float) -> str:
    """'test' or 'train', from sha256(f"{seed}:{group}") alone: stable as data grows."""
    if not 0.0 <= test_fraction <= 1.0:
        raise ValueError(f"test_fraction must be in [0, 1], got {test_fraction}")
    digest = hashlib.sha256(f"{seed}:{group}".encode("utf-8", "surrogatepass")).digest()
    return "test" if int.from_bytes(digest[:8], "big") < test_fraction * 2**64 else "train"


def group_key(ex: Example) -> str:
    """The split group of an example: its group, or its source when it has none."""
    return ex.group or ex.source


def split_examples(examples: Sequence[Example], seed: int, test_fraction: float
                   ) -> tuple[list[Example], list[Example]]:
    """(train, test), whole groups to one side, input order kept."""
    train: list[Example] = []
    test: list[Example] = []
    for ex in examples:
        (test if split_side(group_key(ex), seed, test_fraction) == "test" else train).append(ex)
    return train, test

