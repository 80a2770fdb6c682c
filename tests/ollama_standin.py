"""A STAND-IN for the Ollama server, for tests only: the real server is not installable here.

It speaks the part of Ollama's HTTP API gh-ft uses (`HEAD/POST /api/blobs/:digest`,
`/api/create`, `/api/generate`, `/api/tags`, `/api/show`, `/api/version`), so the real
`ollama` Python client talks to it unchanged. Models are real: GGUF blobs run by llama.cpp
(llama-cpp-python), with GGUF LoRA adapters. Like Ollama it renders the model's TEMPLATE
(Go text/template, in the subset Ollama's prompt-only path needs: text, fields, string
literals, if/else/end, trim markers, cut at `.Response`) unless the request is raw, and it
records every text it hands llama.cpp (`StandinOllama.rendered`) so tests can compare it
with gh_ft.prompt. Plain http.server in a thread, stdlib plus llama_cpp.
"""
from __future__ import annotations

import hashlib
import json
import re
import threading
import time
from dataclasses import dataclass, field
from datetime import datetime, timezone
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any

# ---- Go text/template, the subset Ollama's legacy (prompt-only) rendering uses -----------------

_GO_ESCAPES = {"a": "\a", "b": "\b", "f": "\f", "n": "\n", "r": "\r", "t": "\t", "v": "\v", "\\": "\\", '"': '"'}


class TemplateError(ValueError):
    pass


def _go_unquote(src: str, i: int) -> tuple[str, int]:
    """The Go interpreted string literal starting at src[i] == '"': (value, index after it)."""
    out, i = [], i + 1
    while i < len(src):
        ch = src[i]
        if ch == '"':
            return "".join(out), i + 1
        if ch == "\n":
            break
        if ch != "\\":
            out.append(ch)
            i += 1
            continue
        esc = src[i + 1:i + 2]
        if esc in _GO_ESCAPES:
            out.append(_GO_ESCAPES[esc])
            i += 2
        elif esc in ("x", "u", "U"):
            width = {"x": 2, "u": 4, "U": 8}[esc]
            digits = src[i + 2:i + 2 + width]
            if not re.fullmatch(f"[0-9a-fA-F]{{{width}}}", digits):
                raise TemplateError(f"bad \\{esc} escape in a string")
            out.append(chr(int(digits, 16)))
            i += 2 + width
        elif re.fullmatch("[0-7]{3}", src[i + 1:i + 4]):
            out.append(chr(int(src[i + 1:i + 4], 8)))
            i += 4
        else:
            raise TemplateError(f"unknown escape \\{esc}")
    raise TemplateError("unterminated string in an action")


def _lex(src: str) -> list[tuple]:
    items: list[tuple] = []
    i = 0
    while True:
        j = src.find("{{", i)
        if j < 0:
            items.append(("text", src[i:]))
            return items
        items.append(("text", src[i:j]))
        k = j + 2
        trim_left = src[k:k + 1] == "-" and src[k + 1:k + 2] in (" ", "\t", "\r", "\n")
        k += 1 if trim_left else 0
        words: list[tuple[str, str]] = []
        trim_right = False
        while True:
            while k < len(src) and src[k] in " \t\r\n":
                k += 1
            if k >= len(src):
                raise TemplateError("unclosed action")
            if src.startswith("-}}", k) and src[k - 1] in " \t\r\n":
                trim_right, k = True, k + 3
                break
            if src.startswith("}}", k):
                k += 2
                break
            if src[k] == '"':
                value, k = _go_unquote(src, k)
                words.append(("str", value))
                continue
            m = re.compile(r"[.A-Za-z_][A-Za-z0-9_.]*").match(src, k)
            if not m:
                raise TemplateError(f"the stand-in cannot read {src[k:k + 20]!r} in an action")
            words.append(("word", m.group()))
            k = m.end()
        items.append(("action", words, trim_left, trim_right))
        i = k


def parse_go_template(src: str) -> list:
    """Nodes: str (text), ("field", name), ("if", name, then_nodes, else_nodes)."""
    items = _lex(src)
    for n, item in enumerate(items):  # trim markers eat the whitespace beside the action
        if item[0] == "action":
            if item[2] and n > 0:
                items[n - 1] = ("text", items[n - 1][1].rstrip(" \t\r\n"))
            if item[3] and n + 1 < len(items):
                items[n + 1] = ("text", items[n + 1][1].lstrip(" \t\r\n"))
    root: list = []
    stack: list[tuple[list, Any]] = []  # (list being filled, its "if" node or None)
    current = root
    for item in items:
        if item[0] == "text":
            if item[1]:
                current.append(item[1])
            continue
        words = item[1]
        kinds = [w[0] for w in words]
        names = [w[1] for w in words]
        if kinds == ["word"] and names[0].startswith(".") and names[0].count(".") == 1:
            current.append(("field", names[0][1:]))
        elif kinds == ["str"]:
            current.append(names[0])
        elif kinds == ["word", "word"] and names[0] == "if" and names[1].startswith("."):
            node = ("if", names[1][1:], [], [])
            current.append(node)
            stack.append((current, node))
            current = node[2]
        elif names == ["else"] and stack and current is stack[-1][1][2]:
            current = stack[-1][1][3]
        elif names == ["end"] and stack:
            current = stack.pop()[0]
        else:
            raise TemplateError(f"the stand-in does not implement the action {{{{ {' '.join(names)} }}}}")
    if stack:
        raise TemplateError("unexpected EOF: an if without end")
    return root


