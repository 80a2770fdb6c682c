"""The one prompt format: Axolotl's `alpaca` layout, as training sees it.

Training (Axolotl `type: alpaca`), `check`, the Ollama Modelfile and evaluation all
render prompts here, so the model is always asked the way it was taught. A test asks
Axolotl's own prompter for the same rows and compares.

How Axolotl trains a row: BOS + prompt (not trained on), then the output tokenized on
its own with EOS appended (trained on). The end of an answer is therefore the EOS
token; the section headers below are stop markers for a model that runs on anyway.
"""
from __future__ import annotations

PREAMBLE = ("Below is an instruction that describes a task. "
            "Write a response that appropriately completes the request.")
PREAMBLE_WITH_INPUT = ("Below is an instruction that describes a task, paired with an input that provides "
                       "further context. Write a response that appropriately completes the request.")
INSTRUCTION_HEADER = "### Instruction:"
INPUT_HEADER = "### Input:"
RESPONSE_HEADER = "### Response:"

# Text that never belongs in an answer: where a generation that did not emit EOS is cut.
STOP_MARKERS = (INSTRUCTION_HEADER, INPUT_HEADER, RESPONSE_HEADER)


def render_prompt(instruction: str, input: str = "") -> str:
    """The prompt up to and including the response header; the answer follows directly."""
    if input:
        return (f"{PREAMBLE_WITH_INPUT}\n\n{INSTRUCTION_HEADER}\n{instruction}\n\n"
                f"{INPUT_HEADER}\n{input}\n\n{RESPONSE_HEADER}\n")
    return f"{PREAMBLE}\n\n{INSTRUCTION_HEADER}\n{instruction}\n\n{RESPONSE_HEADER}\n"


def render_example(instruction: str, input: str, output: str) -> str:
    """Prompt and answer as one text (EOS is a token, added by the tokenizer side)."""
    return render_prompt(instruction, input) + output


def cut_at_stop(text: str) -> str:
    """A generated answer without anything from the first stop marker on."""
    cut = len(text)
    for marker in STOP_MARKERS:
        i = text.find(marker)
        if i != -1:
            cut = min(cut, i)
    return text[:cut]


# ---------------------------------------------------------------- how answers are decoded

from dataclasses import dataclass, replace  # noqa: E402  (kept with the one thing that uses it)


@dataclass(frozen=True)
class GenerationSettings:
    """How an answer is decoded, in one place: every evaluation backend (Hugging Face,
    llama.cpp, Ollama) decodes with these, and the Ollama Modelfile's PARAMETERs are written
    from them, so the served model answers the way it was measured.

    temperature 0 is greedy; top_k 0, top_p 1.0 and min_p 0 switch those filters off. The defaults
    were chosen by measurement (benchmarks/real_model.py on Gemma 3 270M tuned on real plugins,
    README "Decoding"): greedy with a mild repeat penalty over the last 64 generated tokens goes
    deepest through the judge on the validation tasks, ahead of plain greedy (which loops, e.g.
    `using A.B.B.B…`, until max_new_tokens) and of sampling at 0.7. With the benchmark's model
    trained two epochs, 1.05 and 1.1 tied on depth and 1.05 had the higher chrF; 1.1 also drops
    legitimately repeated code (a `ComponentGuid` line right after another `public override`).
    Generation ends at EOS, at a stop text or after max_new_tokens.
    """

    temperature: float = 0.0
    top_p: float = 0.95  # used only when sampling (temperature > 0)
    top_k: int = 0
    min_p: float = 0.0
    repeat_penalty: float = 1.05
    # The penalty looks back this many generated tokens (llama.cpp's penalty_last_n, Ollama's
    # repeat_last_n; both default to 64); the transformers backend applies it the same way.
    repeat_last_n: int = 64
    max_new_tokens: int = 1024  # issue #18 measured with 1,024; the median real component is 1,239 Gemma tokens
    stop: tuple[str, ...] = STOP_MARKERS

    def but(self, **changes) -> "GenerationSettings":
        """A copy with some fields changed (None leaves a field as it is)."""
        return replace(self, **{k: v for k, v in changes.items() if v is not None})

    def ollama_options(self) -> dict:
        """The settings as Ollama names them (request `options`, Modelfile PARAMETERs)."""
        return {"temperature": float(self.temperature), "top_p": float(self.top_p), "top_k": int(self.top_k),
                "min_p": float(self.min_p), "repeat_penalty": float(self.repeat_penalty),
                "repeat_last_n": int(self.repeat_last_n), "num_predict": int(self.max_new_tokens),
                "stop": list(self.stop)}


