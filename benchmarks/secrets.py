"""Secret redaction on real plugins: recall on planted credentials, false redactions, parse safety.

1. Recall: each credential of tests/test_secrets.py NEW_FORMATS (formats the hand rules
   lacked) is planted in a real component of ../shared/corpus/real-plugins, inside a method
   the way plugin authors write them, and the component is redacted: found = the value is
   gone and the file parses no worse than before. Three setups: the hand rules alone, the
   detector (whichever `detect_secrets` is importable) alone, and both (what gh-ft runs).
2. The real corpus as it is (it holds no real credentials): every redaction there is a
   false one; counted by kind, and every component class of truth.jsonl must still parse.

    python benchmarks/secrets.py                        # detect-secrets as installed (1.5.0)
    PYTHONPATH=/tmp/bcds python benchmarks/secrets.py   # the same with another build of the
                                                        # detect_secrets module (e.g. bc-detect-secrets)
"""
from __future__ import annotations

import json
import sys
import time
from collections import Counter
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))
sys.path.insert(0, str(ROOT / "tests"))

from gh_ft.collect import secrets as redaction  # noqa: E402
from gh_ft.csharp.parse import error_count, parse_tree  # noqa: E402
from test_secrets import NEW_FORMATS  # noqa: E402

CORPUS = ROOT.parent / "shared" / "corpus" / "real-plugins"


def _class_nodes(tree, name: str):
    stack = [tree.root_node]
    while stack:
        n = stack.pop()
        if n.type == "class_declaration":
            ident = n.child_by_field_name("name")
            if ident is not None and ident.text.decode() == name:
                yield n
        stack.extend(n.children)


def _planted(source: str, start_line: int, code: str) -> str:
    """The component's source with `code` inside a new method right after the class's `{`."""
    lines = source.split("\n")
    i = start_line - 1
    while i < len(lines) and "{" not in lines[i]:
        i += 1
    lines.insert(i + 1, "        private void Planted()\n        {\n            " + code + "\n        }")
    return "\n".join(lines)


def recall(components: list[dict], setup: str) -> tuple[int, list[str]]:
    saved_plugins, saved_rules = redaction._detector_plugins, redaction._RULES
    if setup == "rules":
        redaction._detector_plugins = lambda: ()
    elif setup == "detector":
        redaction._RULES = []
    try:
        found, missed = 0, []
        for k, (code, secret, kind) in enumerate(NEW_FORMATS):
            comp = components[k * 7 % len(components)]
            source = (CORPUS / comp["folder"] / comp["path"]).read_text(encoding="utf-8-sig")
            planted = _planted(source, comp["start_line"], code)
            out, _ = redaction.redact_secrets(planted)
            if secret not in out and error_count(parse_tree(out).root_node) <= error_count(parse_tree(planted).root_node):
                found += 1
            else:
                missed.append(kind)
        return found, missed
    finally:
        redaction._detector_plugins, redaction._RULES = saved_plugins, saved_rules


def corpus_run(components: list[dict]) -> dict:
    by_file: dict[str, list[dict]] = {}
    for c in components:
        by_file.setdefault(f"{c['folder']}/{c['path']}", []).append(c)
    files = sorted(CORPUS.rglob("*.cs"))
    kinds, broken, changed = Counter(), [], 0
    t0 = time.perf_counter()
    outputs = {}
    for f in files:
        text = f.read_text(encoding="utf-8-sig", errors="replace")
        out, found = redaction.redact_secrets(text)
        kinds.update(r.kind for r in found)
        changed += out != text
        outputs[f] = (text, out)
    seconds = time.perf_counter() - t0
    for f, (text, out) in outputs.items():
        if out is text:
            continue
        before, after = parse_tree(text), parse_tree(out)
        for c in by_file.get(f.relative_to(CORPUS).as_posix(), []):
            was = [n for n in _class_nodes(before, c["name"]) if n.start_point[0] + 1 == c["start_line"]]
            now = [n for n in _class_nodes(after, c["name"]) if n.start_point[0] + 1 == c["start_line"]]
            if was and (not now or error_count(now[0]) > error_count(was[0])):
                broken.append(f"{c['path']}:{c['name']}")
    return {"files": len(files), "components": len(components), "redactions": sum(kinds.values()),
            "by_kind": dict(kinds), "files_changed": changed, "components_broken": broken,
            "redact_seconds": round(seconds, 2)}


def main() -> None:
    if not CORPUS.is_dir():
        sys.exit(f"{CORPUS} is absent")
    every = [json.loads(line) for line in (CORPUS / "truth.jsonl").read_text().splitlines() if line.strip()]
    components = [c for c in every if not c.get("abstract")]  # planted into concrete ones
    try:
        import importlib.metadata as md

        import detect_secrets
        dist = "bc-detect-secrets" if "bc" in str(Path(detect_secrets.__file__).parent.parent) else "detect-secrets"
        detector = f"{dist} {md.version(dist) if dist == 'detect-secrets' else ''}".strip()
        detector += f" ({len(redaction._detector_plugins())} plugins used)"
    except ImportError:
        detector = "none importable"
    result = {"detector": detector, "planted": len(NEW_FORMATS)}
    for setup in ("rules", "detector", "both"):
        found, missed = recall(components, setup)
        result[f"recall_{setup}"] = f"{found}/{len(NEW_FORMATS)}"
        result[f"missed_{setup}"] = missed
    result["corpus"] = corpus_run(every)
    saved = redaction._detector_plugins
    redaction._detector_plugins = lambda: ()
    result["corpus_rules_only"] = {k: v for k, v in corpus_run(every).items()
                                   if k in ("redactions", "by_kind", "components_broken", "redact_seconds")}
    redaction._detector_plugins = saved
    print(json.dumps(result, indent=2))


if __name__ == "__main__":
    main()
