"""Generation with llama.cpp (llama-cpp-python): a GGUF model file, optionally plus a GGUF LoRA adapter.

It mirrors the transformers backend so evaluation compares like for like: the prompt is
tokenized with BOS (where the model adds one), special-token text in it taken as text; decoding
follows gh_ft.prompt.GENERATION (greedy at temperature 0; top-k, top-p, min-p and repeat penalty
as set there, the same the Modelfile serves with); generation stops at an end-of-generation token,
at a prompt header or after `max_new_tokens`; the answer is the text after the prompt cut by `finish_text`. `tokens` counts
the generated tokens, EOS or the stop text included. One context holds one sequence, so prompts
run one after another and each answer's latency runs from its own request.
"""
from __future__ import annotations

import ctypes
import os
import time
from pathlib import Path
from typing import Any

from gh_ft.prompt import GENERATION, GenerationSettings
from gh_ft.evaluate.backends.base import Generation, check_sampling, finish_text
from gh_ft.evaluate.backends.hf import short_name


def _check_gguf(path: str | Path, what: str) -> str:
    path = Path(path)
    try:
        with open(path, "rb") as f:
            magic = f.read(4)
    except OSError as e:
        raise ValueError(f"{what} {path} cannot be read: {e.strerror or e}") from None
    if magic != b"GGUF":
        raise ValueError(f"{what} {path} is not a GGUF file (export it with `gh-ft export gguf`)")
    return str(path)


class LlamaCppBackend:
    kind = "llamacpp"

    def __init__(self, model: str | Path, adapter: str | Path | None = None, *, n_ctx: int = 4096,
                 n_threads: int | None = None, n_batch: int = 512, name: str | None = None,
                 verbose: bool = False, generation: GenerationSettings = GENERATION) -> None:
        self.model_path = _check_gguf(model, "model")
        self.adapter_path = _check_gguf(adapter, "LoRA adapter") if adapter else None
        if n_ctx < 16:
            raise ValueError(f"n_ctx must be at least 16, not {n_ctx}")
        try:
            import llama_cpp
        except ImportError as e:
            raise ValueError(f"the llamacpp backend needs llama-cpp-python (pip install 'gh-ft[gguf]'): {e}") from None
        self._llama_cpp = llama_cpp
        self.name = name or short_name(self.model_path) + (f"+{Path(self.adapter_path).name}" if adapter else "")
        self.n_ctx = n_ctx
        self.generation = generation
        # Every core: llama-cpp-python's default (half of them) left one of 2 cores idle (issue #18).
        self.n_threads = n_threads or max(1, os.cpu_count() or 1)
        self.llm = llama_cpp.Llama(model_path=self.model_path, lora_path=self.adapter_path, n_ctx=n_ctx,
                                   n_threads=self.n_threads, n_threads_batch=self.n_threads,
                                   n_batch=min(n_batch, n_ctx), seed=0,
                                   last_n_tokens_size=generation.repeat_last_n,
                                   verbose=verbose)
        self._vocab = self.llm._model.vocab  # the public API has no end-of-generation test
        self._buffer = ctypes.create_string_buffer(256)

    def info(self) -> dict[str, Any]:
        from importlib.metadata import version
        return {"kind": self.kind, "name": self.name, "model": self.model_path, "adapter": self.adapter_path,
                "n_ctx": self.n_ctx, "n_threads": self.n_threads, "llama_cpp_python": version("llama-cpp-python")}

    def tokenize(self, text: str) -> list[int]:
        """The prompt's tokens as generation sees them: BOS first where the model's GGUF says so
        (add_bos_token, as transformers' tokenizer does), "<s>" inside the text is text."""
        return self.llm.tokenize(text.encode("utf-8"), add_bos=True, special=False)

    def _piece(self, token: int) -> bytes:
        """The bytes a token stands for in running text (a "▁" piece keeps its space)."""
        n = self._llama_cpp.llama_token_to_piece(self._vocab, token, self._buffer, len(self._buffer), 0, False)
        if n < 0:  # longer than the buffer: grow it and ask again
            self._buffer = ctypes.create_string_buffer(-n)
            n = self._llama_cpp.llama_token_to_piece(self._vocab, token, self._buffer, len(self._buffer), 0, False)
        return self._buffer.raw[:n]

    def _is_end(self, token: int) -> bool:
        return bool(self._llama_cpp.llama_vocab_is_eog(self._vocab, token))

    def generate(self, prompts: list[str], *, max_new_tokens: int, temperature: float = 0.0, n: int = 1,
                 seed: int = 0) -> list[list[Generation]]:
        check_sampling(max_new_tokens, temperature, n)
        results = []
        for i, prompt in enumerate(prompts):
            prompt_ids = self.tokenize(prompt)
            if len(prompt_ids) >= self.n_ctx:
                raise ValueError(f"prompt {i} has {len(prompt_ids)} tokens, more than the context of {self.n_ctx} "
                                 "(n_ctx) leaves room for")
            # One seed per sample, derived from its position: a rerun gives the same samples.
            results.append([self._generate_one(prompt_ids, max_new_tokens, temperature, seed + i * n + j)[0]
                            for j in range(n)])
        return results

    def generate_ids(self, prompt: str, *, max_new_tokens: int, temperature: float = 0.0, seed: int = 0) -> list[int]:
        """The generated token ids for one prompt (EOS included when reached), for token-level comparisons."""
        check_sampling(max_new_tokens, temperature, 1)
        return self._generate_one(self.tokenize(prompt), max_new_tokens, temperature, seed)[1]

    def _generate_one(self, prompt_ids: list[int], max_new_tokens: int, temperature: float,
                      seed: int) -> tuple[Generation, list[int]]:
        limit = min(max_new_tokens, self.n_ctx - len(prompt_ids))  # a full context ends the answer
        self.llm.set_seed(seed)
        answer: list[int] = []
        text = b""
        started = time.perf_counter()
        g = self.generation
        stream = self.llm.generate(prompt_ids, temp=temperature, top_k=g.top_k, top_p=g.top_p, min_p=g.min_p,
                                   typical_p=1.0, repeat_penalty=g.repeat_penalty, reset=True)
        try:
            for token in stream:
                answer.append(token)
                if self._is_end(token):
                    break
                text += self._piece(token)
                if len(answer) >= limit or any(m in text.decode("utf-8", "ignore") for m in g.stop):
                    break
        finally:
            stream.close()
        seconds = time.perf_counter() - started
        return Generation(finish_text(text.decode("utf-8", "replace")), len(answer), seconds), answer

    def close(self) -> None:
        llm, self.llm = getattr(self, "llm", None), None
        if llm is not None:
            llm.close()
