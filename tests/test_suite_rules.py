"""Rules of the suite itself: tests run on their own settings, never on the developer's shell, and
no test is skipped."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import psutil

from tests.support.environment import developer_settings, subprocess_env

REPO_ROOT = Path(__file__).resolve().parent.parent

# What a developer's shell may well hold: their webhook, their tracker, their Dagster instance.
SHELL = {
    "AUDIBLE_TRACKER_NOTIFY_WEBHOOK_URL": "http://127.0.0.1:9/their-real-webhook?token=theirs",
    "AUDIBLE_TRACKER_DATABASE_URL": "postgresql://reader:theirs@127.0.0.1:1/their_tracker",
    "AUDIBLE_TRACKER_LIBRARY_FILE": "/home/reader/their-library.json",
    "AUDIBLE_TRACKER_ENCRYPTION_KEY": "their-key",
    "AUDIBLE_TRACKER_DAGSTER_STORAGE_URL": "postgresql://reader:theirs@127.0.0.1:1/their_tracker",
    "AUDIBLE_TRACKER_SOME_LATER_SETTING": "theirs",
    "AUDIBLE_TRACKER_HOME": "/home/reader/.audible-tracker",
    "DAGSTER_HOME": "/home/reader/dagster",
}


def test_inside_a_test_no_developer_setting_is_visible(tmp_path):
    home = str(tmp_path / "home")
    assert developer_settings(os.environ) == ["AUDIBLE_TRACKER_HOME"]
    assert os.environ["AUDIBLE_TRACKER_HOME"] == home
    assert developer_settings(subprocess_env()) == ["AUDIBLE_TRACKER_HOME"]
    assert subprocess_env()["AUDIBLE_TRACKER_HOME"] == home


def test_a_shell_full_of_settings_reaches_no_test():
    """The test above, run by a pytest started from a shell that has every setting set."""
    env = {**os.environ, **SHELL}
    completed = subprocess.run(
        [
            sys.executable,
            "-m",
            "pytest",
            "-q",
            "-p",
            "no:cacheprovider",
            f"{Path(__file__).relative_to(REPO_ROOT)}::test_inside_a_test_no_developer_setting_is_visible",
        ],
        cwd=REPO_ROOT,
        env=env,
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert completed.returncode == 0, completed.stdout[-3000:] + completed.stderr[-3000:]
    assert "1 passed" in completed.stdout


def test_processes_get_only_the_settings_their_test_gives(monkeypatch, tmp_path):
    for name, value in SHELL.items():
        if name != "AUDIBLE_TRACKER_HOME":  # inside a test it is always the test's own directory
            monkeypatch.setenv(name, value)
    monkeypatch.setenv("AUDIBLE_TRACKER_TEST_DATABASE_URL", "postgresql://test@127.0.0.1/test")
    monkeypatch.setenv("PGTZ", "Pacific/Kiritimati")
    env = subprocess_env(AUDIBLE_TRACKER_DATABASE_URL="postgresql://test@127.0.0.1/at_test", PGTZ=None)
    assert developer_settings(env) == ["AUDIBLE_TRACKER_DATABASE_URL", "AUDIBLE_TRACKER_HOME"]
    assert env["AUDIBLE_TRACKER_DATABASE_URL"] == "postgresql://test@127.0.0.1/at_test"
    assert env["AUDIBLE_TRACKER_TEST_DATABASE_URL"] == "postgresql://test@127.0.0.1/test"
    assert "PGTZ" not in env and env["PATH"] == os.environ["PATH"]
    assert env["AUDIBLE_TRACKER_HOME"] == str(tmp_path / "home")  # the test's own, not the shell's


def test_a_skipped_test_and_a_test_that_leaves_a_process_running_fail(tmp_path):
    """A missing module or data file must not turn a test into a quiet skip, and a process a test
    forgot must not run on after it (it is killed, and the test fails)."""
    marker = tmp_path / "left-behind"
    probe = tmp_path / "test_probe.py"
    probe.write_text(
        "import subprocess, sys\n"
        "import pytest\n"
        "def test_needs_a_module():\n"
        "    pytest.importorskip('a_module_that_is_not_installed')\n"
        "def test_needs_a_file():\n"
        "    pytest.skip('the data file is not there')\n"
        "def test_starts_and_forgets():\n"
        f"    subprocess.Popen([sys.executable, '-c', 'import time; time.sleep(600)', {str(marker)!r}])\n"
        "def test_runs():\n"
        "    pass\n"
    )
    completed = subprocess.run(
        [sys.executable, "-m", "pytest", "-p", "tests.conftest", "-q", "-p", "no:cacheprovider", str(probe)],
        cwd=REPO_ROOT,
        env=subprocess_env(),
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert completed.returncode == 1, completed.stdout[-3000:]
    assert "2 failed, 2 passed, 1 error" in completed.stdout
    assert "was skipped (Skipped: could not import 'a_module_that_is_not_installed'" in completed.stdout
    assert "was skipped (Skipped: the data file is not there)" in completed.stdout
    assert "ERROR at teardown of test_starts_and_forgets" in completed.stdout
    assert "processes still running after the test" in completed.stdout
    still_running = [
        p.pid for p in psutil.process_iter(["cmdline"]) if str(marker) in " ".join(p.info["cmdline"] or ())
    ]
    assert still_running == []
