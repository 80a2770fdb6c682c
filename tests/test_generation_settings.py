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
    # The repeat penalty is gh-ft's own processor (llama.cpp's window), never transformers' own.
    assert kw["do_sample"] is False and "repetition_penalty" not in kw and kw["top_k"] is None
    assert kw["stop_strings"] == list(GENERATION.stop) and kw["max_new_tokens"] == 9
    assert real is not record


def test_the_transformers_repeat_penalty_is_llama_cpps():
    """Only the last repeat_last_n generated tokens are penalised (the prompt never is), a
    positive logit divided by the penalty, a negative one multiplied, each token once."""
    import torch

    from gh_ft.evaluate.backends.hf import _repeat_penalty_processor

    scores = torch.tensor([[2.0, -2.0, 4.0, 1.0, -1.0]])
    prompt = [3, 4]                       # tokens 3 and 4 are only in the prompt
    ids = torch.tensor([prompt + [0, 1, 0, 2]])
    out = _repeat_penalty_processor(2.0, 3, len(prompt))(ids, scores.clone())
    # The window is the last 3 generated tokens: 1, 0, 2 (0 twice counts once).
    assert out.tolist() == [[1.0, -4.0, 2.0, 1.0, -1.0]]
    out = _repeat_penalty_processor(2.0, 1, len(prompt))(ids, scores.clone())
    assert out.tolist() == [[2.0, -2.0, 2.0, 1.0, -1.0]]
    nothing_yet = _repeat_penalty_processor(2.0, 64, len(prompt))(torch.tensor([prompt]), scores.clone())
    assert nothing_yet.tolist() == scores.tolist()


def test_every_backend_and_the_modelfile_share_the_penalty_window(tmp_path, monkeypatch):
    """The Modelfile's repeat_last_n is the window llama.cpp is built with."""
    import llama_cpp

    from gh_ft.evaluate.backends.llamacpp import LlamaCppBackend

    built = {}

    class Llama:
        def __init__(self, **kwargs):
            built.update(kwargs)
            self._model = SimpleNamespace(vocab=None)

    monkeypatch.setattr(llama_cpp, "Llama", Llama)
    gguf = tmp_path / "m.gguf"
    gguf.write_bytes(b"GGUF")
    LlamaCppBackend(gguf, generation=GENERATION.but(repeat_last_n=17))
    assert built["last_n_tokens_size"] == 17
    LlamaCppBackend(gguf)
    assert built["last_n_tokens_size"] == GENERATION.repeat_last_n == _served()["repeat_last_n"]
