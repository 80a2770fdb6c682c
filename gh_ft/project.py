"""`gh-ft init`: put the editable parts (template, presets, project file) into a project."""
from __future__ import annotations

import shutil
from pathlib import Path

from gh_ft.resources import packaged_dir
from gh_ft.settings import PROJECT_FILE

PROJECT_FILE_TEXT = """# gh-ft project settings: defaults < this file < command-line flags.
collect:
  context_dir: context        # your plugin sources, notes, PDFs and Word files
  out: dataset
  seed: 42
  test_fraction: 0.2
train:
  preset: tiny-cpu            # or deepseek-coder-6.7b-lora, qlora-4bit, multi-gpu, or your own in configs/
  runs_dir: runs
  launcher: accelerate
"""


def init_project(folder: Path, force: bool = False) -> list[str]:
    """Copy templates/, configs/ and launchd/ (and write gh-ft.yml); never overwrite without force."""
    done: list[str] = []
    for kind in ("templates", "configs", "launchd"):
        source = packaged_dir(kind)
        for src in sorted(p for p in source.rglob("*") if p.is_file() and "__pycache__" not in p.parts):
            dest = folder / kind / src.relative_to(source)
            if dest.exists() and not force:
                done.append(f"kept {dest} (exists; --force overwrites)")
                continue
            dest.parent.mkdir(parents=True, exist_ok=True)
            shutil.copyfile(src, dest)
            done.append(f"wrote {dest}")
    settings_file = folder / PROJECT_FILE
    if settings_file.exists() and not force:
        done.append(f"kept {settings_file} (exists)")
    else:
        settings_file.write_text(PROJECT_FILE_TEXT, encoding="utf-8")
        done.append(f"wrote {settings_file}")
    return done
