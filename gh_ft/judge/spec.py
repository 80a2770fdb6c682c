"""The `spec` stage: does a generated component do what its task asked for?

A task comes from a real component; the collector reads its metadata (name, nickname,
category, subcategory, and every input and output with name, type and access). The
generated component is read the same way (csharp/components.py) and compared field by
field. Verdict: `fail` when a field the task names is proven different (a value the
generated code states plainly), `unknown` when a value cannot be read on either side (a
constant from another file, a registration in a loop), `pass` when every field matches.
A component that compiles but ignores the requested inputs is not a success.
"""
from __future__ import annotations

from dataclasses import dataclass, field
from typing import Sequence

from gh_ft.csharp.components import Component, find_components
from gh_ft.csharp.declarations import FileDecls, ParamDecl, read_declarations

PASS, FAIL, UNKNOWN = "pass", "fail", "unknown"
META_FIELDS = ("name", "nickname", "category", "subcategory")
PARAM_FIELDS = ("name", "type", "access")


@dataclass
class SpecResult:
    verdict: str
    reasons: list[str] = field(default_factory=list)
    matched: int = 0        # fields compared and equal
    compared: int = 0       # fields compared (both sides readable)

    @property
    def rate(self) -> float | None:
        return self.matched / self.compared if self.compared else None

    def to_dict(self) -> dict:
        return {"verdict": self.verdict, "matched": self.matched, "compared": self.compared, "rate": self.rate,
                "reasons": self.reasons}


def _component(code: str, context: Sequence[FileDecls]) -> Component | None:
    decls = read_declarations("<spec>", code)
    found = [c for c in find_components([decls, *context]) if c.file is decls]
    return found[0] if len(found) == 1 else (found[0] if found else None)


def _param_dict(p: ParamDecl) -> dict:
    return {"name": p.name, "type": _norm_type(p.type), "access": p.access}


def _norm_type(t: str) -> str:
    """`Param_Number`, `GH_Number`... and `AddNumberParameter` all name the same kind."""
    t = t.rsplit(".", 1)[-1]
    for prefix in ("Param_", "GH_"):
        if t.startswith(prefix):
            t = t[len(prefix):]
    return {"Double": "Number", "Int": "Integer", "Colour": "Colour", "Color": "Colour", "String": "Text",
            "Bool": "Boolean"}.get(t, t)


def spec_of(code: str, context: Sequence[FileDecls] = ()) -> dict | None:
    """The task's metadata, read from its reference component as the collector reads it."""
    comp = _component(code, context)
    if comp is None:
        return None
    return {"name": comp.name, "nickname": comp.nickname, "category": comp.category,
            "subcategory": comp.subcategory,
            "inputs": [_param_dict(p) for p in comp.inputs] if comp.decl.inputs is not None else None,
            "outputs": [_param_dict(p) for p in comp.outputs] if comp.decl.outputs is not None else None}


def compare_spec(code: str, spec: dict | None, context: Sequence[FileDecls] = ()) -> SpecResult:
    if spec is None:
        return SpecResult(UNKNOWN, ["the task's metadata could not be read from its reference"])
    got = spec_of(code, context)
    if got is None:
        return SpecResult(FAIL, ["no component to compare with the task"])
    result = SpecResult(PASS)
    unknown: list[str] = []

    def check(label: str, want, have) -> None:
        if want is None or want == "":
            return
        if have is None:
            unknown.append(f"{label}: the generated value cannot be read here")
            return
        result.compared += 1
        if want == have:
            result.matched += 1
        else:
            result.reasons.append(f"{label}: asked for {want!r}, got {have!r}")

    for f in META_FIELDS:
        check(f, spec.get(f), got.get(f))
    for side in ("inputs", "outputs"):
        want, have = spec.get(side), got.get(side)
        if want is None:
            continue
        if have is None:
            unknown.append(f"{side}: registered outside the generated class")
            continue
        result.compared += 1
        if len(want) == len(have):
            result.matched += 1
        else:
            result.reasons.append(f"{side}: asked for {len(want)}, got {len(have)}")
        for i, (w, h) in enumerate(zip(want, have)):
            for f in PARAM_FIELDS:
                check(f"{side[:-1]} {i} {f}", w.get(f), h.get(f))
    if result.reasons:
        result.verdict = FAIL
    elif unknown:
        result.verdict, result.reasons = UNKNOWN, unknown
    return result
