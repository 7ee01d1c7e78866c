"""bench/selftest_scores.py: repeated selftest runs read beside a parity table, score by score."""

from __future__ import annotations

from collections import Counter

from bench.selftest_scores import log_scores, table_scores

LOG = """loading 2 core(s) with busy-loop processes
ok   tcp_echo/reference                       20/20  (1.1 s)
ok   tcp_echo/crashes_on_reset                fails survives_reset (failed), 10/20  (2.0 s)
ok   [run 2] tcp_echo/reference               20/20  (1.0 s)
ok   [run 2] tcp_echo/crashes_on_reset        fails survives_reset (timeout), 8/20  (2.4 s)
FAIL [run 3] tcp_echo/reference               this known-good variant lost echo_short (timeout)  (9.0 s)
"""

TABLE = """rounds per sandbox ...

| subject | local | fallback |
| --- | --- | --- |
| tcp_echo/reference | 20 | 20 x10 |
| tcp_echo/crashes_on_reset | 10 | 8 x2 10 x8 |
"""


def test_every_run_of_a_log_counts_with_its_score() -> None:
    assert log_scores(LOG) == {
        "tcp_echo/reference": Counter({"20": 2, "this known-good variant lost echo_short (timeout)": 1}),
        "tcp_echo/crashes_on_reset": Counter({"10": 1, "8": 1})}


def test_a_parity_cell_counts_each_score_its_times() -> None:
    columns, rows = table_scores(TABLE)
    assert columns == ["local", "fallback"]
    assert rows["tcp_echo/reference"] == {"local": Counter({"20": 1}), "fallback": Counter({"20": 10})}
    assert rows["tcp_echo/crashes_on_reset"]["fallback"] == Counter({"8": 2, "10": 8})


def test_a_cell_lists_scores_in_numeric_order() -> None:
    from bench.selftest_scores import cell

    assert cell(Counter({"10": 8, "8": 2})) == "8 x2 10 x8"
    assert cell(Counter({"20": 1})) == "20"
    assert cell(None) == "-"
