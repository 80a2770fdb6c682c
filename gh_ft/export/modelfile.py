"""The Ollama Modelfile: the training prompt format as Ollama's TEMPLATE and SYSTEM, the
serving parameters, the files FROM and ADAPTER may name, and the Modelfile written beside
an export (so `ollama create NAME -f Modelfile` works by hand).

How the training prompt maps onto Ollama (see README, "Serving"):
- SYSTEM is the training preamble, `prompt.PREAMBLE`, exactly.
- `.Prompt` is the instruction (what the plugin sends as `prompt`).
- A request with an input sends `system` = `prompt.PREAMBLE_WITH_INPUT` and `prompt` = the
  instruction, the input header and the input (`ollama_prompt_fields`); Ollama has no third field.
The TEMPLATE is cut out of `prompt.render_prompt`'s own output (rendered with sentinels), so
nothing here spells the format again; if prompt.py changes shape in a way one template cannot
express, `prompt_layout()` raises instead of serving a different prompt. Quoting and escaping
for Ollama's syntax live in modelfile_syntax.py.
"""
from __future__ import annotations

import json
import re
import struct
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, BinaryIO

import jinja2

from gh_ft import __version__
from gh_ft.files import atomic_write_text
from gh_ft.prompt import (GENERATION, INSTRUCTION_HEADER, PREAMBLE, PREAMBLE_WITH_INPUT, GenerationSettings,
                          render_prompt)
from gh_ft.resources import find_file
from gh_ft.export.modelfile_syntax import ModelfileError, go_template_text, modelfile_quote, parse_modelfile

MODELFILE_TEMPLATE = "Modelfile.j2"
MODELFILE_NAME = "Modelfile"
# Ollama converts safetensors LoRA adapters for these base architectures only (its import docs).
SAFETENSORS_ADAPTER_ARCHES = ("llama", "mistral", "mixtral", "gemma", "gemma2")


# ---- the training prompt as an Ollama template ------------------------------------------

_INSTRUCTION, _INPUT = "\x00instruction\x00", "\x00input\x00"


@dataclass(frozen=True)
class PromptLayout:
    """render_prompt's output cut into the parts an Ollama template needs."""
    system: str             # the preamble without an input
    system_with_input: str  # the preamble with an input
    separator: str          # between the preamble and the instruction header
    head: str               # from the instruction header up to the instruction
    input_head: str         # between the instruction and the input
    tail: str               # after the instruction (or input), up to where the answer starts


def prompt_layout() -> PromptLayout:
    plain, with_input = render_prompt(_INSTRUCTION), render_prompt(_INSTRUCTION, _INPUT)
    if not plain.startswith(PREAMBLE) or not with_input.startswith(PREAMBLE_WITH_INPUT):
        raise ModelfileError("prompt.render_prompt no longer starts with its preamble; "
                             "the Ollama SYSTEM/TEMPLATE mapping must be revisited")
    before, tail = plain[len(PREAMBLE):].split(_INSTRUCTION)
    before2, rest = with_input[len(PREAMBLE_WITH_INPUT):].split(_INSTRUCTION)
    input_head, tail2 = rest.split(_INPUT)
    if before != before2 or tail != tail2 or INSTRUCTION_HEADER not in before:
        raise ModelfileError("prompt.render_prompt's layout differs with and without an input in a way one "
                             "Ollama template cannot express")
    cut = before.index(INSTRUCTION_HEADER)
    return PromptLayout(PREAMBLE, PREAMBLE_WITH_INPUT, before[:cut], before[cut:], input_head, tail)


def ollama_prompt_fields(instruction: str, input: str = "") -> dict[str, str]:
    """The `system` and `prompt` of an Ollama request whose templated text is exactly
    render_prompt(instruction, input). Without an input, `system` may be left out: the
    Modelfile's SYSTEM is the same preamble."""
    layout = prompt_layout()
    if input:
        return {"system": layout.system_with_input, "prompt": instruction + layout.input_head + input}
    return {"system": layout.system, "prompt": instruction}


def prompt_template() -> str:
    """Ollama's TEMPLATE for the training prompt: `{{ .System }}` is the preamble,
    `{{ .Prompt }}` the instruction, and `{{ .Response }}` comes last, so Ollama's
    prompt-only rendering (which cuts at `.Response`) is the whole training prompt."""
    lay = prompt_layout()
    return ("{{ if .System }}{{ .System }}" + go_template_text(lay.separator) + "{{ end }}"
            + go_template_text(lay.head) + "{{ .Prompt }}" + go_template_text(lay.tail) + "{{ .Response }}")


# ---- the Modelfile itself -------------------------------------------------------------------

