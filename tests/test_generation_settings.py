"""One definition of decoding (gh_ft.prompt.GENERATION): the Modelfile serves with exactly the
settings every evaluation backend decodes with."""
from __future__ import annotations

from types import SimpleNamespace

from gh_ft.export.modelfile import ModelfileSpec, render_modelfile, serving_parameters, spec_from_modelfile
from gh_ft.prompt import GENERATION, STOP_MARKERS
from gh_ft.settings import Settings


def _served() -> dict:
    """The PARAMETERs of a Modelfile written with the default settings, read back as Ollama does."""
    settings = Settings()
    spec = ModelfileSpec(from_="./model.gguf",
                         parameters=serving_parameters(temperature=settings.ollama.temperature,
                                                       num_ctx=settings.ollama.num_ctx))
    values = spec_from_modelfile(render_modelfile(spec)).parameter_values()
    assert values.pop("num_ctx") == settings.ollama.num_ctx
    return values


def test_modelfile_parameters_equal_the_ollama_backends_request_options():
    from gh_ft.evaluate.backends.ollama import OllamaBackend

    sent = {}

    class Client:
        def generate(self, **request):
            sent.update(request["options"])
            return SimpleNamespace(response="x", eval_count=1)

    backend = object.__new__(OllamaBackend)  # no server: only the request it would send matters
    backend.generation, backend._client, backend.num_ctx = GENERATION, Client(), None
    backend.model, backend.host = "m", ""
    settings = Settings()
    backend._one("prompt", settings.evaluate.max_new_tokens, GENERATION.temperature, seed=7)
    assert sent.pop("seed") == 7
    assert _served() == sent


def test_modelfile_parameters_equal_the_llama_cpp_backends_sampler():
    from gh_ft.evaluate.backends.llamacpp import LlamaCppBackend

    asked = {}

    class Llm:
        def set_seed(self, seed):
            pass

        def generate(self, ids, **sampler):
            asked.update(sampler)
            yield from ()

    backend = object.__new__(LlamaCppBackend)
    backend.generation, backend.llm, backend.n_ctx = GENERATION, Llm(), 4096
    backend._generate_one([1, 2], Settings().evaluate.max_new_tokens, GENERATION.temperature, 0)
    served = _served()
    sampler = ("temperature", "top_k", "top_p", "min_p", "repeat_penalty")
    assert {"temperature": asked["temp"], **{k: asked[k] for k in sampler[1:]}} == {k: served[k] for k in sampler}
    assert served["stop"] == list(STOP_MARKERS) == list(backend.generation.stop)
    assert served["num_predict"] == Settings().evaluate.max_new_tokens


def test_the_transformers_backend_decodes_with_the_same_settings(monkeypatch):
    """Greedy: no sampling filter and no repetition penalty, the stop texts as stop strings."""
    import transformers

    from gh_ft.evaluate.backends.hf import TransformersBackend

    made = []
    real = transformers.GenerationConfig

    def record(**kwargs):
        made.append(kwargs)
        raise RuntimeError("recorded")

    monkeypatch.setattr(transformers, "GenerationConfig", record)
    backend = object.__new__(TransformersBackend)
    backend.generation, backend.eos_ids, backend.device = GENERATION, [1], "cpu"
    class Tok:
        bos_token_id = 2

        def __call__(self, prompts, **kw):
            return SimpleNamespace(to=lambda device: {})

    backend.tokenizer = Tok()
    try:
        backend._generate_batch(["p"], 9, 0.0, 1, 0)
    except RuntimeError:
        pass
    [kw] = made
    assert kw["do_sample"] is False and kw["repetition_penalty"] is None and kw["top_k"] is None
    assert kw["stop_strings"] == list(GENERATION.stop) and kw["max_new_tokens"] == 9
    assert real is not record
