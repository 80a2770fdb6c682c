"""Judging generated components, and generation runs and reports.

The validation ladder is judge.py. Its API stage: api_index (the SDK name index),
component_api (the hand-kept table), api_check with api_scope and api_syntax. Its compile
stage: compile (batches, mcs calls), compile_units (wrapping one file), compile_errors
(classing mcs's errors), refasm with refasm_render and refasm_hand (the reference
assembly generated from the same stubs, data/api_signatures.json.gz, plus the hand-kept
data/grasshopper_core.cs). Runs and reports: run, metrics, report."""
