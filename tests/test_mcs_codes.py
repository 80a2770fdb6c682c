"""One case per mcs error code in compile_errors.MCS_CODES: real mcs output, classed as the table says."""
from __future__ import annotations

import pytest

from gh_ft.judge import compile_errors
from gh_ft.judge.compile import Compiler
from gh_ft.judge.ladder import FAIL, UNKNOWN

from test_compile import component
from tools import require_tool

MEMBER = "        public int Twice(int x) { return x * 2; }\n"
# code -> (SolveInstance body, class-level extra, expected compile verdict)
CASES = {
    "CS0019": ('            bool b = "a" - 1 > 0;', "", FAIL),
    "CS0029": ('            int n = "text";', "", FAIL),
    "CS0103": ("            value = missingName + 1;", "", FAIL),
    "CS0111": ("", MEMBER + MEMBER, FAIL),
    "CS0115": ("", "        protected override void SolveInstanse(IGH_DataAccess DA) { }\n", FAIL),
    "CS0117": ("            value = Curve.NoSuchFunction(2.0);", "", FAIL),
    "CS0120": ("            value = Helper();", "        public double Helper() { return 1; }\n"
               "        public static double Outer() { return Helper(); }\n", FAIL),
    "CS0122": ("            value = new Inner().hidden;", "        class Inner { private double hidden = 1; }\n", FAIL),
    "CS0161": ("", "        public int NoReturn(int x) { if (x > 0) return 1; }\n", FAIL),
    "CS0165": ("            double unset; value = unset;", "", FAIL),
    "CS0234": ("            Rhino.Geometry.NoSuchType t = null;", "", FAIL),
    "CS0246": ("            ThirdParty.Widget w = null;", "", UNKNOWN),
    "CS0266": ("            long big = 5; int small = big;", "", FAIL),
    "CS0534": ("", "", FAIL),   # the class below drops SolveInstance, abstract in GH_Component
    "CS0841": ("            value = later; double later = 1;", "", FAIL),
    "CS1525": ("            value = 1 value = 2;", "", UNKNOWN),
    "CS1061": ("            value = curve.NoSuchMember;", "", FAIL),
    "CS1501": ("            value = Math.Abs(1.0, 2.0, 3.0);", "", FAIL),
    "CS1502": ('            value = Math.Abs("text");', "", FAIL),
    "CS1729": ('            var list = new List<int>(1, 2, 3);', "", FAIL),
}


def _code(code: str) -> str:
    body, extra, _ = CASES[code]
    text = component(body, name=f"Probe{code}", extra=extra)
    if code == "CS0534":
        start = text.index("        protected override void SolveInstance")
        end = text.index("        }\n", text.index("DA.SetData(0, value);")) + len("        }\n")
        text = text[:start] + text[end:]
    return text


def test_the_table_has_a_case_per_code():
    assert set(CASES) == set(compile_errors.MCS_CODES)


def test_each_code_is_classed_as_the_table_says(monkeypatch):
    mcs = require_tool("mcs", "the judge's compile stage (apt-get install mono-mcs libmono-system-drawing4.0-cil)")
    seen: dict[str, set[str]] = {}
    classify = compile_errors.ErrorClassifier.classify

    def recording(self, e, unit):
        seen.setdefault(unit.code, set()).add(e.code)
        return classify(self, e, unit)

    monkeypatch.setattr(compile_errors.ErrorClassifier, "classify", recording)
    codes = sorted(CASES)
    texts = [_code(c) for c in codes]
    with Compiler(mcs) as compiler:
        results = compiler.compile(texts)
    for code, text, result in zip(codes, texts, results):
        expected = CASES[code][2]
        assert code in seen.get(text, set()), (code, seen.get(text), result)
        assert result.verdict == expected, (code, result)


def test_a_parser_error_both_parsers_see_fails_at_syntax_and_mcs_alone_is_unknown():
    from gh_ft.judge.compile_errors import McsError
    from gh_ft.judge.compile_units import prepare_unit

    assert compile_errors.MCS_CODES["CS1525"][0] == "unknown"
    from gh_ft.judge.ladder import judge

    assert judge(_code("CS1525"), compile=False).stage == "syntax"
    classifier = compile_errors.ErrorClassifier.__new__(compile_errors.ErrorClassifier)
    classifier.context_trimmed = set()
    j = classifier.classify(McsError("u.cs", 3, 1, "CS1525", "; expected"), prepare_unit(0, "class A { }"))
    assert not j.fail and j.kind == "newer C#"


def test_knock_on_errors_after_an_unresolved_type_are_unknown():
    mcs = require_tool("mcs", "the judge's compile stage (apt-get install mono-mcs libmono-system-drawing4.0-cil)")
    text = component("            ThirdParty.Robot bot = null; bot.Move(); double later = value; value = later;")
    text = text.replace("ThirdParty.Robot bot = null; bot.Move();",
                        "var x = bot; ThirdParty.Robot bot = null;")
    with Compiler(mcs) as compiler:
        (result,) = compiler.compile([text])
    assert result.verdict == UNKNOWN, result


def test_library_types_in_declarations_do_not_hide_errors_in_bodies():
    """mcs stops before the bodies when a declaration names a missing library type; the
    file is compiled again with those types as `dynamic`, and only certain errors count."""
    mcs = require_tool("mcs", "the judge's compile stage (apt-get install mono-mcs libmono-system-drawing4.0-cil)")
    field = "        private ThirdParty.Widget _widget;\n        public ThirdParty.Widget Make(ThirdParty.Widget a) { return a; }\n"
    uses_library = component("            _widget.Spin(3); value = _widget.Size + Make(_widget).Weight;", extra=field)
    wrong = component('            double wrong = Point3d.Origin.DistanceTo("origin");', extra=field)
    imported = "using Lib.Stuff;\n" + component('            var w = new Widget(); w.Go(1); value = Curve.NoSuchFunction(1.0);',
                                               name="P2")
    with Compiler(mcs) as compiler:
        results = compiler.compile([uses_library, wrong, imported])
    assert results[0].verdict == UNKNOWN, results[0]
    assert results[1].verdict == FAIL and "DistanceTo" in results[1].reasons[0], results[1]
    assert results[2].verdict == FAIL and "NoSuchFunction" in results[2].reasons[0], results[2]
