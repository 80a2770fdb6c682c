"""The training child of the mlx-lm back-end: `mlx_lm.lora`'s own main(), with one change.

mlx-lm 0.32.2's loss mask (`tuner.trainer.default_loss`) keeps targets at positions
offset ≤ k ≤ length, one past the row's last token: every row also trains the model to
predict the padding id (0) after its EOS. Axolotl trains exactly positions offset ≤ k < length.
This child installs `answer_loss`, the same cross-entropy with that bound, so mlx-lm trains on
the tokens Axolotl trains on (tests/test_mlx_backend.py shows both masks against Axolotl's
labels). Everything else — arguments, config file, data loading, training, saving, output —
is mlx_lm.lora's.

Ctrl-C (SIGINT from gh-ft) ends it with exit code 130 and no traceback; the adapter saved last
(every `save_every` iterations) is what `gh-ft train --resume` continues from.
"""
from __future__ import annotations

import functools
import sys


def target_mask(lengths, width: int):
    """Which targets (row positions 1..width) count: offset ≤ k < length, as Axolotl's labels."""
    import mlx.core as mx

    steps = mx.arange(1, width + 1)
    return mx.logical_and(steps >= lengths[:, 0:1], steps < lengths[:, 1:])


def answer_loss(model, batch, lengths):
    """mlx-lm's default_loss with the mask above."""
    import mlx.core as mx
    import mlx.nn as nn

    inputs, targets = batch[:, :-1], batch[:, 1:]
    logits = model(inputs)
    mask = target_mask(lengths, targets.shape[1])
    ce = nn.losses.cross_entropy(logits, targets) * mask
    ntoks = mask.sum()
    return ce.astype(mx.float32).sum() / ntoks, ntoks


def main(argv: list[str] | None = None) -> int:
    from mlx_lm import lora
    from mlx_lm.tuner import trainer

    lora.train = functools.partial(trainer.train, loss=answer_loss)
    sys.argv = ["mlx_lm.lora", *(sys.argv[1:] if argv is None else argv)]
    try:
        lora.main()
    except KeyboardInterrupt:
        print("\ninterrupted: stopping (the adapter saved last is kept)", flush=True)
        return 130
    return 0


if __name__ == "__main__":
    sys.exit(main())
