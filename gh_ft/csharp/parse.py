"""tree-sitter parsing of C#: trees, error checks.

tree-sitter-c-sharp reports ERROR nodes on some valid code (e.g. `async` used as a
variable name), so an error is a reason to fall back to the lexer, never a reason to
drop code.
"""
from __future__ import annotations

import threading

import tree_sitter
import tree_sitter_c_sharp

_LANGUAGE = tree_sitter.Language(tree_sitter_c_sharp.language())
_local = threading.local()


def _parser() -> tree_sitter.Parser:
    # Parsers are not thread-safe; one per thread (and per process in pools).
    p = getattr(_local, "parser", None)
    if p is None:
        p = _local.parser = tree_sitter.Parser(_LANGUAGE)
    return p


def parse_tree(code: str | bytes) -> tree_sitter.Tree:
    data = code.encode("utf-8") if isinstance(code, str) else code
    return _parser().parse(data)


def error_count(node: tree_sitter.Node) -> int:
    """ERROR and MISSING nodes under `node` (0 for a clean parse)."""
    if not node.has_error:
        return 0
    count = 0
    stack = [node]
    while stack:
        n = stack.pop()
        if n.is_error or n.is_missing:
            count += 1
        elif n.has_error:
            stack.extend(n.children)
    return count


def parses_cleanly(code: str) -> bool:
    return not parse_tree(code).root_node.has_error
