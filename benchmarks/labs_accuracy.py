"""Test accuracy of every lab's three tiers on one dataset (the labs table of the README).

For each lab of ``tfcourse.labs``: ``tfcourse compare LAB`` on the full
dataset for a few epochs (the course trains 15), i.e. the TF1 program, its TF2
port and its Keras version from the same initial weights and mini-batches;
prints one row per lab with the course's reported MNIST accuracy, the final
test accuracy of each tier, the largest per-step loss gap over the first 200
steps (the first 10 for the batch-norm lab: ``Lab.checked_steps``) and
whether the comparison's bounds held.

Run:  python benchmarks/labs_accuracy.py [--dataset fashion_mnist] [--epochs 2] [--labs a b ...]
Writes benchmarks/results/labs_accuracy.json.
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import time
from pathlib import Path

os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "2")

from tfcourse import labs  # noqa: E402

RESULTS = Path(__file__).resolve().parent / "results" / "labs_accuracy.json"


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--dataset", default="fashion_mnist")
    parser.add_argument("--epochs", type=int, default=2)
    parser.add_argument("--labs", nargs="*", default=list(labs.LABS))
    args = parser.parse_args()

    rows = []
    print(f"{'lab':<26}{'course (MNIST)':>16}{'legacy':>9}{'port':>9}{'keras':>9}"
          f"{'gap port':>11}{'gap keras':>11}  bounds")
    for name in args.labs:
        start = time.perf_counter()
        result = labs.compare(name, dataset=args.dataset, epochs=args.epochs)
        accuracy = {tier: result.runs[tier].final_accuracy for tier in result.tiers}
        lab = labs.get(name)
        # over the steps the bound covers: 200, or the first 10 of the batch-norm lab
        gaps = {tier: float(result.step_difference(tier)[:lab.step_checks].max())
                for tier in ("port", "keras") if tier in result.tiers}
        row = {"lab": name, "course_accuracy": lab.course_accuracy, "epochs": args.epochs,
               "accuracy": accuracy, "checked_steps": lab.step_checks,
               "max_step_gap_checked_steps": gaps,
               "deterministic": lab.deterministic, "passed": result.passed(),
               "seconds": round(time.perf_counter() - start, 1)}
        rows.append(row)
        course = f"{lab.course_accuracy:.1%}" if lab.course_accuracy else "-"
        gap_text = [f"{gaps.get(t, float('nan')):>11.2e}" if lab.deterministic else f"{'(dropout)':>11}"
                    for t in ("port", "keras")]
        print(f"{name:<26}{str(course):>16}" + "".join(f"{accuracy.get(t, float('nan')):>9.4f}"
              for t in ("legacy", "port", "keras")) + "".join(gap_text)
              + f"  {'pass' if result.passed() else 'FAIL'}", flush=True)
    RESULTS.parent.mkdir(parents=True, exist_ok=True)
    RESULTS.write_text(json.dumps({"dataset": args.dataset, "epochs": args.epochs,
                                   "machine": platform.platform(), "processor": platform.processor(),
                                   "cpus": os.cpu_count(), "rows": rows}, indent=2))
    print(f"wrote {RESULTS}")


if __name__ == "__main__":
    main()
