from grader.labs import all_labs


def test_list_shows_every_lab(grader_cli):
    code, out, _ = grader_cli("list")
    assert code == 0
    for name in all_labs():
        assert name in out


def test_unknown_lab_suggests_the_closest(grader_cli, tmp_path):
    code, out, err = grader_cli("check", "tcp_ecko", tmp_path)
    assert code == 2 and out == ""
    assert err.startswith("error: unknown lab 'tcp_ecko' (did you mean 'tcp_echo'?)")
    assert "Traceback" not in err


def test_missing_path_is_a_usage_error(grader_cli, tmp_path):
    code, _, err = grader_cli("check", "tcp_echo", tmp_path / "missing")
    assert code == 2 and "no such file or folder" in err and err.count("\n") == 1


def test_no_command_prints_help(grader_cli):
    code, out, _ = grader_cli()
    assert code == 2 and "COMMAND" in out


def test_bad_option_values(grader_cli):
    code, _, err = grader_cli("selftest", "tcp_echo", "--repeat", "0")
    assert code == 2 and "at least 1" in err


def test_progress_counts_students_with_the_right_words() -> None:
    import io

    from grader.batch_cli import Progress
    from grader.results import CheckResult, Report

    stream = io.StringIO()
    progress = Progress(2, stream)
    lost = Report(lab="tcp_echo", tests=(CheckResult(name="a", score=0, max_score=1, outcome="failed"),))
    progress.update("ann", lost)
    assert "[1/2] 1 student lost points, 0 grader errors" in stream.getvalue()
    progress.update("bob", lost)
    assert "[2/2] 2 students lost points, 0 grader errors" in stream.getvalue()
