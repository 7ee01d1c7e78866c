"""Make the README's screenshots with the project's own tooling and headless Chromium.

    python3 docs/make_screenshots.py [--out docs/screenshots]

    class-report.png    `grader grade` on the bundled example class (local sandbox), then
                        `grader report`, photographed by `chromium --headless --screenshot`
    failing-check.png   `grader check` on an example student's failing submission, run on a
                        pseudo-terminal (so it shows colours, as a student sees it), drawn as
                        a terminal page and photographed the same way

Needs Debian's `chromium` package and Linux (the local sandbox). Takes about a minute.
"""

from __future__ import annotations

import argparse
import html
import os
import re
import shutil
import subprocess
import sys
import tempfile
from pathlib import Path

REPO = Path(__file__).resolve().parent.parent
LAB = "tcp_echo"
FAILING_STUDENT = "tomas_novak"  # loses echo_several, echo_large and shutdown_flush
ANSI_COLOURS = {"31": "#ff6b6b", "32": "#5fd75f", "33": "#ffd75f", "1": None}


def grader(*args: str, **kw: object) -> subprocess.CompletedProcess[str]:
    env = {**os.environ, "PYTHONPATH": str(REPO) + os.pathsep + os.environ.get("PYTHONPATH", "")}
    return subprocess.run([sys.executable, "-m", "grader", *args], env=env, text=True, cwd=REPO,  # noqa: PLW1510 - callers pass check
                          **kw)  # type: ignore[call-overload]


def chromium_screenshot(page: Path, png: Path, width: int, height: int) -> None:
    binary = shutil.which("chromium") or shutil.which("chromium-browser")
    if binary is None:
        sys.exit("chromium is not installed: apt-get install chromium")
    with tempfile.TemporaryDirectory(prefix="screenshot-profile-") as profile:
        argv = [binary, "--headless", "--disable-gpu", "--hide-scrollbars", "--no-first-run",
                f"--user-data-dir={profile}", f"--window-size={width},{height}", f"--screenshot={png}",
                page.resolve().as_uri()]
        if os.geteuid() == 0:
            argv.insert(1, "--no-sandbox")
        subprocess.run(argv, check=True, capture_output=True, timeout=120)
    print(f"wrote {png}")


def class_report(out: Path, work: Path) -> None:
    results = work / "results"
    grader("grade", LAB, str(REPO / "examples" / LAB), "--out", str(results), "--backend", "local",
           "--config", str(REPO / "grader.yml"), check=False, capture_output=True)
    report = Path(grader("report", str(results), check=True, capture_output=True).stdout.strip())
    chromium_screenshot(report, out / "class-report.png", 1280, 1500)


def ansi_to_html(text: str) -> str:
    """The terminal's final screen: carriage returns overwrite, SGR colours become spans."""
    lines = []
    for raw in text.replace("\r\n", "\n").split("\n"):
        line = raw.split("\r")[-1].replace("\x1b[K", "")
        out, open_span = [], False
        for part in re.split(r"(\x1b\[[0-9;]*m)", line):
            m = re.fullmatch(r"\x1b\[([0-9;]*)m", part)
            if m is None:
                out.append(html.escape(part))
                continue
            if open_span:
                out.append("</span>")
                open_span = False
            colour = ANSI_COLOURS.get(m.group(1).split(";")[-1] if m.group(1) else "0")
            if colour:
                out.append(f'<span style="color:{colour}">')
                open_span = True
        lines.append("".join(out) + ("</span>" if open_span else ""))
    while lines and not lines[-1].strip():
        lines.pop()
    return "\n".join(lines)


def failing_check(out: Path, work: Path) -> int:
    """Returns the number of lines shown (the page is sized to fit them)."""
    student = REPO / "examples" / LAB / FAILING_STUDENT
    command = f"grader check {LAB} {FAILING_STUDENT}/"
    inner = " ".join([sys.executable, "-m", "grader", "check", LAB, str(student), "--only", "echo_short",
                      "echo_several", "echo_large"])
    env = {**os.environ, "PYTHONPATH": str(REPO), "TERM": "xterm-256color", "COLUMNS": "100"}
    env.pop("NO_COLOR", None)
    shown = subprocess.run(["script", "-qec", inner, "/dev/null"], check=False, capture_output=True, env=env, cwd=REPO,
                           timeout=300, stdin=subprocess.DEVNULL).stdout.decode("utf-8", "replace")  # keeps \r
    body = ansi_to_html(shown)
    page = work / "terminal.html"
    page.write_text(
        "<!DOCTYPE html><html><head><meta charset='utf-8'><style>"
        "body{margin:0;background:#1e1e1e;color:#d4d4d4;font:14px/1.35 'DejaVu Sans Mono',monospace}"
        "pre{margin:0;padding:16px 20px;white-space:pre-wrap}.prompt{color:#5fafff}</style></head><body><pre>"
        f"<span class='prompt'>$</span> {html.escape(command)} --only echo_short echo_several echo_large\n"
        f"{body}</pre></body></html>", encoding="utf-8")
    n = body.count("\n") + 2
    chromium_screenshot(page, out / "failing-check.png", 1000, min(1600, 40 + 19 * n))
    return n


def main() -> int:
    p = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    p.add_argument("--out", type=Path, default=REPO / "docs" / "screenshots")
    args = p.parse_args()
    args.out.mkdir(parents=True, exist_ok=True)
    with tempfile.TemporaryDirectory(prefix="screenshots-") as tmp:
        class_report(args.out, Path(tmp))
        failing_check(args.out, Path(tmp))
    return 0


if __name__ == "__main__":
    sys.exit(main())
