"""Export and serving: GGUF conversion and quantization (gguf.py, with llama.cpp's converters
found by llama_cpp_source.py), the Ollama Modelfile and model creation, shareable bundles.

Submodules import their heavy dependencies lazily; importing this package costs nothing.
"""
from __future__ import annotations


from gh_ft.errors import GhFtError
class ExportError(GhFtError, RuntimeError):
    """An export step cannot run or failed; the message says what to do about it."""


__all__ = ["ExportError"]
