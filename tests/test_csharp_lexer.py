"""The small C# lexer the judge and the collector read model answers and sources through:
strings, chars and comments are single tokens, offsets survive masking, and no input —
a model's answer can be anything — makes it backtrack without end."""
from __future__ import annotations

import subprocess
import sys
import textwrap
from pathlib import Path

import pytest

from gh_ft.csharp.lexer import code_tokens, mask_non_code, matching_brace

ROOT = Path(__file__).resolve().parent.parent


@pytest.mark.parametrize("code, tokens", [
    ('var s = """\n  a "" { b\n  """; int q;', ["var", "s", "=", '"""\n  a "" { b\n  """', ";", "int", "q", ";"]),
    ('var s = $"""\n{x}\n"""; int y;', ["var", "s", "=", '$"""\n{x}\n"""', ";", "int", "y", ";"]),
    ('var s = """" a """ b """"; int z;', ["var", "s", "=", '"""" a """ b """"', ";", "int", "z", ";"]),
    ('var s = @"a ""{"" b"; c();', ["var", "s", "=", '@"a ""{"" b"', ";", "c", "(", ")", ";"]),
    ('f($"{a["k"]} {{x}}"); g();', ["f", "(", '$"{a["k"]} {{x}}"', ")", ";", "g", "(", ")", ";"]),
    ("c = '{'; /* } */ d(); // }", ["c", "=", "'{'", ";", "d", "(", ")", ";"]),
])
def test_strings_chars_and_comments_are_single_tokens(code, tokens):
    assert [t.text for t in code_tokens(code)] == tokens


def test_an_unclosed_raw_string_runs_to_the_end_as_the_compiler_reads_it():
    code = 'var s = """\nclass X { }\n'
    assert [t.text for t in code_tokens(code)][-1] == '"""\nclass X { }\n'


def test_masking_keeps_offsets_and_braces_in_strings_do_not_count():
    code = 'class A { string s = "}"; char c = \'{\'; /* { */ void M() { } }'
    masked = mask_non_code(code)
    assert len(masked) == len(code)
    assert matching_brace(masked, code.index("{")) == len(code) - 1


def test_answers_that_once_made_the_lexer_backtrack_for_hours_are_read_at_once():
    # A tuned model's answer opened a raw string (`"""`) it never closed, followed by a few
    # dozen lines: the raw-string pattern `(?:.|\n)*?` under DOTALL had two ways to match
    # each newline, so its failure cost 2^lines and the benchmark's judge hung for good.
    # Run in a child so that a regression fails here instead of hanging the test run.
    script = textwrap.dedent('''
        from gh_ft.csharp.lexer import mask_non_code
        for code in ['var x = """' + "a\\n" * 64, '"' * 3000 + "\\n" * 3000, '$"""' + "{a\\n" * 500,
                     '@"' + '""\\n' * 2000, "/*" + "x\\n" * 2000, '$"' + '{"' * 2000]:
            assert len(mask_non_code(code)) == len(code)
    ''')
    done = subprocess.run([sys.executable, "-c", script], cwd=ROOT, capture_output=True, text=True, timeout=300)
    assert done.returncode == 0, done.stderr
