"""The improvement loop: the plugin's feedback files taken into the dataset (feedback.py, with
the file contract in feedback_contract.py), the improve rounds (improve.py), the promotion
gate (gate.py) and the registry of trained versions (registry.py)."""
