"""Sync settings of an Audible account: which exist, what each allows, and validation.

Pure: no Dagster or database import. The CLI (`audible-tracker config set`) and
the Dagster job `update_audible_settings` both validate here, so a value is
accepted or refused the same way wherever it is typed. Every error names the
setting and what it allows. The values live in ``audible_config`` (one column
per setting); `resources.queries.settings` reads and writes them.
"""

from __future__ import annotations

import zoneinfo
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from functools import lru_cache
from typing import Any

# Read by the notification code; shown by `config show` as set / not set, never its value.
NOTIFY_WEBHOOK_ENV = "AUDIBLE_TRACKER_NOTIFY_WEBHOOK_URL"

_TRUE = {"true", "yes", "on", "1"}
_FALSE = {"false", "no", "off", "0"}
# Names zoneinfo accepts that are not places: the host's zone, a tzcode helper, a placeholder.
_NOT_IANA_ZONES = {"localtime", "posixrules", "Factory"}


@dataclass(frozen=True)
class Setting:
    key: str
    """Name of the setting, also its audible_config column."""
    kind: type
    help: str
    minimum: int | None = None
    maximum: int | None = None
    unit: str = ""
    can_be_off: bool = False
    """Whether `off` (stored as NULL; 0 in the job's config) is a value of its own."""

    @property
    def allowed(self) -> str:
        if self.kind is bool:
            return "true or false"
        if self.kind is int:
            off = ", or off" if self.can_be_off else ""
            return f"a whole number from {self.minimum:,} to {self.maximum:,}{self.unit}{off}"
        return "an IANA time zone name such as UTC, Europe/Berlin or America/New_York"

    def show(self, value: Any) -> str:
        return "off" if self.can_be_off and value is None else format_value(value)


SETTINGS: dict[str, Setting] = {
    s.key: s
    for s in (
        Setting("enabled", bool, "whether scheduled and manual syncs may run (false pauses syncing)"),
        Setting(
            "min_interval_minutes",
            int,
            "minutes that must pass between two syncs",
            minimum=1,
            maximum=10_080,
            unit=" minutes (one week)",
        ),
        Setting(
            "daily_limit",
            int,
            "syncs allowed per day; the counter resets at midnight in `timezone`",
            minimum=1,
            maximum=10_000,
        ),
        Setting("timezone", str, "time zone whose midnight resets the daily counter"),
        Setting(
            "log_retention_days",
            int,
            "days sync logs are kept before cleanup deletes them",
            minimum=1,
            maximum=3_650,
            unit=" days (ten years)",
        ),
        Setting(
            "auto_add_min_progress",
            int,
            "each sync adds unmatched titles listened to at least this far as tracker books",
            minimum=1,
            maximum=100,
            unit=" percent",
            can_be_off=True,
        ),
    )
}
_OFF = {"off", "none", "0"}

# Shown by `config show`, but not stored in the database and not settable here.
ENVIRONMENT_SETTINGS = {
    "notify_webhook": f"set through the environment variable {NOTIFY_WEBHOOK_ENV}, not stored",
}


class SettingError(ValueError):
    """A setting name or value was refused; the message names the setting and what it allows."""

    def __init__(self, key: str, message: str):
        super().__init__(message)
        self.key = key


def canonical_key(name: str) -> str:
    """The setting called ``name`` (dashes and case are forgiven); SettingError if there is none."""
    key = name.strip().lower().replace("-", "_")
    if key in SETTINGS:
        return key
    if key in ENVIRONMENT_SETTINGS:
        raise SettingError(key, f"{key} is {ENVIRONMENT_SETTINGS[key]}")
    raise SettingError(key, f"unknown setting {name!r}; the settings are: {', '.join(SETTINGS)}")


@lru_cache(maxsize=1)
def _zones_by_folded_name() -> dict[str, str]:
    return {zone.casefold(): zone for zone in zoneinfo.available_timezones() - _NOT_IANA_ZONES}


def _refuse(setting: Setting, value: Any, problem: str = "") -> SettingError:
    shown = repr(value) if not isinstance(value, str) or value.strip() else "an empty value"
    detail = f" ({problem})" if problem else ""
    return SettingError(setting.key, f"{setting.key} must be {setting.allowed}; got {shown}{detail}")


