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
