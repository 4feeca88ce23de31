"""--scheduler: which address wins (flag > CLEANAUDIT_SCHEDULER > config), and the one-line errors
when Dask is missing or the scheduler cannot be reached; a scheduler file names a real cluster."""

from __future__ import annotations

import json
import socket
import sys

import pytest

from cleanaudit.status import ExitStatus

distributed = pytest.importorskip("distributed")


@pytest.fixture()
def two_files(tmp_path, tutorial_dir):
    import pandas as pd

    data = tmp_path / "data"
    data.mkdir()
    train = pd.read_csv(tutorial_dir / "train.csv")[["x1", "x2", "y"]]
    train.iloc[:120].to_csv(data / "a.csv", index=False)
    train.iloc[120:].to_csv(data / "b.csv", index=False)
    return data


def _closed_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]  # free now, and nothing listens there


@pytest.fixture()
def quick_timeout(monkeypatch):
    from cleanaudit.distributed import cluster

    monkeypatch.setattr(cluster, "CONNECT_TIMEOUT", 0.5)


def _batch(cli, folder, *args, **kwargs):
    return cli("audit", folder, "-l", "y", "--model", "logreg", "--cv", "3", "-q", *args, **kwargs)


def test_missing_dask_is_one_line_and_exit_2(cli, two_files, monkeypatch, tmp_path):
    monkeypatch.setitem(sys.modules, "distributed", None)  # import distributed now raises ImportError
    result = _batch(cli, two_files, "--scheduler", "local", "--out", tmp_path / "out")
    assert result.exit_code == ExitStatus.INPUT_ERROR
    assert 'pip install "cleanaudit[dask]"' in result.stderr and len(result.stderr.strip().splitlines()) == 1
    assert not (tmp_path / "out").exists()


def test_unreachable_scheduler_is_one_line_and_exit_2(cli, two_files, quick_timeout, tmp_path):
    address = f"tcp://127.0.0.1:{_closed_port()}"
    result = _batch(cli, two_files, "--scheduler", address, "--out", tmp_path / "out")
    assert result.exit_code == ExitStatus.INPUT_ERROR, result.stderr
    line = result.stderr.strip().splitlines()[-1]
    assert f"cannot reach the Dask scheduler at --scheduler {address}" in line and "dask scheduler" in line
    assert not (tmp_path / "out").exists()


def test_missing_scheduler_file(cli, two_files, tmp_path):
    result = _batch(cli, two_files, "--scheduler", str(tmp_path / "nowhere.json"))
    assert result.exit_code == ExitStatus.INPUT_ERROR
    assert "no such scheduler file" in result.stderr


def test_flag_beats_environment_beats_config(cli, two_files, quick_timeout, tmp_path, monkeypatch):
    ports = {where: _closed_port() for where in ("config", "env", "flag")}
    config = tmp_path / "cleanaudit.toml"
    config.write_text(f'scheduler = "tcp://127.0.0.1:{ports["config"]}"\n')
    monkeypatch.chdir(tmp_path)  # the config is found from the working folder
    env = {"CLEANAUDIT_SCHEDULER": f"tcp://127.0.0.1:{ports['env']}"}

    def used(*args, **kwargs):
        result = _batch(cli, two_files, *args, **kwargs)
        assert result.exit_code == ExitStatus.INPUT_ERROR, result.stderr
        return next(where for where, port in ports.items() if f":{port} within" in result.stderr)

    assert used() == "config"
    assert used(env=env) == "env"
    assert used("--scheduler", f"tcp://127.0.0.1:{ports['flag']}", env=env) == "flag"


def test_config_scheduler_must_be_an_address():
    from cleanaudit.config import parse_config
    from cleanaudit.errors import ConfigError

    assert parse_config({"scheduler": "local"}, "cleanaudit.toml").scheduler == "local"
    with pytest.raises(ConfigError, match="scheduler: expected an address"):
        parse_config({"scheduler": 8786}, "cleanaudit.toml")


def test_a_scheduler_file_reaches_its_cluster(cli, two_files, tmp_path):
    with distributed.LocalCluster(
        n_workers=1, threads_per_worker=1, processes=False, dashboard_address=None, silence_logs=40
    ) as local:
        scheduler_file = tmp_path / "scheduler.json"
        scheduler_file.write_text(json.dumps({"address": local.scheduler_address}))
        result = _batch(cli, two_files, "--scheduler", str(scheduler_file), "-f", "json")
    assert result.exit_code == ExitStatus.OK, result.stderr
    index = json.loads(result.stdout)
    assert [row["dataset"] for row in index["datasets"]] == ["a", "b"]
    assert index["notes"][0]["message"].startswith(f"Dask cluster at {local.scheduler_address}: 1 workers")


def test_a_local_cluster_leaves_ctrl_c_to_this_process():
    """The LocalCluster's processes ignore SIGINT (a terminal's Ctrl-C reaches the whole process group:
    each worker would print a traceback); this process keeps its handler and stops the run."""
    import signal

    pytest.importorskip("distributed")
    from cleanaudit.distributed.cluster import connect
    from cleanaudit.events import SilentEvents

    before = signal.getsignal(signal.SIGINT)
    with connect("local", events=SilentEvents()) as client:
        in_workers = client.run(signal.getsignal, signal.SIGINT)
        assert signal.getsignal(signal.SIGINT) is before
    assert in_workers and set(in_workers.values()) == {signal.SIG_IGN}
    assert signal.getsignal(signal.SIGINT) is before
