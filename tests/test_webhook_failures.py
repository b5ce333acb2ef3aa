"""A completion webhook that cannot be reached, or never answers, costs the sync nothing.

Real sockets on the loopback interface only: a port nobody listens on, and a
server that accepts connections and never answers. The sync must succeed, say
so in one warning line per finished book, and never write the webhook's URL
(which often carries a token) anywhere: not in the run's logs, not in Python
logging (httpx's and httpcore's own lines are kept at WARNING), not on stdout or stderr.
"""

from __future__ import annotations

import logging
import socket

import dagster as dg
import pytest
import sqlalchemy as sa

from resources import notify
from tests.support.sync import allow_next_sync, demo_library_file, run_sync

WAY_OF_KINGS = "B003ZWFO7E"  # book 2, at 42 % after the demo sync
TOKEN = "wh-token-8f3e1c0d"
PATH = "/hooks/audible-finished"


@pytest.fixture
def closed_port() -> int:
    """A loopback port with nothing listening: connecting is refused at once."""
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


@pytest.fixture
def silent_port():
    """A loopback server that accepts connections (the kernel's backlog) and never answers."""
    with socket.socket() as server:
        server.bind(("127.0.0.1", 0))
        server.listen(8)
        yield server.getsockname()[1]


@pytest.mark.parametrize(
    ("server", "error"),
    [("closed_port", "ConnectError"), ("silent_port", "ReadTimeout")],
    ids=["unreachable", "timeout"],
)
def test_a_webhook_that_fails_leaves_the_sync_successful_one_warning_and_no_url(
    server, error, request, database_url, engine, tmp_path, monkeypatch, caplog, capfd
):
    assert run_sync(database_url).success
    port = request.getfixturevalue(server)
    url = f"http://127.0.0.1:{port}{PATH}?token={TOKEN}"
    monkeypatch.setenv(notify.NOTIFY_WEBHOOK_ENV, url)
    # The sync waits this long for an answer; a second is plenty on the loopback interface.
    monkeypatch.setattr(notify, "WEBHOOK_TIMEOUT_SECONDS", 1.0)
    caplog.set_level(logging.DEBUG)
    capfd.readouterr()

    allow_next_sync(engine, "demo")
    instance = dg.DagsterInstance.ephemeral()
    result = run_sync(
        database_url,
        account="demo",
        library_source="file",
        library_file=demo_library_file(
            tmp_path, {WAY_OF_KINGS: {"is_finished": True, "percent_complete": 100}}
        ),
        instance=instance,
    )

    assert result.success
    with engine.connect() as conn:
        status = conn.execute(sa.text("SELECT status FROM books WHERE id = 2")).scalar()
    assert status == "finished"
    run_log = [entry.user_message for entry in instance.all_logs(result.run_id)]
    assert [m for m in run_log if "webhook" in m.lower()] == [
        f"Completion webhook unreachable ({error}) for 'The Way of Kings'; the sync itself succeeded"
    ]
    out, err = capfd.readouterr()
    everything = "\n".join([*run_log, caplog.text, out, err])
    # httpx's and httpcore's own request lines print URLs: they are kept at WARNING, so
    # even with everything else logged at DEBUG they are not emitted at all.
    assert "HTTP Request" not in caplog.text and "httpcore" not in caplog.text
    assert "DEBUG" in caplog.text  # the capture itself did run at DEBUG
    for part in (TOKEN, PATH, url):
        assert part not in everything
