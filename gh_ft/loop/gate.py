"""The promotion gate: is a new version at least as good as the one being served?

Pure: two score records in, a verdict out. The judge's pass rate decides first; when the
pass rates are within the allowed drop of each other (both 0 early on, with a small
model), the test-set loss decides. A candidate is promoted only when it is not worse:
  - pass rate strictly higher (by more than the noise of float sums): promoted;
  - pass rate lower by more than `max_pass_rate_drop`: refused;
  - otherwise: promoted when its test loss is at most the current one + `max_loss_increase`.
No loss, or a loss that is not a finite number, counts as worse than any loss.
"""
from __future__ import annotations

import math
from dataclasses import dataclass

EPSILON = 1e-9  # two evaluations of the same model must not differ by float rounding


@dataclass(frozen=True)
class Scores:
    pass_rate: float            # share of test tasks whose answer passed the whole judge ladder
    test_loss: float | None     # mean answer-token loss of the test references (lower is better)
    tasks: int = 0
    spec_match_rate: float | None = None   # the spec stage: share of the tasks' fields the answers match

    def to_dict(self) -> dict:
        d = {"pass_rate": self.pass_rate, "test_loss": self.test_loss, "tasks": self.tasks}
        if self.spec_match_rate is not None:
            d["spec_match_rate"] = self.spec_match_rate
        return d

    @classmethod
    def from_dict(cls, d: dict) -> "Scores":
        return cls(float(d["pass_rate"]), None if d.get("test_loss") is None else float(d["test_loss"]),
                   int(d.get("tasks", 0)),
                   None if d.get("spec_match_rate") is None else float(d["spec_match_rate"]))


@dataclass(frozen=True)
class Verdict:
    promote: bool
    reason: str


def _loss(s: Scores) -> float:
    return s.test_loss if s.test_loss is not None and math.isfinite(s.test_loss) else math.inf


def decide(candidate: Scores, current: Scores, *, max_pass_rate_drop: float = 0.0,
           max_loss_increase: float = 0.0) -> Verdict:
    """Promote `candidate` over `current` only if it is not worse (see the module doc)."""
    if max_pass_rate_drop < 0 or max_loss_increase < 0:
        raise ValueError("the gate's allowances must be >= 0")
    if candidate.tasks and current.tasks and candidate.tasks != current.tasks:
        raise ValueError(f"scores from different test sets ({candidate.tasks} vs {current.tasks} tasks) "
                         "cannot be compared")
    cp, kp = candidate.pass_rate, current.pass_rate
    rates = f"pass rate {cp:.1%} vs {kp:.1%}"
    if cp > kp + EPSILON:
        return Verdict(True, f"{rates}: better")
    if cp < kp - max_pass_rate_drop - EPSILON:
        return Verdict(False, f"{rates}: dropped by more than {max_pass_rate_drop:.1%}")
    cl, kl = _loss(candidate), _loss(current)
    losses = f"test loss {cl:.4f} vs {kl:.4f}"
    if math.isinf(cl) and not math.isinf(kl):
        return Verdict(False, f"{rates}; no test loss for the candidate")
    if cl <= kl + max_loss_increase + EPSILON:
        return Verdict(True, f"{rates}; {losses}: not worse")
    return Verdict(False, f"{rates}; {losses}: worse by more than {max_loss_increase:g}")
