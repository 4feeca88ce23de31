"""The CLI's events: plain progress lines when stderr is not a terminal, nothing with --quiet."""

from __future__ import annotations

import io

from cleanaudit.cli.console import PlainProgress, RichEvents


def _clock():
    now = [0.0]

    def clock():
        return now[0]

    return now, clock


def test_plain_progress_start_interval_and_end():
    now, clock = _clock()
    out = io.StringIO()
    plain = PlainProgress(out, clock=clock, interval=10.0)
    for done, t in [(0, 0.0), (1, 4.0), (2, 9.0), (3, 12.0), (4, 15.0), (5, 25.0)]:
        now[0] = t
        plain.update("cross-validating logreg", done, 6)
    now[0] = 26.0
    plain.update("cross-validating logreg", 6, 6)
    assert out.getvalue().splitlines() == [
        "cleanaudit: cross-validating logreg 0/6 (0 s)",
        "cleanaudit: cross-validating logreg 3/6 (12 s)",
        "cleanaudit: cross-validating logreg 5/6 (25 s)",
        "cleanaudit: cross-validating logreg 6/6 (26 s)",
    ]


def test_plain_progress_steps_are_timed_apart():
    now, clock = _clock()
    out = io.StringIO()
    plain = PlainProgress(out, clock=clock, interval=10.0)
    plain.update("neighbours", 0, 100)
    now[0] = 5.0
    plain.update("cross-validating rf", 0, 5)  # a new step: its own start line
    now[0] = 11.0
    plain.update("neighbours", 50, 100)  # 11 s after neighbours' last line
    plain.update("cross-validating rf", 1, 5)  # only 6 s after its start: quiet
    assert [line.split(" (")[0] for line in out.getvalue().splitlines()] == [
        "cleanaudit: neighbours 0/100",
        "cleanaudit: cross-validating rf 0/5",
        "cleanaudit: neighbours 50/100",
    ]


def test_rich_events_print_plain_lines_on_a_pipe(capsys):
    now, clock = _clock()
    events = RichEvents(clock=clock)
    events.progress("Checking label", 0, 3)
    now[0] = 30.0
    events.progress("Checking label", 3, 3)
    assert capsys.readouterr().err.splitlines() == [
        "cleanaudit: Checking label 0/3 (0 s)",
        "cleanaudit: Checking label 3/3 (30 s)",
    ]


def test_quiet_prints_no_progress_and_no_wrote_line(capsys):
    events = RichEvents(quiet=True)
    events.progress("Checking label", 0, 3)
    events.wrote("out/", ["report.json"])
    assert capsys.readouterr().err == ""


def test_wrote_names_the_files(capsys):
    RichEvents().wrote("out/", ["report.json", "report.md"])
    assert capsys.readouterr().err == "cleanaudit: wrote out/: report.json, report.md\n"
