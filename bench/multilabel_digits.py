"""Multi-label detection on a real table: scikit-learn's digits with tags read off the digit.

Each 8x8 image gets the tags a person could give it (even, large = 5 or more, prime, has a loop:
0, 6, 8, 9); then one tag is flipped on 8% of the rows (seeded). The run is `find-issues
--task multilabel` in process, once per model; precision and recall are against the flipped rows.
With ``--reference`` the reference (cleanlab 2.9.0, bench extra) runs on the same logreg pred_probs
and must flag the same rows.

    python bench/multilabel_digits.py [--models logreg auto] [--reference]
"""

from __future__ import annotations

import argparse
import tempfile
import time
from pathlib import Path

import numpy as np
import pandas as pd

TAGS = {
    "even": lambda v: v % 2 == 0,
    "large": lambda v: v >= 5,
    "prime": lambda v: v in (2, 3, 5, 7),
    "loop": lambda v: v in (0, 6, 8, 9),
}


def tagged_digits(seed: int = 3, rate: float = 0.08) -> tuple[pd.DataFrame, set[int]]:
    from sklearn.datasets import load_digits

    digits = load_digits()
    names = list(TAGS)
    truth = np.array([[TAGS[t](v) for t in names] for v in digits.target], dtype=np.int8)
    rng = np.random.default_rng(seed)
    given = truth.copy()
    planted = rng.choice(len(truth), int(rate * len(truth)), replace=False)
    for i in planted:
        given[i, rng.integers(len(names))] ^= 1
    frame = pd.DataFrame(digits.data, columns=[f"p{i}" for i in range(64)])
    frame["tags"] = [",".join(n for n, v in zip(names, row) if v) for row in given]
    return frame, set(planted.tolist())


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--models", nargs="+", default=["logreg", "auto"])
    parser.add_argument("--reference", action="store_true", help="compare the logreg run with cleanlab")
    args = parser.parse_args()

    from cleanaudit.workflows.find_issues import FindIssuesRequest, run_find_issues

    frame, planted = tagged_digits()
    with tempfile.TemporaryDirectory() as folder:
        path = Path(folder) / "digits_tags.csv"
        frame.to_csv(path, index=False)
        for model in args.models:
            start = time.perf_counter()
            request = FindIssuesRequest(path, label="tags", task="multilabel", model=model, use_cache=False)
            result = run_find_issues(request)
            flagged = set(result.ranked_rows.tolist())
            found = len(flagged & planted)
            print(
                f"{model:>8} -> {result.context.run['model']:<14} flagged {len(flagged):4d} of {len(frame)}, "
                f"planted {len(planted)}: precision {found / max(len(flagged), 1):.3f} "
                f"recall {found / len(planted):.3f} ({time.perf_counter() - start:.1f} s)"
            )
            if args.reference and model == "logreg":
                from cleanlab.multilabel_classification.filter import find_label_issues

                labels = [np.flatnonzero(row).tolist() for row in result.given]
                theirs = find_label_issues(labels, result.context.pred_probs)
                print("          reference flags the same rows:", bool((theirs == result.is_issue).all()))


if __name__ == "__main__":
    main()
