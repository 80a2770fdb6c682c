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
