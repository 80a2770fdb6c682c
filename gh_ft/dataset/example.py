"""The Example type every source becomes, and the stable hash used for every key."""
from __future__ import annotations

import hashlib
from dataclasses import dataclass, field

@dataclass
class Example:
    instruction: str
    input: str
    output: str
    source: str  # origin: 'src/X.cs#Class' or 'docs/guide.pdf:page 3'
    kind: str = "component"  # 'component' | 'skeleton' | 'document'
    group: str = ""  # split-group key; a skeleton carries its original's group
    meta: dict = field(default_factory=dict)

    def alpaca(self) -> dict:
        return {"instruction": self.instruction, "input": self.input, "output": self.output}


def stable_hash(text: str) -> str:
    """sha256 hex of the UTF-8 text: the same in every process and on every machine."""
    return hashlib.sha256(text.encode("utf-8", "surrogatepass")).hexdigest()

