"""Bundles: made from an export's Modelfile, installed into another (stand-in) Ollama that
then answers like the original; tampered, truncated, padded and path-escaping bundles are
refused before anything reaches the server or lands outside the install folder."""
from __future__ import annotations

import hashlib
import io
import json
import tarfile
from pathlib import Path

import ollama
import pytest
from click.testing import CliRunner

from gh_ft.evaluate.backends import finish_text
from gh_ft.cli import main
from gh_ft.export.bundle import (MANIFEST, BundleError, install_bundle, make_bundle, read_manifest, verify_bundle)
from gh_ft.export.modelfile import spec_from_modelfile, write_modelfile_for_export
from gh_ft.export.ollama import sha256_file
from gh_ft.prompt import cut_at_stop
from gh_ft.settings import Settings
from ollama_standin import StandinOllama


@pytest.fixture
def modelfile(exported_run):
    s = Settings().replace(ollama={"quantization": "f32", "temperature": 0.0, "num_ctx": 512})
    return write_modelfile_for_export(exported_run.export, s)


@pytest.fixture
def bundle(modelfile, tmp_path) -> Path:
    return make_bundle(modelfile, tmp_path / "out" / "gh.ollama-bundle.tar", model_name="gh-component")


@pytest.fixture
def other_machine(tmp_path):
    with StandinOllama(tmp_path / "other-ollama") as server:
        yield server


def _members(path: Path) -> dict[str, bytes]:
    with tarfile.open(path) as tar:
        return {m.name: tar.extractfile(m).read() for m in tar.getmembers()}


def _write_tar(path: Path, members: list[tuple[tarfile.TarInfo, bytes | None]]) -> Path:
    with tarfile.open(path, "w") as tar:
        for info, data in members:
            if data is not None:
                info.size = len(data)
            tar.addfile(info, io.BytesIO(data) if data is not None else None)
    return path


def _file_bundle(path: Path, files: dict[str, bytes], *, listed: dict[str, bytes] | None = None,
                 extra: list[tuple[tarfile.TarInfo, bytes | None]] = ()) -> Path:
    """A hand-made bundle: `files` as members, `listed` (default: the same) in the manifest."""
    entries = [{"path": n, "size": len(d), "sha256": hashlib.sha256(d).hexdigest()}
               for n, d in (listed if listed is not None else files).items()]
    manifest = {"format": "gh-ft-ollama-bundle", "version": 1, "model_name": "evil", "from_model": None,
                "modelfile": "Modelfile", "files": entries}
    members = [(tarfile.TarInfo(n), d) for n, d in files.items()]
    return _write_tar(path, [*members, *extra, (tarfile.TarInfo(MANIFEST), json.dumps(manifest).encode())])


def test_round_trip_installs_a_model_that_answers_the_same(bundle, exported_run, memorized_run, other_machine,
                                                           tmp_path):
    export = exported_run.export
    members = _members(bundle)
    assert set(members) == {"Modelfile", f"model/{export.model.name}", MANIFEST}
    manifest = json.loads(members[MANIFEST])
    assert manifest["model_name"] == "gh-component"
    for entry in manifest["files"]:
        assert hashlib.sha256(members[entry["path"]]).hexdigest() == entry["sha256"]
    assert members[f"model/{export.model.name}"] == export.model.read_bytes()
    assert spec_from_modelfile(members["Modelfile"].decode()).from_ == f"./model/{export.model.name}"
    assert not [p for p in bundle.parent.iterdir() if p != bundle]  # the temp file was renamed, none left

    done = install_bundle(bundle, host=other_machine.url)
    assert done.model.name == "gh-component" and done.kept_dir is None
    assert done.model.files == {export.model.name: "sha256:" + sha256_file(export.model)}
    assert [p.name for p in bundle.parent.iterdir()] == [bundle.name]  # the extraction folder is gone
    client = ollama.Client(other_machine.url)
    for row in memorized_run.rows[:2]:
        reply = client.generate(model="gh-component", prompt=row["instruction"], options={"num_predict": 48})
        assert finish_text(reply.response) == cut_at_stop(row["output"])


def test_install_can_keep_the_files_for_ollama_create_by_hand(bundle, other_machine, tmp_path):
    done = install_bundle(bundle, name="kept", host=other_machine.url, dest_dir=tmp_path / "kept")
    assert done.kept_dir == tmp_path / "kept" and done.model.name == "kept"
    spec = spec_from_modelfile((tmp_path / "kept" / "Modelfile").read_text())
    assert (tmp_path / "kept" / spec.from_).is_file()
    with pytest.raises(BundleError, match="not empty"):
        install_bundle(bundle, name="again", host=other_machine.url, dest_dir=tmp_path / "kept")


def test_tampered_file_is_refused_and_nothing_is_created(bundle, exported_run, other_machine):
    name = f"model/{exported_run.export.model.name}"
    with tarfile.open(bundle) as tar:
        offset = tar.getmember(name).offset_data
    raw = bytearray(bundle.read_bytes())
    raw[offset + 4096] ^= 0xFF  # one flipped byte inside the GGUF, same size
    bundle.write_bytes(bytes(raw))
    read_manifest(bundle)  # the structure is fine: only the checksum can tell
    with pytest.raises(BundleError, match=f"checksum mismatch for {name}"):
        install_bundle(bundle, host=other_machine.url)
    assert other_machine.models == {} and not any(other_machine.blobs.iterdir())
    assert [p.name for p in bundle.parent.iterdir()] == [bundle.name]


