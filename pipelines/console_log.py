"""The sync job's console log: Dagster's own colored log, with an expected failure said in one line.

`dagster job execute -m pipelines.definitions -j audible_sync` prints Dagster's
console log. Left alone, a refused sync (rate limit, unreadable file, missing
credentials, unreachable database) prints its reason buried in two stack
traces. This logger prints the same log, except that:

- a step or run failure that ``pipelines.cli.errors`` recognises is printed as
  that one line, so the first error line is the reason; unexpected failures keep
  their traceback;
- the "Skipped the execution of hook" line Dagster logs after every successful
  step (the failure hook did not fire, as it should not) is left out.

The run's event log (the UI) keeps every event and the full error either way.
"""

from __future__ import annotations

import logging

import dagster as dg

from pipelines.cli.errors import error_info_line

_STEP_FAILURE, _RUN_FAILURE, _HOOK_SKIPPED = "STEP_FAILURE", "PIPELINE_FAILURE", "HOOK_SKIPPED"


def _failure_line(event) -> str | None:
    data = event.event_specific_data
    if event.event_type_value == _RUN_FAILURE:
        step = getattr(data, "first_step_failure_event", None)
        if step is None:
            return error_info_line(getattr(data, "error", None))
        data = step.event_specific_data
    user = getattr(data, "user_failure_data", None)
    if user is not None and user.description:
        return " ".join(user.description.split())
    return error_info_line(getattr(data, "error", None))


class ExpectedFailuresInOneLine(logging.Filter):
    def filter(self, record: logging.LogRecord) -> bool:
        meta = getattr(record, "dagster_meta", None) or {}
        event = meta.get("dagster_event")
        if event is None:
            return True
        if event.event_type_value == _HOOK_SKIPPED:
            return False
        if event.event_type_value in (_STEP_FAILURE, _RUN_FAILURE):
            line = _failure_line(event)
            if line:
                # Dagster's message is "<prefix> - <what happened>\n\n<error and stack trace>".
                head = str(record.msg).split("\n\n", 1)[0]
                original = meta.get("orig_message") or ""
                if original and head.endswith(original):
                    head = head[: -len(original)]
                    record.msg = head + line
                else:
                    record.msg = f"{head} {line}"
                record.args = ()
        return True


@dg.logger(
    config_schema={
        "log_level": dg.Field(str, is_required=False, default_value="DEBUG", description="The threshold."),
        "name": dg.Field(str, is_required=False, default_value="dagster", description="Logger name."),
    },
    description="Dagster's colored console log; expected failures in one line, no skipped-hook lines.",
)
def sync_console_logger(init_context: dg.InitLoggerContext) -> logging.Logger:
    logger = dg.colored_console_logger.logger_fn(init_context)
    logger.addFilter(ExpectedFailuresInOneLine())
    return logger


# Default run config of the sync job: this logger replaces Dagster's default console log.
SYNC_CONSOLE_CONFIG = {"loggers": {"console": {"config": {"log_level": "DEBUG"}}}}