GENERATION = GenerationSettings()
# Several answers per task (pass@k with n > 1) need sampling: the measured candidate's temperature
# (with GENERATION's top_p and repeat penalty).
SAMPLING_TEMPERATURE = 0.7


# ---- token level: what Axolotl trains on, and the same through mlx-lm ----------------------

def alpaca_token_ids(tokenizer, instruction: str, input: str, output: str,
                     max_length: int | None = None) -> tuple[list[int], int]:
    """(input ids, number of masked prompt tokens) as Axolotl's alpaca strategy makes them with
    train_on_inputs false: the prompt tokenized with BOS (masked), then the output tokenized on
    its own, its BOS dropped and EOS appended (trained on). tests/test_mlx_backend.py compares
    this with Axolotl's own prepared dataset."""
    def tokenize(text: str, add_eos: bool, strip_bos: bool) -> list[int]:
        if not text:
            return []
        kw = {"truncation": True, "max_length": max_length} if max_length else {}
        ids = list(tokenizer(text, padding=False, **kw)["input_ids"])
        if not ids:
            return []
        if add_eos and ids[-1] != tokenizer.eos_token_id and (max_length is None or len(ids) < max_length):
            ids.append(tokenizer.eos_token_id)
        if strip_bos and ids[0] == tokenizer.bos_token_id:
            ids = ids[1:]
        return ids

    prompt = tokenize(render_prompt(instruction, input), add_eos=False, strip_bos=False)
    return prompt + tokenize(output, add_eos=True, strip_bos=True), len(prompt)


def completion_row(instruction: str, input: str, output: str) -> dict[str, str]:
    """A dataset row in mlx-lm's prompt/completion layout (prompt_feature/completion_feature)."""
    return {"prompt": render_prompt(instruction, input), "completion": output}


# Text put between BOS and the prompt, and between the prompt and the answer, so that one
# rendered string tokenizes exactly as Axolotl's pieces do. SentencePiece tokenizers
# (Llama, Mistral) prefix a piece tokenized on its own with a space; byte-level BPE ones
# (Qwen, DeepSeek-Coder) do not. gh-ft tries these in order and keeps the first under which
# every row tokenizes as Axolotl tokenizes it.
SEPARATOR_CANDIDATES: tuple[tuple[str, str], ...] = (("", ""), (" ", " "), ("", " "), (" ", ""))


def chat_template(after_bos: str = "", before_answer: str = "") -> str:
    """A Jinja chat template for mlx-lm's prompt/completion data: BOS, the user message (the
    rendered alpaca prompt), then the answer and EOS. `apply_chat_template` adds no special
    tokens itself, so the template writes BOS and EOS, as Axolotl's tokenization has them; the
    generation prompt is empty (the answer follows the prompt directly)."""
    import json

    return ("{{ bos_token }}{{ " + json.dumps(after_bos) + " }}"
            "{%- for message in messages %}"
            "{%- if message['role'] == 'user' %}{{ message['content'] }}"
            "{%- elif message['role'] == 'assistant' %}{{ " + json.dumps(before_answer) + " }}"
            "{{ message['content'] }}{{ eos_token }}"
            "{%- endif %}{%- endfor %}")
