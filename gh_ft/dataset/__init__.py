"""Dataset hygiene shared by collection, training's dataset check and feedback ingestion.

A fine-tuning set built from one developer's plugins is full of near-copies: a component
pasted into another plugin with a new GUID, new display strings, renamed locals and a
reformat. Left in, they inflate the set and, split across train/test, make evaluation
measure memorisation. So code is compared on a *normalised* token stream (no layout,
comments or literal text; declared names alpha-renamed, API names kept): exact copies by
fingerprint, near copies by MinHash/LSH with exact Jaccard verification. The split is
grouped and hash-stable, so adding data never moves an existing example across it.
Everything is deterministic: sha256/blake2b and fixed seeds, never Python's salted hash().
"""
from gh_ft.dataset.example import Example, stable_hash
from gh_ft.dataset.neardup import (CodeSketch, NearDupIndex, cluster_near_duplicates, dedup_examples, find_leaks,
                                   sketch)
from gh_ft.dataset.normalize import code_fingerprint, normalized_tokens
from gh_ft.dataset.split import group_key, split_examples, split_side

__all__ = ["CodeSketch", "Example", "NearDupIndex", "cluster_near_duplicates", "code_fingerprint", "dedup_examples",
           "find_leaks", "group_key", "normalized_tokens", "sketch", "split_examples", "split_side", "stable_hash"]
