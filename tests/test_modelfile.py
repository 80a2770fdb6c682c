"""The Modelfile: TEMPLATE rendered by Go's own text/template gives exactly the training
prompt; values survive Ollama's Modelfile parsing, hostile ones included; the parser port
agrees with the cases in Ollama's parser_test.go; bad adapters and prompt edits are refused."""
from __future__ import annotations

import json
import os
import subprocess

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from gh_ft.export.modelfile import (ModelfileSpec, ollama_prompt_fields, prompt_layout, prompt_template,
                                    render_modelfile, serving_parameters, spec_from_modelfile)
from gh_ft.export.modelfile_syntax import ModelfileError, go_template_text, modelfile_quote, parse_modelfile
from gh_ft.prompt import GENERATION, PREAMBLE, PREAMBLE_WITH_INPUT, STOP_MARKERS, render_prompt
from ollama_standin import parse_go_template, render_go_template
from tools import require_tool

HOSTILE = [
    'say "hi"', "'single'", '"""', 'a"""b', '"""\n', 'x"""\ny', '""""', "{{ .System }}", "{{", "}}", "{{{",
    "{{- if .X }}", "{", "a{", "`backtick` ``` fenced", "\\ back\\slash \\n", "tab\there", "line1\nline2\n",
    "  padded  ", "# not a comment", "PARAMETER stop x", "FROM evil", "\r\nwindows\r\n", "ünïcödé ✓ 漢字",
    "emoji 🙂", "nul\x00byte", "esc\x1b[0m", "nbsp\u00a0here", "\u2028sep", "",
]

GO_RENDER = """package main

import (
	"encoding/json"
	"fmt"
	"os"
	"strings"
	"text/template"
)

// Renders one template for several value sets, parsed the way Ollama parses a model's
// TEMPLATE (missing keys render as empty).
func main() {
	var job struct {
		Template string              `json:"template"`
		Values   []map[string]string `json:"values"`
	}
	if err := json.NewDecoder(os.Stdin).Decode(&job); err != nil {
		fmt.Fprintln(os.Stderr, err)
		os.Exit(2)
	}
	t, err := template.New("").Option("missingkey=zero").Parse(job.Template)
	if err != nil {
		fmt.Fprintln(os.Stderr, err)
		os.Exit(3)
	}
	out := []string{}
	for _, v := range job.Values {
		var b strings.Builder
		if err := t.Execute(&b, v); err != nil {
			fmt.Fprintln(os.Stderr, err)
			os.Exit(4)
		}
		out = append(out, b.String())
	}
	json.NewEncoder(os.Stdout).Encode(out)
}
"""


@pytest.fixture(scope="module")
def go_render(tmp_path_factory):
    """render(template, [values...]) -> [text...] with Go's text/template (built once)."""
    go = require_tool("go", "the Modelfile TEMPLATE is checked with Go's own text/template (Debian: golang-go)")
    work = tmp_path_factory.mktemp("go")
    (work / "main.go").write_text(GO_RENDER, encoding="utf-8")
    env = {**os.environ, "GOCACHE": str(work / "cache"), "GOPATH": str(work / "path"), "GOTOOLCHAIN": "local",
           "GOPROXY": "off", "GOFLAGS": "", "CGO_ENABLED": "0"}
    subprocess.run([go, "build", "-o", str(work / "render"), "main.go"], cwd=work, env=env, check=True,
                   capture_output=True, timeout=300)

    def render(template: str, values: list[dict[str, str]]) -> list[str]:
        done = subprocess.run([str(work / "render")], input=json.dumps({"template": template, "values": values}),
                              capture_output=True, text=True, timeout=60)
        assert done.returncode == 0, done.stderr
        return json.loads(done.stdout)

    return render


def _ollama_values(instruction: str, input: str = "") -> dict[str, str]:
    """What Ollama passes the template for a generate request (no prior turns): System is the
    request's system or the Modelfile's SYSTEM, Prompt the request's prompt, Response empty."""
    fields = ollama_prompt_fields(instruction, input)
    return {"System": fields["system"], "Prompt": fields["prompt"], "Response": ""}


def test_template_in_go_reproduces_the_training_prompt(go_render, tmp_path):
    # The TEMPLATE as Ollama reads it: out of a written Modelfile, through the Modelfile parser.
    spec = ModelfileSpec(from_="./model.gguf",
                         parameters=serving_parameters(temperature=0.2, num_ctx=4096, eos_texts=["</s>"]))
    text = render_modelfile(spec)
    template = spec_from_modelfile(text).template
    assert template == prompt_template()
    cases = [("Create a component that adds two numbers.", ""),
             ("Complete this skeleton.", "public class A : GH_Component { }"),
             *((h, "") for h in HOSTILE if h), *(("Use the context.", h) for h in HOSTILE if h),
             ('Write "Hello" with {{ .Prompt }} and ``` fences', 'input with """ and {{ end }} and `x`')]
    values = [_ollama_values(i, x) for i, x in cases]
    rendered = go_render(template, values)
    for (instruction, input), got in zip(cases, rendered):
        assert got == render_prompt(instruction, input), (instruction, input)
    # The stand-in Ollama server's own template renderer (used by test_ollama.py) agrees with Go.
    nodes = parse_go_template(template)
    assert [render_go_template(nodes, v) for v in values] == rendered
    # Without a request system, Ollama passes the Modelfile's SYSTEM: the plain preamble.
    assert spec_from_modelfile(text).system == PREAMBLE
    [plain] = go_render(template, [{"System": PREAMBLE, "Prompt": "Do X.", "Response": ""}])
    assert plain == render_prompt("Do X.")