def render_go_template(nodes: list, values: dict[str, str]) -> str:
    """Ollama's prompt-only rendering: everything from the first `{{ .Response }}` on is cut."""
    out: list[str] = []

    def walk(seq: list) -> bool:
        for node in seq:
            if isinstance(node, str):
                out.append(node)
            elif node[0] == "field":
                if node[1] == "Response":
                    return True
                out.append(values.get(node[1], ""))
            elif walk(node[2] if values.get(node[1]) else node[3]):
                return True
        return False

    walk(nodes)
    return "".join(out)


# ---- the server ---------------------------------------------------------------------------------

@dataclass
class StandinModel:
    name: str
    model_digest: str
    adapter_digests: list[str]
    template: str
    system: str
    parameters: dict[str, Any]
    modified_at: str = field(default_factory=lambda: datetime.now(timezone.utc).isoformat())


def _full_name(name: str) -> str:
    return name if ":" in name.rsplit("/", 1)[-1] else name + ":latest"


class StandinOllama:
    """Start with `with StandinOllama(root) as server:`; `server.url` is the host for the client."""

    def __init__(self, root: Path) -> None:
        self.root = Path(root)
        self.blobs = self.root / "blobs"
        self.blobs.mkdir(parents=True, exist_ok=True)
        self.models: dict[str, StandinModel] = {}
        self.rendered: list[tuple[str, str]] = []   # (model, text handed to llama.cpp)
        self.requests: list[tuple[str, str]] = []   # (method, path)
        self.generate_requests: list[dict] = []     # /api/generate bodies, in arrival order
        self._llamas: dict[tuple, tuple[Any, threading.Lock]] = {}
        self._lock = threading.Lock()
        self._httpd: ThreadingHTTPServer | None = None

    # lifecycle
    def __enter__(self) -> "StandinOllama":
        standin = self

        class Handler(_Handler):
            server_state = standin

        self._httpd = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self._httpd.daemon_threads = True
        threading.Thread(target=self._httpd.serve_forever, kwargs={"poll_interval": 0.05}, daemon=True).start()
        return self

    def __exit__(self, *exc) -> None:
        if self._httpd:
            self._httpd.shutdown()
            self._httpd.server_close()
        for llm, _ in self._llamas.values():
            llm.close()

    @property
    def url(self) -> str:
        host, port = self._httpd.server_address[:2]
        return f"http://{host}:{port}"

    def blob_path(self, digest: str) -> Path:
        if not re.fullmatch(r"sha256:[0-9a-f]{64}", digest):
            raise ValueError(f"invalid digest {digest!r}")
        return self.blobs / digest.replace(":", "-")

    # llama.cpp
    def llama(self, model: StandinModel, n_ctx: int):
        import llama_cpp

        key = (model.model_digest, tuple(model.adapter_digests), n_ctx)
        with self._lock:
            if key not in self._llamas:
                lora = str(self.blob_path(model.adapter_digests[0])) if model.adapter_digests else None
                llm = llama_cpp.Llama(model_path=str(self.blob_path(model.model_digest)), lora_path=lora,
                                      n_ctx=n_ctx, n_threads=2, verbose=False)
                self._llamas[key] = (llm, threading.Lock())
            return self._llamas[key]


class _HTTPError(Exception):
    def __init__(self, status: int, message: str) -> None:
        super().__init__(message)
        self.status = status


