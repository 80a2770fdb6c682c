"""Generation through an Ollama server: a model created by `gh-ft ollama create` (or any
model the server has), asked over HTTP with the real `ollama` client.

Prompts arrive rendered by gh_ft.prompt (the Backend protocol), so requests are `raw`:
Ollama's TEMPLATE and SYSTEM are skipped and the model sees exactly the text every other
backend sees, which keeps evaluation like for like. (The Modelfile's TEMPLATE, used by the
plugin, is checked separately to produce that same text.) Requests run on a thread pool
(`concurrency`, matched to the server's OLLAMA_NUM_PARALLEL); each sample gets its own seed.
Token counts are the server's `eval_count`; seconds are measured here, request to answer.
"""
from __future__ import annotations

import time
from concurrent.futures import ThreadPoolExecutor
from typing import Any

import ollama

from gh_ft.export.ollama import OllamaError, OllamaUnreachable, check_server, client, resolve_host
from gh_ft.prompt import GENERATION, GenerationSettings
from gh_ft.evaluate.backends.base import Generation, check_sampling, finish_text


class OllamaBackend:
    kind = "ollama"

    def __init__(self, model: str, *, host: str | None = None, concurrency: int = 4, num_ctx: int | None = None,
                 timeout: float = 600.0, name: str | None = None,
                 generation: GenerationSettings = GENERATION) -> None:

        if concurrency < 1:
            raise ValueError("concurrency must be at least 1")
        self.model, self.concurrency, self.num_ctx = model, concurrency, num_ctx
        self.generation = generation
        self.host = resolve_host(host)
        self.name = name or f"ollama:{model}"
        self.server_version = check_server(self.host)
        self._client = client(self.host, timeout=timeout)
        try:
            shown = self._client.show(model)
        except ollama.ResponseError as e:
            raise OllamaError(f"Ollama at {self.host} has no model {model!r} ({e.error}); create it with "
                              "`gh-ft ollama create` or list them with `ollama list`") from None
        details = shown.details
        self.details = details.model_dump(exclude_none=True) if details is not None else {}
        self._pool = ThreadPoolExecutor(max_workers=concurrency, thread_name_prefix="ollama")

    def info(self) -> dict[str, Any]:
        return {"kind": self.kind, "name": self.name, "model": self.model, "host": self.host,
                "server_version": self.server_version, "concurrency": self.concurrency, **self.details}

    def _one(self, prompt: str, max_new_tokens: int, temperature: float, seed: int) -> Generation:
        # gh_ft.prompt.GENERATION, as every backend and the Modelfile: Ollama's own defaults
        # (repeat_penalty 1.1, top_k 40, top_p 0.9) would change even greedy answers.
        options: dict[str, Any] = {**self.generation.but(temperature=temperature,
                                                         max_new_tokens=max_new_tokens).ollama_options(), "seed": seed}
        if self.num_ctx:
            options["num_ctx"] = self.num_ctx
        t0 = time.perf_counter()
        try:
            reply = self._client.generate(model=self.model, prompt=prompt, raw=True, stream=False, options=options)
        except ollama.ResponseError as e:
            raise OllamaError(f"Ollama at {self.host}, model {self.model}: {e.error}") from None
        except ConnectionError as e:
            raise OllamaUnreachable(f"lost the Ollama server at {self.host}: {e}") from None
        seconds = time.perf_counter() - t0
        return Generation(finish_text(reply.response or ""), int(reply.eval_count or 0), seconds)

    def generate(self, prompts: list[str], *, max_new_tokens: int, temperature: float = 0.0, n: int = 1,
                 seed: int = 0) -> list[list[Generation]]:
        check_sampling(max_new_tokens, temperature, n)
        jobs = [(i, j) for i in range(len(prompts)) for j in range(n)]
        # One seed per sample (prompt index, sample index): a rerun gives the same samples.
        futures = [self._pool.submit(self._one, prompts[i], max_new_tokens, temperature, seed + i * n + j)
                   for i, j in jobs]
        results: list[list[Generation]] = [[] for _ in prompts]
        for (i, _), future in zip(jobs, futures):
            results[i].append(future.result())
        return results

    def close(self) -> None:
        self._pool.shutdown(wait=True, cancel_futures=True)
        self._client.close()
