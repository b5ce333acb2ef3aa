"""The environment tests and the processes they start run in: none of the developer's own settings.

A developer's shell may point at their real tracker, webhook or Dagster instance
(``AUDIBLE_TRACKER_*``, ``DAGSTER_HOME``). The test process drops them once at
start-up, every test starts without them, and every process a test starts gets
an environment built by ``subprocess_env``.
"""

from __future__ import annotations

import os
from collections.abc import Mapping, MutableMapping

PROJECT_PREFIX = "AUDIBLE_TRACKER_"
# Which server the tests use is a test setting, not the developer's product setting.
TEST_DATABASE_URL_ENV = "AUDIBLE_TRACKER_TEST_DATABASE_URL"
DAGSTER_HOME_ENV = "DAGSTER_HOME"
# Set by every test to a directory of its own (tests/conftest.py), so processes it starts keep it.
TRACKER_HOME_ENV = "AUDIBLE_TRACKER_HOME"


def developer_settings(environ: Mapping[str, str]) -> list[str]:
    """Names in ``environ`` that would let the developer's own configuration reach a test."""
    return sorted(
        name
        for name in environ
        if (name.startswith(PROJECT_PREFIX) and name != TEST_DATABASE_URL_ENV) or name == DAGSTER_HOME_ENV
    )


def drop_developer_settings(environ: MutableMapping[str, str]) -> None:
    for name in developer_settings(environ):
        del environ[name]


def subprocess_env(**settings: str | None) -> dict[str, str]:
    """The current environment without developer settings, plus ``settings`` (None removes one)."""
    env = {
        name: value
        for name, value in os.environ.items()
        if name == TRACKER_HOME_ENV or name not in developer_settings(os.environ)
    }
    for name, value in settings.items():
        if value is None:
            env.pop(name, None)
        else:
            env[name] = value
    return env