@dataclass(frozen=True)
class ModelfileSpec:
    """What a Modelfile says. `from_` and `adapter` are paths (relative to the Modelfile's
    folder, or absolute) or, for `from_`, an Ollama model name."""
    from_: str
    adapter: str | None = None
    template: str = field(default_factory=prompt_template)
    system: str = PREAMBLE
    parameters: tuple[tuple[str, str], ...] = ()

    def parameter_values(self) -> dict[str, Any]:
        """Parameters as Ollama's create API takes them (stop is a list)."""
        return parameters_dict(self.parameters)


def parameters_dict(pairs: tuple[tuple[str, str], ...] | list[tuple[str, str]]) -> dict[str, Any]:
    out: dict[str, Any] = {}
    for name, value in pairs:
        if name == "stop":
            out.setdefault("stop", []).append(value)
        else:
            out[name] = _number(value)
    return out


def _number(text: str) -> Any:
    for kind in (int, float):
        try:
            return kind(text)
        except ValueError:
            pass
    return {"true": True, "false": False}.get(text.lower(), text)


def serving_parameters(*, temperature: float | None = None, num_ctx: int, eos_texts: list[str] | tuple[str, ...] = (),
                       generation: GenerationSettings = GENERATION) -> tuple[tuple[str, str], ...]:
    """The decoding the model is evaluated with (gh_ft.prompt.GENERATION; `temperature`, when
    given, in its place): its stop texts plus the end-of-sequence token's text, temperature,
    top_k, top_p, min_p, repeat penalty and answer length, and the context length."""
    g = generation.but(temperature=temperature)
    if g.temperature < 0:
        raise ModelfileError(f"temperature must be >= 0, not {g.temperature}")
    if num_ctx < 1:
        raise ModelfileError(f"num_ctx must be positive, not {num_ctx}")
    options = g.ollama_options()
    stops = list(dict.fromkeys([*options.pop("stop"), *(t for t in eos_texts if t)]))
    return (*(("stop", s) for s in stops), *((name, repr(value) if isinstance(value, float) else str(value))
                                              for name, value in options.items()),
            ("num_ctx", str(int(num_ctx))))


def spec_from_modelfile(text: str) -> ModelfileSpec:
    """A spec read back from Modelfile text (parse_modelfile's rules)."""
    commands = parse_modelfile(text)
    single: dict[str, str] = {}
    params: list[tuple[str, str]] = []
    for name, value in commands:
        if name in ("model", "adapter", "template", "system"):
            if name in single:
                raise ModelfileError(f"more than one {'FROM' if name == 'model' else name.upper()} line")
            single[name] = value
        elif name in ("license", "draft", "renderer", "parser", "requires"):
            raise ModelfileError(f"{name.upper()} is not used by gh-ft Modelfiles")
        else:
            params.append((name, value))
    return ModelfileSpec(from_=single["model"], adapter=single.get("adapter"),
                         template=single.get("template", ""), system=single.get("system", ""),
                         parameters=tuple(params))


def render_modelfile(spec: ModelfileSpec, *, project_dir: Path | None = None, comment: str = "") -> str:
    """The Modelfile text from templates/Modelfile.j2 (the project's copy first), values
    quoted by the `modelfile` filter, parsed back and checked against `spec`."""
    if spec.adapter is not None and spec.adapter.endswith(".bin"):
        raise ModelfileError(f"ADAPTER {spec.adapter}: Ollama cannot read PyTorch .bin adapters; use a GGUF "
                             "LoRA (gh-ft export gguf) or a safetensors adapter folder")
    for name, _ in spec.parameters:
        if not re.fullmatch(r"[A-Za-z0-9_]+", name):
            raise ModelfileError(f"bad PARAMETER name {name!r}")
    path = find_file(MODELFILE_TEMPLATE, "templates", project_dir)
    env = jinja2.Environment(undefined=jinja2.StrictUndefined, keep_trailing_newline=True, autoescape=False)
    env.filters["modelfile"] = modelfile_quote
    try:
        text = env.from_string(path.read_text(encoding="utf-8")).render(
            from_=spec.from_, adapter=spec.adapter, template=spec.template, system=spec.system,
            parameters=list(spec.parameters), gh_ft_version=__version__,
            comment_lines=[line for line in comment.splitlines()])
    except jinja2.TemplateError as e:
        raise ModelfileError(f"{path}: {e}") from None
    back = spec_from_modelfile(text)
    for what, want, got in (("FROM", spec.from_, back.from_), ("ADAPTER", spec.adapter, back.adapter),
                            ("TEMPLATE", spec.template, back.template), ("SYSTEM", spec.system, back.system)):
        if want != got:
            raise ModelfileError(f"{path}: the rendered {what} reads back as {got!r}, not {want!r}; the "
                                 "prompt format is changed in training (gh_ft/prompt.py), never only for serving")
    missing = [p for p in spec.parameters if p not in back.parameters]
    if missing:
        raise ModelfileError(f"{path}: the rendered Modelfile lacks PARAMETER {missing[0][0]} {missing[0][1]!r}")
    return text