def test_tampered_modelfile_is_refused(bundle, other_machine, tmp_path):
    members = _members(bundle)
    members["Modelfile"] = members["Modelfile"].replace(b"temperature 0.0", b"temperature 1.5")
    with tarfile.open(bundle) as src, tarfile.open(tmp_path / "t.tar", "w") as dst:
        for m in src.getmembers():
            m.size = len(members[m.name])
            dst.addfile(m, io.BytesIO(members[m.name]))
    with pytest.raises(BundleError, match="checksum mismatch for Modelfile"):
        verify_bundle(tmp_path / "t.tar")


def test_truncated_bundle_is_refused(bundle, exported_run, other_machine):
    data = bundle.read_bytes()
    with tarfile.open(bundle) as tar:
        inside_gguf = tar.getmember(f"model/{exported_run.export.model.name}").offset_data + 1000
        inside_manifest = tar.getmember(MANIFEST).offset_data + 10
    for cut in (len(data) // 2, inside_gguf, inside_manifest, 700):
        bundle.write_bytes(data[:cut])
        with pytest.raises(BundleError, match="truncated|not a readable bundle|corrupt"):
            install_bundle(bundle, host=other_machine.url)
    assert other_machine.models == {}


@pytest.mark.parametrize("evil", ["../escaped.gguf", "/tmp/gh-ft-absolute.gguf", "model/../../escaped.gguf",
                                  "./model/x.gguf", "C:/evil.gguf"])
def test_path_traversal_is_refused(evil, tmp_path, other_machine):
    gguf = b"GGUF" + b"\0" * 60
    path = _file_bundle(tmp_path / "evil.tar", {"Modelfile": b"FROM ./model/x.gguf\n", evil: gguf})
    with pytest.raises(BundleError, match="leaves the bundle folder"):
        install_bundle(path, host=other_machine.url, dest_dir=tmp_path / "install")
    assert not (tmp_path / "escaped.gguf").exists() and not Path("/tmp/gh-ft-absolute.gguf").exists()
    assert not (tmp_path / "install").exists() or not any((tmp_path / "install").iterdir())


def test_links_unlisted_and_missing_members_are_refused(tmp_path, other_machine):
    gguf = b"GGUF" + b"\0" * 60
    link = tarfile.TarInfo("model/x.gguf")
    link.type, link.linkname = tarfile.SYMTYPE, "/etc/passwd"
    cases = {
        "not a plain file": _file_bundle(tmp_path / "link.tar", {"Modelfile": b"FROM ./model/x.gguf\n"},
                                         listed={"Modelfile": b"FROM ./model/x.gguf\n", "model/x.gguf": gguf},
                                         extra=[(link, None)]),
        "not listed": _file_bundle(tmp_path / "extra.tar", {"Modelfile": b"FROM ./model/x.gguf\n", "model/x.gguf": gguf,
                                                           "run.sh": b"rm -rf ~"},
                                   listed={"Modelfile": b"FROM ./model/x.gguf\n", "model/x.gguf": gguf}),
        "truncated": _file_bundle(tmp_path / "missing.tar", {"Modelfile": b"FROM ./model/x.gguf\n"},
                                  listed={"Modelfile": b"FROM ./model/x.gguf\n", "model/x.gguf": gguf}),
    }
    for reason, path in cases.items():
        with pytest.raises(BundleError, match=reason):
            install_bundle(path, host=other_machine.url)
    plain = tarfile.TarInfo("notes.txt")
    with pytest.raises(BundleError, match="no manifest.json"):
        install_bundle(_write_tar(tmp_path / "plain.tar", [(plain, b"hello")]), host=other_machine.url)
    assert other_machine.models == {} and other_machine.requests.count(("GET", "/api/version")) == 0


def test_modelfile_pointing_outside_the_bundle_is_refused(tmp_path, other_machine):
    secret = tmp_path / "secret.gguf"
    secret.write_bytes(b"GGUF private")
    for line in (f"FROM {secret}\n", "FROM ../secret.gguf\n", f"FROM ./model/x.gguf\nADAPTER {secret}\n"):
        path = _file_bundle(tmp_path / "out.tar", {"Modelfile": line.encode(), "model/x.gguf": b"GGUF" + b"\0" * 60})
        with pytest.raises(BundleError, match="points outside the bundle"):
            install_bundle(path, host=other_machine.url)
    assert not any(other_machine.blobs.iterdir())  # the secret was never uploaded


def test_cli_bundle_create_and_install(modelfile, tmp_path, other_machine):
    out = tmp_path / "cli.ollama-bundle.tar"
    runner = CliRunner()
    made = runner.invoke(main, ["bundle", "create", "--modelfile", str(modelfile), "--out", str(out),
                                "--name", "gh-cli"], catch_exceptions=False)
    assert made.exit_code == 0, made.output
    assert read_manifest(out)["model_name"] == "gh-cli"
    done = runner.invoke(main, ["bundle", "install", str(out), "--host", other_machine.url], catch_exceptions=False)
    assert done.exit_code == 0, done.output
    assert "gh-cli:latest" in other_machine.models
    out.write_bytes(out.read_bytes()[:1000])
    bad = runner.invoke(main, ["bundle", "install", str(out), "--host", other_machine.url])
    assert bad.exit_code == 1 and "gh-ft: error:" in bad.output
