"""Run a command and write its peak resident memory (MB) to a file.

Why a separate launcher: on Linux the kernel carries a process's high-water RSS across
``execve`` (``signal->maxrss``), and a child started from a big process (pytest grows past
2 GB over the full suite) starts with the parent's mark. This launcher is a small Python
process; the command it forks starts from a small mark, so ``RUSAGE_CHILDREN`` here is the
peak of the command and of the processes it waited for, nothing else.

Usage: ``python peak_rss.py RESULT_FILE TIMEOUT_SECONDS -- command ...``; exits with the
command's exit code (124 when the timeout killed it).
"""

from __future__ import annotations

import resource
import subprocess
import sys


def main(argv: list[str]) -> int:
    result_file, timeout = argv[0], float(argv[1])
    command = argv[3:] if argv[2] == "--" else argv[2:]
    try:
        code = subprocess.run(command, timeout=timeout, check=False).returncode
    except subprocess.TimeoutExpired:
        code = 124
    peak_kb = resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss
    with open(result_file, "w", encoding="utf-8") as out:
        out.write(str(peak_kb // 1024))
    return code


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