def _validate_timezone(setting: Setting, value: str) -> str:
    name = value.strip()
    zones = _zones_by_folded_name()
    if name in zones.values():
        return name
    match = zones.get(name.casefold())
    if match:
        raise _refuse(setting, value, f"did you mean {match}?")
    raise _refuse(setting, value, "not in the IANA time zone database")


def validate_setting(key: str, value: Any) -> Any:
    """A typed value (bool / int / str, as in the job's config) checked against its setting."""
    setting = SETTINGS[canonical_key(key)]
    if setting.can_be_off and (value is None or (value == 0 and not isinstance(value, bool))):
        return None
    if setting.kind is bool:
        if not isinstance(value, bool):
            raise _refuse(setting, value)
        return value
    if setting.kind is int:
        if isinstance(value, bool) or not isinstance(value, int):
            raise _refuse(setting, value)
        if not setting.minimum <= value <= setting.maximum:  # type: ignore[operator]
            raise _refuse(setting, value)
        return value
    if not isinstance(value, str) or not value.strip():
        raise _refuse(setting, value)
    return _validate_timezone(setting, value)


def parse_setting(key: str, text: str) -> tuple[str, Any]:
    """``(key, value)`` from what a person typed (`config set KEY VALUE`), validated."""
    key = canonical_key(key)
    setting = SETTINGS[key]
    word = text.strip()
    if setting.can_be_off and word.lower() in _OFF:
        return key, None
    if setting.kind is bool:
        if word.lower() in _TRUE:
            return key, True
        if word.lower() in _FALSE:
            return key, False
        raise _refuse(setting, text)
    if setting.kind is int:
        digits = word.replace("_", "").replace(",", "")
        if not digits.lstrip("+-").isdigit():
            raise _refuse(setting, text, "not a whole number")
        return key, validate_setting(key, int(digits))
    return key, validate_setting(key, word)


def validate_changes(changes: Mapping[str, Any]) -> dict[str, Any]:
    """Every change checked before any is applied; one SettingError naming each refused setting."""
    accepted: dict[str, Any] = {}
    problems: list[SettingError] = []
    for key, value in changes.items():
        try:
            canonical = canonical_key(key)
            accepted[canonical] = validate_setting(canonical, value)
        except SettingError as error:
            problems.append(error)
    if len(problems) == 1:
        raise problems[0]
    if problems:
        raise SettingError(", ".join(p.key for p in problems), "; ".join(str(p) for p in problems))
    return accepted


def format_value(value: Any) -> str:
    if isinstance(value, bool):
        return "true" if value else "false"
    return "-" if value is None else str(value)


def describe_changes(before: Mapping[str, Any], after: Mapping[str, Any]) -> list[str]:
    """``key: old -> new`` for each setting whose value changed, in the settings' order."""
    return [
        f"{key}: {SETTINGS[key].show(before.get(key))} -> {SETTINGS[key].show(after[key])}"
        for key in SETTINGS
        if key in after and before.get(key) != after[key]
    ]


def settings_lines(values: Mapping[str, Any], extra: Iterable[tuple[str, str]] = ()) -> list[str]:
    """Aligned ``key  value  (what it means)`` lines for a terminal."""
    rows = [(key, SETTINGS[key].show(values.get(key)), SETTINGS[key].help) for key in SETTINGS]
    rows += [(key, text, "") for key, text in extra]
    width = max(len(key) for key, _, _ in rows)
    value_width = max(len(value) for _, value, help_ in rows if help_)
    return [
        f"{key:<{width}}  {value:<{value_width}}  {help_}".rstrip() if help_ else f"{key:<{width}}  {value}"
        for key, value, help_ in rows
    ]


def sync_blocked(enabled: bool, syncs_remaining_today: int) -> str | None:
    """Why the account cannot sync beyond the normal wait between syncs, or None.

    Waiting for the minimum interval is what a healthy account does between
    syncs; a paused account or a spent daily limit needs a person's attention.
    """
    if not enabled:
        return "syncing is paused (enabled = false)"
    if syncs_remaining_today <= 0:
        return "the daily limit is reached"
    return None
