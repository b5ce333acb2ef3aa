"""Commands that need no Dagster start without importing it (nor audible, pandas, the matcher's libraries)."""

from __future__ import annotations

import json
import os
import subprocess
import sys

import pytest

from tests.conftest import REPO_ROOT

EVAL = REPO_ROOT / "tests" / "data" / "matching_eval"
# Each costs from a tenth of a second (httpx) to seconds (Dagster) before the command does anything.
HEAVY = ("dagster", "audible", "pandas", "matplotlib", "httpx", "numpy", "rapidfuzz")

# argv: the modules to look for (comma-separated), then the command.
PROBE = """
import json, sys
from pipelines.cli import main
try:
    code = main(sys.argv[2:])
except SystemExit as exit:
    code = exit.code
heavy = sorted(m for m in sys.argv[1].split(",") if m in sys.modules)
print(json.dumps({"code": code, "heavy": heavy}))
"""


def run_command(database_url: str, *argv: str) -> dict:
    env = {k: v for k, v in os.environ.items() if not k.startswith("AUDIBLE_TRACKER_")}
    env["AUDIBLE_TRACKER_DATABASE_URL"] = database_url
    env["AUDIBLE_TRACKER_HOME"] = os.environ["AUDIBLE_TRACKER_HOME"]
    done = subprocess.run(
        [sys.executable, "-c", PROBE, ",".join(HEAVY), *argv],
        capture_output=True,
        text=True,
        cwd=REPO_ROOT,
        env=env,
    )
    assert done.returncode == 0, done.stderr
    return json.loads(done.stdout.strip().splitlines()[-1])


@pytest.mark.parametrize(
    "argv",
    [
        ("status",),
        ("config", "show"),
        ("auth", "status"),
        ("tracker", "show"),
        ("tracker", "check"),
        ("review", "--list"),
        ("keygen",),
    ],
    ids=["status", "config show", "auth status", "tracker show", "tracker check", "review --list", "keygen"],
)
def test_database_commands_import_nothing_heavy(database_url, argv):
    result = run_command(database_url, *argv)
    assert result["code"] in (0, 1)  # a command's own verdict; importing is what is under test
    assert result["heavy"] == []


def test_match_imports_the_matcher_but_not_dagster_or_audible(database_url):
    result = run_command(
        database_url,
        "match",
        "--library",
        str(EVAL / "library.json"),
        "--books",
        str(EVAL / "books.csv"),
        "--json",
    )
    assert result["code"] == 0
    assert result["heavy"] == ["numpy", "rapidfuzz"]