def test_go_template_text_escapes_hostile_literals(go_render):
    """Literal template text that would open actions, break triple quotes or be dropped by the
    Modelfile parser renders back exactly in Go, and survives the Modelfile round trip."""
    literals = [h for h in HOSTILE if h]
    # Beside actions too: a literal's last "{" must not join the action that follows.
    templates = [go_template_text(h) + "{{ .Prompt }}" + go_template_text(h) for h in literals]
    for literal, template in zip(literals, templates):
        [got] = go_render(template, [{"Prompt": "P"}])
        assert got == literal + "P" + literal
        assert render_go_template(parse_go_template(template), {"Prompt": "P"}) == got
        quoted = modelfile_quote(template)
        assert parse_modelfile(f"FROM x\nTEMPLATE {quoted}\n") == [("model", "x"), ("template", template)]


def test_layout_is_cut_from_render_prompt():
    lay = prompt_layout()
    assert (lay.system, lay.system_with_input) == (PREAMBLE, PREAMBLE_WITH_INPUT)
    assert lay.system + lay.separator + lay.head + "I" + lay.tail == render_prompt("I")
    assert lay.system_with_input + lay.separator + lay.head + "I" + lay.input_head + "N" + lay.tail == \
        render_prompt("I", "N")
    assert ollama_prompt_fields("I") == {"system": PREAMBLE, "prompt": "I"}


@pytest.mark.parametrize("value", HOSTILE)
def test_quote_round_trips_or_refuses(value):
    try:
        quoted = modelfile_quote(value)
    except ModelfileError as e:
        # Only what Ollama's format cannot carry: dropped characters, or three quotes before a line end.
        assert any(not (c.isprintable() or c in " \t\r\n") for c in value) or '"""' in value, e
        return
    text = f"FROM base\nSYSTEM {quoted}\nPARAMETER stop {quoted}\n"
    assert parse_modelfile(text) == [("model", "base"), ("system", value), ("stop", value)]


@settings(max_examples=300, deadline=None)
@given(st.text(alphabet=st.characters(codec="utf-8"), max_size=40))
def test_quote_never_writes_a_value_that_reads_back_differently(value):
    try:
        quoted = modelfile_quote(value)
    except ModelfileError:
        return
    assert parse_modelfile(f"FROM m\nSYSTEM {quoted}\n")[1] == ("system", value)


# Cases from Ollama's parser/parser_test.go (TestParseFileFrom, ...Quoted, ...Parameters, ...TrimSpace):
# the port reads them as Ollama does.
OLLAMA_CASES = [
    ('FROM "FOO  BAR  "', [("model", "FOO  BAR  ")]),
    ('FROM "FOO BAR"\nPARAMETER param1 value1', [("model", "FOO BAR"), ("param1", "value1")]),
    ("FROM     FOOO BAR    ", [("model", "FOOO BAR")]),
    ("FROM /what/is/the path ", [("model", "/what/is/the path")]),
    ("FROM llama3:7b-instruct-q4_K_M", [("model", "llama3:7b-instruct-q4_K_M")]),
    ("PARAMETER what the \nFROM lemons make lemonade ", [("what", "the"), ("model", "lemons make lemonade")]),
    ('\nFROM foo\nSYSTEM """\nThis is a\nmultiline system.\n"""\n\t\t\t', [("model", "foo"),
                                                                         ("system", "\nThis is a\nmultiline system.\n")]),
    ('\nFROM foo\nSYSTEM """This is a\nmultiline system."""\n', [("model", "foo"), ("system", "This is a\nmultiline system.")]),
    ('\nFROM foo\nSYSTEM """\nThis is a multiline system with "quotes".\n"""\n',
     [("model", "foo"), ("system", '\nThis is a multiline system with "quotes".\n')]),
    ('\nFROM foo\nSYSTEM """"""\n', [("model", "foo"), ("system", "")]),
    ('\nFROM foo\nSYSTEM ""\n', [("model", "foo"), ("system", "")]),
    ("\nFROM foo\nSYSTEM \"'\"\n", [("model", "foo"), ("system", "'")]),
    ('\nFROM foo\nSYSTEM """\'\'"\'""\'""\'"\'\'\'\'\'""\'""\'"""\n',
     [("model", "foo"), ("system", '\'\'"\'""\'""\'"\'\'\'\'\'""\'""\'')]),
    ('\nFROM foo\nTEMPLATE """\n{{ .Prompt }}\n"""', [("model", "foo"), ("template", "\n{{ .Prompt }}\n")]),
    ("FROM foo\nPARAMETER stop ### User: \n", [("model", "foo"), ("stop", "### User:")]),
    ('FROM foo\nPARAMETER stop "### User: "\n', [("model", "foo"), ("stop", "### User: ")]),
    ('FROM foo\nPARAMETER stop """### User:\n"""\n', [("model", "foo"), ("stop", "### User:\n")]),
    ("FROM foo\nPARAMETER stop </s>\n", [("model", "foo"), ("stop", "</s>")]),
    ('\nFROM foo\nTEMPLATE """   {{ .Prompt }}   """    \n', [("model", "foo"), ("template", "   {{ .Prompt }}   ")]),
    ("\n# comment\nFROM foo\n\t", [("model", "foo")]),
]


