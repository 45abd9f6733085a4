"""Re-run the README's tour: every fenced block whose lines start with ``$ costlm`` is run again
(each command, stdout and stderr as a terminal shows them, at ``TOUR_COLUMNS`` columns) and its
output written back, so the README never shows numbers the tool no longer prints. A command may
end in ``| grep TEXT`` (or ``| grep -e TEXT -e MORE``) to show only the lines that contain one.

    python benchmarks/readme_tour.py           # rewrite README.md
    python benchmarks/readme_tour.py --check   # exit 1 and name the stale commands (the test)
"""

from __future__ import annotations

import itertools
import os
import re
import shlex
import subprocess
import sys
from pathlib import Path

README = Path(__file__).parents[1] / "README.md"
TOUR_COLUMNS = 100
"""Terminal width of the tour's outputs (wide enough for the tables, narrow enough for GitHub)."""
PROMPT = "$ "
BLOCK = re.compile(r"```\n(\$ costlm .*?)```", re.S)


def _costlm() -> str:
    return str(Path(sys.executable).with_name("costlm"))


def run_command(line: str) -> str:
    """What ``line`` (``$ costlm ...``, optionally ``| grep TEXT``) prints: stdout then stderr."""
    command, _, grep = line.removeprefix(PROMPT).partition(" | grep ")
    out = _run(shlex.split(command))
    if not grep:
        return out
    args = shlex.split(grep)
    wanted = [a for flag, a in itertools.pairwise(args) if flag == "-e"] or args[:1]
    return "".join(kept for kept in out.splitlines(keepends=True) if any(w in kept for w in wanted))


def _run(argv: list[str]) -> str:
    env = {**os.environ, "COLUMNS": str(TOUR_COLUMNS), "LANG": "C.UTF-8", "TERM": "dumb"}
    env.pop("LC_ALL", None)
    done = subprocess.run([_costlm(), *argv[1:]], capture_output=True, text=True, env=env, check=False)
    return done.stdout + done.stderr


def regenerated_block(block: str) -> str:
    """The block with every command's output replaced by what it prints now."""
    lines = [line for line in block.splitlines() if line.startswith(PROMPT)]
    return "".join(f"{line}\n{run_command(line)}" for line in lines)


def regenerate(text: str) -> tuple[str, list[str]]:
    """(the README with fresh tour outputs, the commands whose output changed)."""
    stale: list[str] = []

    def fresh(match: re.Match[str]) -> str:
        old = match.group(1)
        new = regenerated_block(old)
        if new != old:
            stale.extend(line for line in old.splitlines() if line.startswith(PROMPT))
        return f"```\n{new}```"

    return BLOCK.sub(fresh, text), stale


def main() -> None:
    text = README.read_text(encoding="utf-8")
    new, stale = regenerate(text)
    if "--check" in sys.argv[1:]:
        if stale:
            print("README tour is stale; run `python benchmarks/readme_tour.py`:", *stale, sep="\n  ")
            raise SystemExit(1)
        print("README tour is current")
        return
    README.write_text(new, encoding="utf-8")
    print(f"README tour regenerated ({len(BLOCK.findall(text))} blocks; {len(stale)} commands changed)")


if __name__ == "__main__":
    main()
