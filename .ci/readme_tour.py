"""Run the README's quick tour against a running `make serve` and compare every answer.

Each ```sh block of the "Quick tour" section runs in one bash session (so the tokens it sets carry
over), against the port given; the ```json block after it is the answer the README promises, and
the JSON printed must equal it. Exit 1 on the first difference: the README must stay true.
"""

from __future__ import annotations

import json
import re
import subprocess
import sys
from pathlib import Path

MARKER = "__readme_tour_block__"


def tour_blocks(readme: str) -> list[tuple[str, object]]:
    section = readme.split("## Quick tour", 1)[1].split("\n## ", 1)[0]
    pairs = re.findall(r"```sh\n(.*?)```\s*```json\n(.*?)```", section, flags=re.DOTALL)
    return [(commands, json.loads(expected)) for commands, expected in pairs]


def main(port: int) -> int:
    blocks = tour_blocks(Path("README.md").read_text())
    if not blocks:
        sys.stderr.write("readme_tour: no quick tour found in README.md\n")
        return 1
    script = "set -euo pipefail\n" + "".join(
        f"{commands.replace('127.0.0.1:8000', f'127.0.0.1:{port}')}\necho\necho {MARKER}\n"
        for commands, _ in blocks
    )
    run = subprocess.run(
        ["bash", "-c", script], capture_output=True, text=True, timeout=120, check=False
    )
    outputs = run.stdout.split(f"{MARKER}\n")
    for number, (commands, expected) in enumerate(blocks, start=1):
        printed = outputs[number - 1].strip() if number <= len(outputs) else ""
        try:
            answer = json.loads(printed)
        except json.JSONDecodeError:
            answer = printed
        if isinstance(answer, dict):
            # The cost report (the caller's bucket) changes with every request; the README's
            # answers leave it out, and say so.
            answer.pop("extensions", None)
        if answer != expected:
            sys.stderr.write(
                f"readme_tour: step {number} differs\n{commands}\nexpected {expected}\n"
                f"got {answer}\nstderr: {run.stderr}\n"
            )
            return 1
    sys.stdout.write(f"readme_tour: {len(blocks)} steps answered as the README says\n")
    return 0


if __name__ == "__main__":
    sys.exit(main(int(sys.argv[1])))
