"""The Ollama server side: where it is, and creating a model in it from a Modelfile through
the `ollama` Python client (blobs uploaded, then `create`).

`create_model(name, modelfile, host=...)` is the one way in, for `gh-ft ollama create`, bundle
install and the improve loop: it reads the Modelfile with Ollama's own parsing rules
(modelfile_syntax.parse_modelfile), resolves FROM and ADAPTER relative to the Modelfile's folder
as `ollama create -f` does, uploads only the blobs the server lacks, and creates the model, so
the API path and `ollama create -f Modelfile` by hand see the same file.
"""
from __future__ import annotations

from gh_ft.errors import GhFtError
import re
from dataclasses import dataclass, field
from pathlib import Path
from typing import Callable

from gh_ft.files import sha256_file
from gh_ft.export.modelfile import check_adapter, expand_path, looks_like_path, model_files, spec_from_modelfile
from gh_ft.export.modelfile_syntax import ModelfileError

from gh_ft.settings import DEFAULT_OLLAMA_HOST as DEFAULT_HOST
_NAME = re.compile(r"[A-Za-z0-9][A-Za-z0-9._-]*(/[A-Za-z0-9][A-Za-z0-9._-]*){0,2}(:[A-Za-z0-9_][A-Za-z0-9._-]{0,127})?")

Progress = Callable[[str], None]


class OllamaError(GhFtError, RuntimeError):
    pass


class OllamaUnreachable(OllamaError):
    pass


# ---- where the server is ----------------------------------------------------------------------

def resolve_host(host: str | None) -> str:
    """The server's base URL: `host` as given (settings.ollama.host, where OLLAMA_HOST is already
    applied), else 127.0.0.1:11434;
    a missing scheme is http and a missing port 11434, as the ollama client and CLI read it."""
    raw = (host or DEFAULT_HOST).strip().rstrip("/")
    scheme, sep, rest = raw.partition("://")
    if not sep:
        scheme, rest = "http", raw
    hostport, slash, path = rest.partition("/")
    if hostport.startswith("["):
        has_port = "]:" in hostport
    else:
        has_port = ":" in hostport
    if not has_port:
        hostport = (hostport or "127.0.0.1") + (":11434" if not sep else ":443" if scheme == "https" else ":80")
    elif hostport.startswith(":"):
        hostport = "127.0.0.1" + hostport
    return f"{scheme}://{hostport}" + (f"/{path}" if slash and path else "")


def check_server(host: str | None, timeout: float = 10.0) -> str:
    """The server's version; OllamaUnreachable naming the address tried when nothing answers."""
    import httpx

    url = resolve_host(host)
    try:
        response = httpx.get(f"{url}/api/version", timeout=timeout)
        response.raise_for_status()
        return str(response.json().get("version", "unknown"))
    except (httpx.HTTPError, ValueError) as e:
        raise OllamaUnreachable(f"no Ollama server answered at {url} ({type(e).__name__}: {e}); start it with "
                                "`ollama serve`, or point --host / OLLAMA_HOST at a running one") from None


def client(host: str | None, timeout: float | None = None):
    """An `ollama.Client` for the server at `host` (see resolve_host)."""
    import ollama

    return ollama.Client(host=resolve_host(host), timeout=timeout)


# ---- creating the model ------------------------------------------------------------------------------

@dataclass
class CreatedModel:
    name: str
    host: str
    files: dict[str, str] = field(default_factory=dict)      # name -> sha256 digest
    adapters: dict[str, str] = field(default_factory=dict)
    from_model: str | None = None                             # FROM an Ollama model name
    uploaded: list[str] = field(default_factory=list)         # digests the server did not have yet


def check_model_name(name: str) -> str:
    if not _NAME.fullmatch(name or ""):
        raise OllamaError(f"{name!r} is not a valid Ollama model name (letters, digits, '.', '_', '-', "
                          "optionally namespace/ and :tag)")
    return name


def create_model(name: str, modelfile: Path | str, *, host: str | None = None,
                 progress: Progress | None = None) -> CreatedModel:
    """Create (or replace) model `name` in the Ollama server at `host` from a Modelfile file.
    Raises ModelfileError for a bad Modelfile or files, OllamaUnreachable when no server answers,
    OllamaError when the server refuses."""
    import httpx
    import ollama

    say = progress or (lambda message: None)
    check_model_name(name)
    modelfile = Path(modelfile)
    spec = spec_from_modelfile(modelfile.read_text(encoding="utf-8"))
    base = modelfile.resolve().parent
    model_path = expand_path(spec.from_, base)
    files: dict[str, Path] = {}
    from_model = None
    if model_path.exists():
        files = model_files(model_path)
    elif looks_like_path(spec.from_):
        raise ModelfileError(f"{modelfile}: FROM {spec.from_}: no such file ({model_path})")
    else:
        from_model = spec.from_
    adapters: dict[str, Path] = {}
    if spec.adapter is not None:
        adapter_path = expand_path(spec.adapter, base)
        check_adapter(adapter_path)
        adapters = model_files(adapter_path)

    url = resolve_host(host)
    version = check_server(url)
    say(f"Ollama {version} at {url}")
    c = client(url)
    result = CreatedModel(name, url, from_model=from_model)
    try:
        for kind, group in (("files", files), ("adapters", adapters)):
            for key, path in group.items():
                say(f"checking {path.name}")
                digest = "sha256:" + sha256_file(path)
                if httpx.head(f"{url}/api/blobs/{digest}", timeout=30).status_code != 200:
                    say(f"uploading {path.name} ({path.stat().st_size / 1e6:.1f} MB)")
                    if c.create_blob(path) != digest:
                        raise OllamaError(f"{path} changed while it was uploaded")
                    result.uploaded.append(digest)
                getattr(result, kind)[key] = digest
        say(f"creating {name}")
        last = None
        for status in c.create(model=name, from_=from_model, files=result.files or None,
                               adapters=result.adapters or None, template=spec.template or None,
                               system=spec.system or None,
                               parameters=spec.parameter_values() or None, stream=True):
            last = status.status
            if last:
                say(last)
    except ollama.ResponseError as e:
        raise OllamaError(f"Ollama at {url} refused to create {name}: {e.error}") from None
    except (ConnectionError, httpx.TransportError) as e:
        raise OllamaUnreachable(f"lost the Ollama server at {url} while creating {name}: {e}") from None
    if last != "success":
        raise OllamaError(f"Ollama at {url} did not confirm creating {name} (last status: {last!r})")
    return result


def list_models(host: str | None = None) -> list[str]:
    """Names of the models the server has (e.g. "grasshopper-component-generator:latest")."""
    url = resolve_host(host)
    check_server(url)
    return [m.model for m in client(url).list().models if m.model]


