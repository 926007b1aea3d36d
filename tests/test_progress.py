import logging

from forkpatch import progress


def test_status_logs_its_step_then_at_most_every_few_seconds(caplog, monkeypatch):
    clock = iter([0.0, 1.0, 12.0, 13.0])
    monkeypatch.setattr(progress.time, "monotonic", lambda: next(clock))
    with caplog.at_level(logging.INFO, logger="forkpatch"):
        with progress.Status("downloading x", every=10) as status:
            status.tty = False
            status.update("1.0 MB")  # 1 s after the start: not shown.
            status.update("2.0 MB")  # 12 s: shown.
            status.update("3.0 MB")  # 13 s: not shown.
    assert caplog.messages == ["downloading x", "downloading x: 2.0 MB"]
    assert status.last == "3.0 MB"


def test_status_on_a_terminal_rewrites_one_line(capsys):
    with progress.Status("installing") as status:
        status.tty = True
        status.update("Collecting tblib")
        status.update("Installing")
    err = capsys.readouterr().err
    assert "\rforkpatch: installing: Collecting tblib" in err
    assert err.endswith("\r")
    assert progress.megabytes(1_500_000) == "1.5 MB"
