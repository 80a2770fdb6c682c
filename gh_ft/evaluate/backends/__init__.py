"""Generation backends behind one interface (`Backend`), picked by name.

To add one (llama.cpp, Ollama): write a module with a class following `base.Backend`,
whose constructor takes `(model, **opts)`, and add a loader to `_LOADERS`. Loaders import
lazily, so asking for one backend never imports another's heavy dependencies (torch).
"""
from __future__ import annotations

from typing import Any, Callable

from gh_ft.evaluate.backends.base import Backend, Generation, check_sampling, finish_text


def _transformers() -> Callable[..., Backend]:
    from gh_ft.evaluate.backends.hf import TransformersBackend
    return TransformersBackend


def _llamacpp() -> Callable[..., Backend]:
    from gh_ft.evaluate.backends.llamacpp import LlamaCppBackend
    return LlamaCppBackend


def _ollama() -> Callable[..., Backend]:
    from gh_ft.evaluate.backends.ollama import OllamaBackend
    return OllamaBackend


# The registry: kind -> loader of the backend class.
_LOADERS: dict[str, Callable[[], Callable[..., Backend]]] = {
    "transformers": _transformers,
    "llamacpp": _llamacpp,
    "ollama": _ollama,
}


def known_backends() -> list[str]:
    return sorted(_LOADERS)


def register_backend(kind: str, loader: Callable[[], Callable[..., Backend]]) -> None:
    """Add (or replace) a backend kind; `loader()` returns its class or factory."""
    _LOADERS[kind] = loader


def get_backend(kind: str, model: str, **opts: Any) -> Backend:
    """A ready backend of `kind` for `model` (a local folder, a GGUF file, a served model's name)."""
    try:
        loader = _LOADERS[kind]
    except KeyError:
        raise ValueError(f"unknown backend {kind!r}; known: {', '.join(known_backends())}") from None
    return loader()(model, **opts)


__all__ = ["Backend", "Generation", "check_sampling", "finish_text", "get_backend", "known_backends",
           "register_backend"]
