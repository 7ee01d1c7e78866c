from harness.transcript import Transcript


def test_transcript_renders_in_order_with_directions():
    t = Transcript()
    t.note("program", "started")
    t.sent("client", b"hi\n")
    t.received("client", b"hi\n")
    text = t.render()
    assert text.index("started") < text.index("->") < text.index("<-")
    assert "sent 3 bytes b'hi\\n'" in text


def test_transcript_is_bounded():
    t = Transcript(limit=5)
    for i in range(100):
        t.note("x", str(i))
    assert len(t.events) == 6 and "truncated" in t.render()
