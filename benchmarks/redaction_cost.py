"""Redaction cost on hostile input: does ten times the input cost about ten times the time?

    PYTHONPATH=. .venv/bin/python benchmarks/redaction_cost.py [--sizes 2000,20000,200000]

For inputs an attacker sends to make a backtracking pattern quadratic or exponential (no
spaces, repeated separators, long digit runs, long local parts before "@", runs that almost
match) it times privacy.redaction.redact at each size (best of a few runs) and prints the
seconds and the ratio to the previous size. Linear cost shows ratios near 10; a quadratic
pattern shows ~100. Exits with status 1 when a ratio is above --max-ratio (20) *and* the time
grew by more than 5 ms, the rule the former test tests/insight/test_redaction.py::
test_redaction_cost_grows_linearly asserted. It moved here because wall-clock ratios of
millisecond timings flake on a loaded machine; run it on a quiet one.
"""

from __future__ import annotations

import argparse
import sys
import time
from collections.abc import Callable

from privacy.redaction import redact

# Inputs an attacker sends to make a backtracking pattern quadratic or exponential: no spaces,
# repeated separators, long digit runs, long local parts before "@", runs that almost match.
ADVERSARIAL: dict[str, Callable[[int], str]] = {
    "no spaces": lambda n: "a" * n,
    "local part before @": lambda n: "a" * (n - 1) + "@",
    "repeated @": lambda n: "@" * n,
    "word@ repeated": lambda n: "a@" * (n // 2),
    "dotted labels": lambda n: "a." * (n // 2),
    "digit run": lambda n: "0" * n,
    "digits and spaces, glued end": lambda n: "1 " * (n // 2 - 1) + "1x",
    "digits and dashes": lambda n: "1-" * (n // 2),
    "digit runs glued to letters": lambda n: ("0" * 50 + "a-") * (n // 52),
    "slashes": lambda n: "0/" * (n // 2),
    "spaced at": lambda n: ("a   at   ") * (n // 9),
    "separators only": lambda n: "-" * n,
    "capitalised hyphen chain": lambda n: "Frau " + "Ab-" * (n // 3),
    "country codes": lambda n: "+49" * (n // 3),
}
NOISE_SECONDS = 0.005  # absorbs scheduler noise on tiny timings


def seconds(text: str, repeat: int) -> float:
    best = float("inf")
    for _ in range(repeat):
        started = time.perf_counter()
        redact(text)
        best = min(best, time.perf_counter() - started)
    return best


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--sizes", default="2000,20000,200000")
    parser.add_argument("--max-ratio", type=float, default=20.0)
    args = parser.parse_args(argv)
    sizes = [int(size) for size in args.sizes.split(",")]
    print(f"{'input':30s} " + " ".join(f"{size:>10d}" for size in sizes) + "   ratios")
    failed = []
    for name, build in ADVERSARIAL.items():
        timings = [seconds(build(size), repeat=5 if size < 100_000 else 2) for size in sizes]
        ratios = [after / before if before else float("inf")
                  for before, after in zip(timings, timings[1:], strict=False)]
        too_slow = [ratio for ratio, before, after in zip(ratios, timings, timings[1:],
                                                          strict=False)
                    if after > args.max_ratio * before + NOISE_SECONDS]
        if too_slow:
            failed.append(name)
        print(f"{name:30s} " + " ".join(f"{t * 1000:8.2f}ms" for t in timings) + "   "
              + " ".join(f"{ratio:6.1f}" for ratio in ratios) + ("  TOO SLOW" if too_slow else ""))
    print(f"inputs growing faster than {args.max_ratio:g}x per 10x: {failed or 'none'}")
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main())
