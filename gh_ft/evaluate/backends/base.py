"""What every generation backend offers: rendered prompts in, timed completions out.

Backends (transformers now; llama.cpp and Ollama later) differ in how they run a model,
never in what they return: the answer text after the prompt, cut the same way, with
its token count and latency, so evaluation compares them like for like.
"""
from __future__ import annotations

from dataclasses import dataclass
from typing import Protocol, runtime_checkable

from gh_ft.prompt import cut_at_stop


@dataclass(frozen=True)
class Generation:
    text: str       # the answer: prompt excluded, cut at EOS and at the first stop marker
    tokens: int     # tokens generated (EOS or the stop text included)
    seconds: float  # from the request until this answer was complete

    @property
    def tokens_per_second(self) -> float:
        return self.tokens / self.seconds if self.seconds > 0 else 0.0


@runtime_checkable
class Backend(Protocol):
    kind: str  # registry key: "transformers", "llamacpp", "ollama"
    name: str  # what the report calls the model, e.g. "tiny-model+adapter"

    def generate(self, prompts: list[str], *, max_new_tokens: int, temperature: float = 0.0, n: int = 1,
                 seed: int = 0) -> list[list[Generation]]:
        """`n` generations per prompt, in prompt order. Prompts are already rendered
        (gh_ft.prompt.render_prompt); temperature 0 is greedy decoding."""
        ...

    def close(self) -> None:
        """Free the model (memory, a server process); the backend is unusable afterwards."""
        ...


def check_sampling(max_new_tokens: int, temperature: float, n: int) -> None:
    """Reject settings that make pass@k meaningless: greedy decoding gives n identical
    samples, which would pass off one sample as n independent ones."""
    if max_new_tokens < 1:
        raise ValueError(f"max_new_tokens must be at least 1, not {max_new_tokens}")
    if temperature < 0:
        raise ValueError(f"temperature must be >= 0, not {temperature}")
    if n < 1:
        raise ValueError(f"n must be at least 1, not {n}")
    if temperature == 0 and n > 1:
        raise ValueError(f"greedy decoding (temperature 0) gives identical samples: n must be 1, not {n}; "
                         "set a temperature > 0 to sample several")


def finish_text(raw: str) -> str:
    """A raw continuation as the answer. Axolotl tokenizes the training answer on its own,
    so with Metaspace (Llama) tokenizers a fine-tuned model starts it with one extra
    space: drop one leading space, then cut at the first prompt header the model runs on into."""
    if raw.startswith(" "):
        raw = raw[1:]
    return cut_at_stop(raw)