# ---- end-of-sequence text from a GGUF file ----------------------------------------------------

_SCALARS = {0: "<B", 1: "<b", 2: "<H", 3: "<h", 4: "<I", 5: "<i", 6: "<f", 7: "<?", 10: "<Q", 11: "<q", 12: "<d"}


def _read(f: BinaryIO, fmt: str) -> Any:
    size = struct.calcsize(fmt)
    data = f.read(size)
    if len(data) != size:
        raise ModelfileError("GGUF file ends inside its header")
    return struct.unpack(fmt, data)[0]


def _read_value(f: BinaryIO, kind: int, keep: bool) -> Any:
    if kind == 8:
        n = _read(f, "<Q")
        if not keep:
            f.seek(n, 1)
            return None
        return f.read(n).decode("utf-8", "replace")
    if kind == 9:
        item, count = _read(f, "<I"), _read(f, "<Q")
        if item in _SCALARS and not keep:
            f.seek(count * struct.calcsize(_SCALARS[item]), 1)
            return None
        return [_read_value(f, item, keep) for _ in range(count)]
    if kind in _SCALARS:
        return _read(f, _SCALARS[kind])
    raise ModelfileError(f"unknown GGUF value type {kind}")


def gguf_end_texts(path: Path | str) -> list[str]:
    """The texts of a GGUF model's end-of-sequence (and end-of-turn) tokens, from its
    metadata; [] for a file without a vocabulary (a LoRA adapter)."""
    wanted = {"tokenizer.ggml.tokens", "tokenizer.ggml.eos_token_id", "tokenizer.ggml.eot_token_id"}
    meta: dict[str, Any] = {}
    with open(path, "rb") as f:
        if f.read(4) != b"GGUF":
            raise ModelfileError(f"{path} is not a GGUF file")
        version = _read(f, "<I")
        if version < 2:
            raise ModelfileError(f"{path}: GGUF version {version} is too old")
        _read(f, "<Q")
        for _ in range(_read(f, "<Q")):
            key = f.read(_read(f, "<Q")).decode("utf-8", "replace")
            value = _read_value(f, _read(f, "<I"), key in wanted)
            if key in wanted:
                meta[key] = value
    tokens = meta.get("tokenizer.ggml.tokens") or []
    ids = [meta.get("tokenizer.ggml.eos_token_id"), meta.get("tokenizer.ggml.eot_token_id")]
    return list(dict.fromkeys(tokens[i] for i in ids if isinstance(i, int) and 0 <= i < len(tokens)))


# ---- files FROM and ADAPTER name ------------------------------------------------------------------

def expand_path(value: str, base: Path) -> Path:
    """A FROM/ADAPTER value as `ollama create -f` resolves it: ~ expanded, relative to the Modelfile's folder."""
    path = Path(value).expanduser()
    return path if path.is_absolute() else Path(base) / path


def looks_like_path(value: str) -> bool:
    """A FROM value meant as a file (an absent one is an error, not an Ollama model name)."""
    return value.startswith((".", "/", "~", "\\")) or value.endswith((".gguf", ".bin", ".safetensors"))


def model_files(path: Path) -> dict[str, Path]:
    """{name Ollama sees: local file} for a FROM/ADAPTER path: a file, or a folder's weights and configs."""
    path = Path(path)
    if path.is_file():
        return {path.name: path}
    patterns = ("*.gguf", "*.safetensors", "*.json", "tokenizer.model")
    files = {p.name: p for pattern in patterns for p in sorted(path.glob(pattern)) if p.is_file()}
    if not any(n.endswith((".gguf", ".safetensors")) for n in files):
        raise ModelfileError(f"{path} holds no .gguf or .safetensors weights")
    return files


def check_adapter(path: Path) -> None:
    """Refuse adapters Ollama cannot load, saying what to use instead."""
    path = Path(path)
    if path.suffix == ".bin" or (path.is_dir() and (path / "adapter_model.bin").is_file()
                                 and not (path / "adapter_model.safetensors").is_file()):
        raise ModelfileError(f"{path}: Ollama cannot read PyTorch .bin adapters; convert the run with "
                             "`gh-ft export gguf` (a GGUF LoRA) or save the adapter as safetensors")
    if path.is_file():
        with open(path, "rb") as f:
            if f.read(4) != b"GGUF":
                raise ModelfileError(f"{path}: an adapter file must be a GGUF LoRA")
        return
    if not path.is_dir():
        raise ModelfileError(f"adapter {path} does not exist")
    if not ((path / "adapter_model.safetensors").is_file() and (path / "adapter_config.json").is_file()):
        raise ModelfileError(f"{path}: an adapter folder needs adapter_model.safetensors and adapter_config.json")
    arch = _adapter_architecture(path)
    if arch not in SAFETENSORS_ADAPTER_ARCHES:
        raise ModelfileError(f"{path}: Ollama converts safetensors adapters only for "
                             f"{', '.join(SAFETENSORS_ADAPTER_ARCHES)} bases, and this base is "
                             f"{arch or 'of an unknown architecture'}; use the GGUF LoRA from `gh-ft export gguf`")


