"""`gh-ft generate`: ask one model (and optionally a second, e.g. base vs tuned) one
instruction, rendered by gh_ft.prompt exactly as in training, through any backend.

The models are loaded one after the other (the first is closed before the second loads), so
two large models never share memory. Output is one answer after another under headers, or
side by side in two columns; `--json` for scripts.
"""
from __future__ import annotations

import json
import unicodedata
from dataclasses import dataclass
from typing import Any, Callable

from gh_ft.evaluate.backends import Backend, Generation, get_backend
from gh_ft.prompt import GENERATION, render_prompt


@dataclass(frozen=True)
class Answer:
    model: str
    info: dict[str, Any]
    generation: Generation

    def header(self) -> str:
        g = self.generation
        return (f"{self.info.get('name', self.model)} ({self.info.get('kind', '?')}): {g.tokens} tokens, "
                f"{g.seconds:.2f} s, {g.tokens_per_second:.1f} tokens/s")

    def to_dict(self) -> dict[str, Any]:
        g = self.generation
        return {"model": self.model, "backend": self.info, "text": g.text, "tokens": g.tokens,
                "seconds": round(g.seconds, 4)}


def _info(backend: Backend) -> dict[str, Any]:
    info = getattr(backend, "info", None)
    return info() if callable(info) else {"kind": backend.kind, "name": backend.name}


def generate_answers(kind: str, models: list[tuple[str, dict[str, Any]]], instruction: str, *, input: str = "",
                     max_new_tokens: int = GENERATION.max_new_tokens, temperature: float = GENERATION.temperature, seed: int = 0,
                     factory: Callable[..., Backend] = get_backend) -> list[Answer]:
    """One answer per (model, backend options), in order, each model closed before the next loads."""
    if not instruction.strip():
        raise ValueError("the instruction is empty")
    prompt = render_prompt(instruction, input)
    answers = []
    for model, opts in models:
        backend = factory(kind, model, **opts)
        try:
            generation = backend.generate([prompt], max_new_tokens=max_new_tokens, temperature=temperature,
                                          seed=seed)[0][0]
            answers.append(Answer(model, _info(backend), generation))
        finally:
            backend.close()
    return answers


def _cells(text: str, width: int) -> list[str]:
    """Lines cut (not word-wrapped: code keeps its characters) to `width` display columns."""
    out: list[str] = []
    for line in text.expandtabs(4).split("\n"):
        piece, used = "", 0
        for ch in line:
            w = 2 if unicodedata.east_asian_width(ch) in ("W", "F") else 1
            if used + w > width:
                out.append(piece)
                piece, used = "", 0
            piece, used = piece + ch, used + w
        out.append(piece)
    return out


def _pad(cell: str, width: int) -> str:
    used = sum(2 if unicodedata.east_asian_width(ch) in ("W", "F") else 1 for ch in cell)
    return cell + " " * max(0, width - used)


def lay_out(blocks: list[tuple[str, str]], *, side_by_side: bool = False, width: int = 120) -> str:
    """(header, text) blocks one after another under headers, or side by side in columns that
    share `width`."""
    if not side_by_side or len(blocks) < 2:
        return "\n".join(f"=== {header} ===\n{text}\n" for header, text in blocks)
    col = max(10, (width - 3 * (len(blocks) - 1)) // len(blocks))
    cells = [_cells(header, col) + ["-" * col] + _cells(text, col) for header, text in blocks]
    rows = max(len(c) for c in cells)
    lines = [" | ".join(_pad(c[r] if r < len(c) else "", col) for c in cells).rstrip() for r in range(rows)]
    return "\n".join(lines) + "\n"


def format_answers(answers: list[Answer], *, side_by_side: bool = False, width: int = 120) -> str:
    return lay_out([(a.header(), a.generation.text) for a in answers], side_by_side=side_by_side, width=width)


def answers_json(answers: list[Answer]) -> str:
    return json.dumps([a.to_dict() for a in answers], indent=2, ensure_ascii=False)
