"""The one late-policy computation: every view of a late student's score comes from here.

results.json (top-level `score`, and `extra_data.late`), grades.csv,
feedback.txt, summary.json and the HTML report all call `penalized`, so they
cannot disagree. The per-check scores stay as earned: the penalty applies to
the total only (Gradescope reads a top-level `score` as the total).
"""

from __future__ import annotations

from typing import Any


def penalized(score: float, penalty_percent: float) -> float:
    """`score` with `penalty_percent` taken off, to 2 decimals."""
    return round(score * (1 - penalty_percent / 100), 2)


def late_record(days: int, penalty_percent: float, earned: float) -> dict[str, Any]:
    """What results.json keeps about lateness (`extra_data.late`)."""
    return {"days": days, "penalty_percent": penalty_percent, "score_before_penalty": earned,
            "score": penalized(earned, penalty_percent)}