def _adapter_architecture(adapter_dir: Path) -> str | None:
    candidates = [adapter_dir / "config.json"]
    try:
        base = json.loads((adapter_dir / "adapter_config.json").read_text()).get("base_model_name_or_path")
    except (OSError, ValueError):
        base = None
    if base:
        candidates.append(Path(base) / "config.json")
    for config in candidates:
        try:
            return json.loads(config.read_text()).get("model_type")
        except (OSError, ValueError):
            continue
    return None


# ---- the Modelfile beside an export ------------------------------------------------------------------

def relative_to(path: Path, folder: Path) -> str:
    """How a Modelfile in `folder` names `path`: ./name inside the folder, else absolute."""
    path, folder = Path(path).resolve(), Path(folder).resolve()
    try:
        return "./" + path.relative_to(folder).as_posix()
    except ValueError:
        return str(path)


def modelfile_spec(from_file: Path, out_dir: Path, *, adapter: Path | None = None, temperature: float,
                   num_ctx: int, eos_from: Path | None = None) -> ModelfileSpec:
    """The spec for a model file (GGUF or a safetensors folder), optionally plus a LoRA
    adapter, with paths as a Modelfile in `out_dir` names them. Stops include the end-of-
    sequence token text read from `eos_from` (default: `from_file` when it is a GGUF)."""
    if adapter is not None:
        check_adapter(Path(adapter))
    eos_source = eos_from or (from_file if Path(from_file).suffix == ".gguf" else None)
    eos = gguf_end_texts(eos_source) if eos_source else []
    return ModelfileSpec(from_=relative_to(from_file, out_dir),
                         adapter=relative_to(adapter, out_dir) if adapter is not None else None,
                         parameters=serving_parameters(temperature=temperature, num_ctx=num_ctx, eos_texts=eos))


def write_modelfile(spec: ModelfileSpec, path: Path, *, project_dir: Path | None = None, comment: str = "") -> Path:
    """Render `spec` (templates/Modelfile.j2) and write it atomically to `path`."""
    text = render_modelfile(spec, project_dir=project_dir, comment=comment)
    atomic_write_text(path, text)
    return Path(path)


def export_model_file(export: Any, quantization: str) -> Path:
    """The file of a GgufExport (gguf.py) for `quantization`: a quantized one, or the
    full-precision model for f16/bf16/f32."""
    wanted = quantization.lower()
    for name, path in export.quantized.items():
        if name.lower() == wanted:
            return Path(path)
    if Path(export.model).stem.lower().endswith(wanted):
        return Path(export.model)
    have = ", ".join([*export.quantized, Path(export.model).stem.rsplit("-", 1)[-1]])
    raise ModelfileError(f"the export in {export.out_dir} has no {quantization} file (it has: {have}); add it to "
                         "export.quantizations")


def write_modelfile_for_export(export: Any, settings: Any, *, use_adapter: bool = False,
                               quantization: str | None = None) -> Path:
    """Write `Modelfile` into a GgufExport's folder, from settings.ollama: FROM the merged model
    in `quantization` (default settings.ollama.quantization), or with `use_adapter` FROM the base
    model plus ADAPTER the GGUF LoRA. Paths are relative, so the folder can move."""
    o = settings.ollama
    if use_adapter:
        if export.adapter is None or export.base_model_gguf is None:
            raise ModelfileError(f"the export in {export.out_dir} has no GGUF adapter and base model")
        from_file, adapter, what = Path(export.base_model_gguf), Path(export.adapter), "base model + LoRA adapter"
    else:
        q = quantization or o.quantization
        from_file, adapter, what = export_model_file(export, q), None, f"merged model, {q}"
    spec = modelfile_spec(from_file, export.out_dir, adapter=adapter, temperature=o.temperature, num_ctx=o.num_ctx,
                          eos_from=Path(export.model))
    return write_modelfile(spec, Path(export.out_dir) / MODELFILE_NAME, project_dir=settings.project_dir,
                           comment=f"{what}; exported from {Path(export.out_dir).parent}")
