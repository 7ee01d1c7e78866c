"""Every check starts from a fresh copy of the submission (issue 13, item 3), locally.

STATEFUL is a correct echo server that echoes wrongly when it finds a file an
earlier run left in its folder, /tmp or /dev/shm: it gets full marks only if
no check inherits file state from the one before.
"""

from __future__ import annotations

from pathlib import Path

import pytest

pytestmark = pytest.mark.slow

STATEFUL = (Path(__file__).parent / "programs" / "stateful_echo_server.py").read_text()


def test_no_check_sees_the_files_of_the_one_before(tmp_path: Path, check_json) -> None:
    (tmp_path / "echo_server.py").write_text(STATEFUL)
    code, doc = check_json("tcp_echo", tmp_path)
    assert doc["score"] == doc["extra_data"]["max_score"], {t["name"]: t["extra_data"]["outcome"] for t in doc["tests"]}