@pytest.mark.parametrize("text,expected", OLLAMA_CASES)
def test_parser_port_matches_ollama_cases(text, expected):
    assert parse_modelfile(text) == expected


@pytest.mark.parametrize("text", [
    "", "PARAMETER param1 value1", '\nFROM foo\nSYSTEM """This is a multiline system.""\n', '\nFROM foo\nSYSTEM "\n',
    "\nFROM foo\nPARAMETER param1\n", "\nFROM foo\nBADCOMMAND param1 value1\n"])
def test_parser_port_refuses_what_ollama_refuses(text):
    with pytest.raises(ModelfileError):
        parse_modelfile(text)


def test_render_modelfile_writes_format_stops_and_parameters():
    spec = ModelfileSpec(from_="./model.q4_K_M.gguf", adapter="./adapter.gguf",
                         parameters=serving_parameters(temperature=0.2, num_ctx=4096, eos_texts=["</s>", "<|EOT|>"]))
    text = render_modelfile(spec, comment="run 20261126-x\nsecond line")
    back = spec_from_modelfile(text)
    assert back == spec
    assert back.system == PREAMBLE and back.template == prompt_template()
    values = back.parameter_values()
    assert values == {"stop": [*STOP_MARKERS, "</s>", "<|EOT|>"], "temperature": 0.2, "num_ctx": 4096,
                      "repeat_penalty": GENERATION.repeat_penalty, "repeat_last_n": GENERATION.repeat_last_n,
                      "top_k": 0, "top_p": GENERATION.top_p, "min_p": 0.0, "num_predict": GENERATION.max_new_tokens}
    assert "# run 20261126-x\n# second line\n" in text


def test_hostile_paths_and_parameters_round_trip():
    spec = ModelfileSpec(from_='./dir with "quotes"/m.gguf', adapter="./a b/\u00e9.gguf",
                         parameters=(("stop", '"""'), ("stop", "{{ end }}"), ("stop", " lead"), ("num_ctx", "8")))
    assert spec_from_modelfile(render_modelfile(spec)) == spec


def test_bin_adapter_and_prompt_edits_are_refused(tmp_path):
    with pytest.raises(ModelfileError, match=r"\.bin"):
        render_modelfile(ModelfileSpec(from_="./m.gguf", adapter="./adapter_model.bin"))
    # A project's template that swaps the system prompt is a serving-only prompt edit.
    (tmp_path / "templates").mkdir()
    (tmp_path / "templates" / "Modelfile.j2").write_text(
        'FROM {{ from_ | modelfile }}\nTEMPLATE {{ template | modelfile }}\nSYSTEM "You are an expert."\n')
    with pytest.raises(ModelfileError, match="SYSTEM"):
        render_modelfile(ModelfileSpec(from_="./m.gguf"), project_dir=tmp_path)
    # A template that leaves a value out fails on the parse-back, not later in Ollama.
    (tmp_path / "templates" / "Modelfile.j2").write_text("FROM {{ from_ | modelfile }}\n")
    with pytest.raises(ModelfileError, match="TEMPLATE"):
        render_modelfile(ModelfileSpec(from_="./m.gguf"), project_dir=tmp_path)
    (tmp_path / "templates" / "Modelfile.j2").write_text("FROM {{ from_ | modelfile }}\nSYSTEM {{ sytem | modelfile }}\n")
    with pytest.raises(ModelfileError, match="sytem"):
        render_modelfile(ModelfileSpec(from_="./m.gguf"), project_dir=tmp_path)


def test_unwritable_values_are_refused_not_written():
    with pytest.raises(ModelfileError, match="drops"):
        render_modelfile(ModelfileSpec(from_="./m.gguf", parameters=(("stop", "nbsp\u00a0"),)))
    with pytest.raises(ModelfileError, match="three quotes"):
        modelfile_quote('end"""\nmore')
