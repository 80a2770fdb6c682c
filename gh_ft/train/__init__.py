"""Training: the tiny local base model and the Axolotl orchestration around it."""
