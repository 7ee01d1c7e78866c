import os
from pathlib import Path

import pytest

from grader.errors import UsageError
from grader.labs import get_lab
from grader.submission import resolve, shown

LAB = get_lab("tcp_echo")


def test_folder_with_the_file(tmp_path):
    (tmp_path / "echo_server.py").write_text("pass\n")
    assert resolve(LAB, tmp_path) == tmp_path


def test_the_file_itself(tmp_path):
    f = tmp_path / "echo_server.py"
    f.write_text("pass\n")
    assert resolve(LAB, f) == tmp_path


def test_missing_path(tmp_path):
    with pytest.raises(UsageError, match="no such file or folder"):
        resolve(LAB, tmp_path / "nope")


def test_near_match_is_suggested(tmp_path):
    (tmp_path / "Echo_Server.py").write_text("pass\n")
    (tmp_path / "notes.txt").write_text("x")
    with pytest.raises(UsageError) as e:
        resolve(LAB, tmp_path)
    msg = str(e.value)
    assert msg.endswith("expects a file named echo_server.py; found Echo_Server.py: rename it to echo_server.py")


def test_near_match_among_several_is_suggested(tmp_path):
    (tmp_path / "Echo_Server.py").write_text("pass\n")
    (tmp_path / "client.py").write_text("pass\n")
    with pytest.raises(UsageError) as e:
        resolve(LAB, tmp_path)
    assert "did you mean Echo_Server.py? Rename it to echo_server.py" in str(e.value)


def test_wrong_single_file_name(tmp_path):
    f = tmp_path / "server.py"
    f.write_text("pass\n")
    with pytest.raises(UsageError, match="expects a file named echo_server.py, not server.py"):
        resolve(LAB, f)


def test_empty_folder(tmp_path):
    with pytest.raises(UsageError, match="the folder is empty"):
        resolve(LAB, tmp_path)


def test_nested_export_is_found(tmp_path):
    deep = tmp_path / "alice" / "lab1"
    deep.mkdir(parents=True)
    (deep / "echo_server.py").write_text("pass\n")
    assert resolve(LAB, tmp_path) == deep


def test_non_utf8_file_name_prints_safely(tmp_path):
    odd = Path(os.fsdecode(bytes(tmp_path) + b"/\xff\xfe.py"))
    odd.write_text("pass\n")
    with pytest.raises(UsageError) as e:
        resolve(LAB, tmp_path)
    str(e.value).encode("utf-8")  # printable: no surrogates left
    assert "\\xff" in shown(odd)
