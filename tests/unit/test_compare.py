from harness.compare import (describe_bytes_mismatch, describe_lines_mismatch, first_difference,
                             normalize_lines, shorten)


def test_equal_bytes_have_no_difference():
    assert first_difference(b"abc", b"abc") is None
    assert describe_bytes_mismatch(b"abc", b"abc") is None


def test_first_differing_offset():
    assert first_difference(b"hello world", b"hello World") == 6
    text = describe_bytes_mismatch(b"hello world", b"hello World")
    assert "first difference at byte offset 6" in text
    assert "expected 11 bytes, received 11 bytes" in text


def test_prefix_and_extra_bytes_are_named():
    assert "prefix" in describe_bytes_mismatch(b"abcdef", b"abc")
    assert "byte offset 3" in describe_bytes_mismatch(b"abcdef", b"abc")
    assert "3 unexpected extra bytes" in describe_bytes_mismatch(b"abc", b"abcdef")


def test_view_is_shortened_around_the_difference():
    expected = bytes(1000) + b"X" + bytes(1000)
    received = bytes(1000) + b"Y" + bytes(1000)
    text = describe_bytes_mismatch(expected, received)
    assert "offset 1000" in text and len(text) < 600


def test_shorten_elides_the_middle():
    s = shorten(b"a" * 1000, limit=40)
    assert "bytes)..." in s and len(s) < 120


def test_lenient_lines():
    assert normalize_lines("a  b \r\nc\t\n\n") == ["a b", "c"]
    assert describe_lines_mismatch(["Listening on port: 8282"], "Listening  on port: 8282  \r\n") is None


def test_lines_mismatch_says_which_line():
    text = describe_lines_mismatch(["one", "two"], "one\nTWO\n")
    assert "line 2 differs" in text and "'two'" in text and "'TWO'" in text
    assert "missing line 2" in describe_lines_mismatch(["one", "two"], "one\n")
    assert "extra line" in describe_lines_mismatch(["one"], "one\ntwo\n")