class _Handler(BaseHTTPRequestHandler):
    server_state: StandinOllama
    protocol_version = "HTTP/1.1"

    def log_message(self, format, *args):  # quiet
        pass

    # plumbing
    def _reply(self, status: int, body: Any = None, stream: list | None = None) -> None:
        if stream is not None:
            data = b"".join(json.dumps(part).encode() + b"\n" for part in stream)
            ctype = "application/x-ndjson"
        else:
            data = b"" if body is None else json.dumps(body).encode()
            ctype = "application/json"
        self.send_response(status)
        self.send_header("Content-Type", ctype)
        self.send_header("Content-Length", str(len(data)))
        self.end_headers()
        if self.command != "HEAD":
            self.wfile.write(data)

    def _json(self) -> dict:
        length = int(self.headers.get("Content-Length") or 0)
        try:
            body = json.loads(self.rfile.read(length) or b"{}")
        except json.JSONDecodeError:
            raise _HTTPError(400, "invalid JSON") from None
        if not isinstance(body, dict):
            raise _HTTPError(400, "expected a JSON object")
        return body

    def _dispatch(self) -> None:
        s = self.server_state
        s.requests.append((self.command, self.path))
        try:
            route = (self.command, self.path.split("?")[0])
            if route[1].startswith("/api/blobs/"):
                self._blob(route[1].removeprefix("/api/blobs/"))
            elif route == ("GET", "/api/version"):
                self._reply(200, {"version": "0.0.0-gh-ft-standin"})
            elif route == ("GET", "/api/tags"):
                self._tags()
            elif route == ("POST", "/api/show"):
                self._show(self._json())
            elif route == ("POST", "/api/create"):
                self._create(self._json())
            elif route == ("POST", "/api/generate"):
                self._generate(self._json())
            elif route in (("GET", "/"), ("HEAD", "/")):
                self._reply(200, "Ollama is running (gh-ft stand-in)")
            else:
                raise _HTTPError(404, "404 page not found")
        except _HTTPError as e:
            self._reply(e.status, {"error": str(e)})

    do_GET = do_POST = do_HEAD = do_DELETE = _dispatch

    # endpoints
    def _blob(self, digest: str) -> None:
        s = self.server_state
        try:
            path = s.blob_path(digest)
        except ValueError as e:
            raise _HTTPError(400, str(e)) from None
        if self.command == "HEAD":
            self._reply(200 if path.is_file() else 404)
            return
        if self.command != "POST":
            raise _HTTPError(405, "method not allowed")
        h = hashlib.sha256()
        tmp = path.with_suffix(".partial")
        with open(tmp, "wb") as f:
            for chunk in self._body_chunks():
                h.update(chunk)
                f.write(chunk)
        if f"sha256:{h.hexdigest()}" != digest:
            tmp.unlink()
            raise _HTTPError(400, "digest mismatch")
        tmp.replace(path)
        self._reply(201)

    def _body_chunks(self):
        if self.headers.get("Transfer-Encoding", "").lower() == "chunked":
            while True:
                size = int(self.rfile.readline().split(b";")[0].strip() or b"0", 16)
                if size == 0:
                    self.rfile.readline()
                    return
                yield self.rfile.read(size)
                self.rfile.readline()
        remaining = int(self.headers.get("Content-Length") or 0)
        while remaining > 0:
            chunk = self.rfile.read(min(remaining, 1 << 20))
            if not chunk:
                raise _HTTPError(400, "body ended early")
            remaining -= len(chunk)
            yield chunk

    def _model(self, name: str | None) -> StandinModel:
        if not name:
            raise _HTTPError(400, "model is required")
        model = self.server_state.models.get(_full_name(name))
        if model is None:
            raise _HTTPError(404, f"model '{name}' not found")
        return model

    def _gguf_blob(self, filename: str, digest: str, what: str) -> str:
        if not filename.endswith(".gguf"):
            raise _HTTPError(400, f"the stand-in loads GGUF {what}s only, not {filename!r}")
        path = self.server_state.blob_path(digest)
        if not path.is_file():
            raise _HTTPError(400, f"blob {digest} not found (upload it to /api/blobs first)")
        with open(path, "rb") as f:
            if f.read(4) != b"GGUF":
                raise _HTTPError(400, f"{filename} is not a GGUF file")
        return digest

    def _create(self, req: dict) -> None:
        s = self.server_state
        name = req.get("model")
        if not name:
            raise _HTTPError(400, "model name is required")
        if req.get("quantize"):
            raise _HTTPError(400, "the stand-in does not quantize")
        files, adapters = req.get("files") or {}, req.get("adapters") or {}
        for key in [*files, *adapters]:
            if key.startswith("/") or ".." in key.split("/"):
                raise _HTTPError(400, "file path must be relative")
        base = s.models.get(_full_name(req["from"])) if req.get("from") else None
        if req.get("from") and base is None and not files:
            raise _HTTPError(400, f"model '{req['from']}' not found")
        models = [self._gguf_blob(k, v, "model") for k, v in files.items()]
        if len(models) > 1:
            raise _HTTPError(400, "the stand-in takes one GGUF model file")
        if not models and base is None:
            raise _HTTPError(400, "neither 'from' nor 'files' names a model")
        adapter_digests = [self._gguf_blob(k, v, "adapter") for k, v in adapters.items()]
        template = req.get("template") if req.get("template") is not None else (base.template if base else "{{ .Prompt }}")
        try:
            parse_go_template(template)
        except TemplateError as e:
            raise _HTTPError(400, f"template error: {e}") from None
        params = dict(base.parameters) if base else {}
        params.update(req.get("parameters") or {})
        s.models[_full_name(name)] = StandinModel(
            _full_name(name), models[0] if models else base.model_digest,
            adapter_digests or (list(base.adapter_digests) if base else []), template,
            req.get("system") if req.get("system") is not None else (base.system if base else ""), params)
        statuses = [{"status": "parsing GGUF"}, *({"status": f"using existing layer {d}"} for d in
                                                   [*models, *adapter_digests]),
                    {"status": "writing manifest"}, {"status": "success"}]
        if req.get("stream", True):
            self._reply(200, stream=statuses)
        else:
            self._reply(200, statuses[-1])

    def _details(self, model: StandinModel) -> dict:
        return {"format": "gguf", "family": "llama", "families": ["llama"], "parameter_size": "",
                "quantization_level": "", "parent_model": ""}

    def _tags(self) -> None:
        s = self.server_state
        self._reply(200, {"models": [
            {"name": m.name, "model": m.name, "modified_at": m.modified_at, "digest": m.model_digest[7:],
             "size": s.blob_path(m.model_digest).stat().st_size, "details": self._details(m)}
            for m in s.models.values()]})

    def _show(self, req: dict) -> None:
        m = self._model(req.get("model") or req.get("name"))
        params = "\n".join(f"{k:<30} {json.dumps(v) if isinstance(v, str) else v}" for k, vs in m.parameters.items()
                           for v in (vs if isinstance(vs, list) else [vs]))
        modelfile = (f"FROM {self.server_state.blob_path(m.model_digest)}\n"
                     + "".join(f"ADAPTER {self.server_state.blob_path(d)}\n" for d in m.adapter_digests)
                     + f'TEMPLATE """{m.template}"""\nSYSTEM """{m.system}"""\n')
        self._reply(200, {"modelfile": modelfile, "parameters": params, "template": m.template, "system": m.system,
                          "details": self._details(m), "model_info": {"general.architecture": "llama"},
                          "capabilities": ["completion"], "modified_at": m.modified_at})

    def _generate(self, req: dict) -> None:
        s = self.server_state
        m = self._model(req.get("model"))
        now = datetime.now(timezone.utc).isoformat()
        if not req.get("prompt"):
            self._reply(200, {"model": m.name, "created_at": now, "response": "", "done": True, "done_reason": "load"})
            return
        opts = {**m.parameters, **(req.get("options") or {})}
        if req.get("raw"):
            text = req["prompt"]
        else:
            try:
                nodes = parse_go_template(req.get("template") or m.template)
            except TemplateError as e:
                raise _HTTPError(400, f"template error: {e}") from None
            text = render_go_template(nodes, {"System": req.get("system") or m.system, "Prompt": req["prompt"],
                                              "Response": ""})
        s.rendered.append((m.name, text))
        s.generate_requests.append(req)
        t0 = time.perf_counter_ns()
        llm, lock = s.llama(m, int(opts.get("num_ctx", 2048)))
        t_loaded = time.perf_counter_ns()
        with lock:
            tokens = llm.tokenize(text.encode("utf-8"), add_bos=True, special=True)
            limit = int(opts.get("num_predict", -1))
            room = llm.n_ctx() - len(tokens)
            out = llm.create_completion(
                prompt=tokens, max_tokens=room if limit < 0 else min(limit, room),
                temperature=float(opts.get("temperature", 0.8)), top_k=int(opts.get("top_k", 40)),
                top_p=float(opts.get("top_p", 0.9)), min_p=float(opts.get("min_p", 0.0)),
                repeat_penalty=float(opts.get("repeat_penalty", 1.1)),
                seed=int(opts.get("seed", -1)), stop=list(opts.get("stop") or []))
        t_end = time.perf_counter_ns()
        choice = out["choices"][0]
        final = {"model": m.name, "created_at": now, "response": choice["text"], "done": True,
                 "done_reason": "length" if choice["finish_reason"] == "length" else "stop", "context": [],
                 "total_duration": t_end - t0, "load_duration": t_loaded - t0,
                 "prompt_eval_count": len(tokens), "prompt_eval_duration": 0,
                 "eval_count": out["usage"]["completion_tokens"], "eval_duration": t_end - t_loaded}
        if req.get("stream", True):
            self._reply(200, stream=[{"model": m.name, "created_at": now, "response": choice["text"], "done": False},
                                     {**final, "response": ""}])
        else:
            self._reply(200, final)
