"""Sync settings: parsing typed text and validating typed values (pure)."""

from __future__ import annotations

import pytest

from domain.settings import (
    SETTINGS,
    SettingError,
    canonical_key,
    describe_changes,
    parse_setting,
    settings_lines,
    sync_blocked,
    validate_changes,
    validate_setting,
)


@pytest.mark.parametrize(
    ("key", "text", "expected"),
    [
        ("enabled", "false", False),
        ("enabled", "No", False),
        ("enabled", "off", False),
        ("enabled", "true", True),
        ("enabled", " yes ", True),
        ("enabled", "1", True),
        ("min_interval_minutes", "1", 1),
        ("min_interval_minutes", "30", 30),
        ("min_interval_minutes", "10080", 10_080),
        ("daily_limit", "1", 1),
        ("daily_limit", "10,000", 10_000),
        ("daily_limit", "2_500", 2_500),
        ("timezone", "Europe/Berlin", "Europe/Berlin"),
        ("timezone", "UTC", "UTC"),
        ("timezone", " America/New_York ", "America/New_York"),
        ("log_retention_days", "365", 365),
        ("auto_add_min_progress", "25", 25),
        ("auto_add_min_progress", "100", 100),
        ("auto_add_min_progress", "off", None),
        ("auto_add_min_progress", "0", None),
    ],
)
def test_parse_setting_accepts_what_people_type(key, text, expected):
    assert parse_setting(key, text) == (key, expected)


def test_dashes_and_case_in_the_key_are_forgiven():
    assert parse_setting("Min-Interval-Minutes", "20") == ("min_interval_minutes", 20)
    assert canonical_key("DAILY_LIMIT") == "daily_limit"


@pytest.mark.parametrize(
    ("key", "text", "allowed"),
    [
        ("min_interval_minutes", "0", "from 1 to 10,080 minutes"),
        ("min_interval_minutes", "-5", "from 1 to 10,080 minutes"),
        ("min_interval_minutes", "10081", "from 1 to 10,080 minutes"),
        ("min_interval_minutes", "1.5", "a whole number"),
        ("min_interval_minutes", "soon", "a whole number"),
        ("daily_limit", "0", "from 1 to 10,000"),
        ("daily_limit", "10001", "from 1 to 10,000"),
        ("daily_limit", "", "from 1 to 10,000"),
        ("log_retention_days", "0", "from 1 to 3,650 days"),
        ("auto_add_min_progress", "101", "from 1 to 100 percent, or off"),
        ("auto_add_min_progress", "soon", "a whole number"),
        ("enabled", "maybe", "true or false"),
        ("enabled", "", "true or false"),
        ("timezone", "Mars/Olympus_Mons", "IANA time zone"),
        ("timezone", "CEST", "IANA time zone"),
        ("timezone", "localtime", "IANA time zone"),
        ("timezone", "", "IANA time zone"),
    ],
)
def test_refused_values_name_the_setting_and_what_it_allows(key, text, allowed):
    with pytest.raises(SettingError) as refused:
        parse_setting(key, text)
    assert refused.value.key == key
    message = str(refused.value)
    assert message.startswith(f"{key} must be ")
    assert allowed in message


def test_a_miscased_time_zone_gets_a_suggestion():
    with pytest.raises(SettingError, match="did you mean Europe/Berlin"):
        parse_setting("timezone", "europe/berlin")


def test_unknown_key_lists_the_settings():
    with pytest.raises(SettingError) as refused:
        parse_setting("interval", "5")
    assert "unknown setting 'interval'" in str(refused.value)
    for key in SETTINGS:
        assert key in str(refused.value)


def test_the_webhook_is_not_a_stored_setting():
    with pytest.raises(SettingError, match="AUDIBLE_TRACKER_NOTIFY_WEBHOOK_URL"):
        parse_setting("notify_webhook", "https://example.invalid/hook")


@pytest.mark.parametrize(
    ("key", "value"),
    [
        ("enabled", 1),
        ("enabled", "true"),
        ("daily_limit", True),
        ("daily_limit", "600"),
        ("daily_limit", 6.0),
        ("min_interval_minutes", None),
        ("timezone", 0),
    ],
)
def test_typed_values_of_the_wrong_type_are_refused(key, value):
    with pytest.raises(SettingError) as refused:
        validate_setting(key, value)
    assert refused.value.key == key


def test_typed_values_are_checked_against_the_same_ranges():
    assert validate_setting("daily_limit", 10_000) == 10_000
    with pytest.raises(SettingError, match="daily_limit must be a whole number from 1 to 10,000; got 0"):
        validate_setting("daily_limit", 0)


def test_validate_changes_refuses_all_bad_keys_at_once():
    with pytest.raises(SettingError) as refused:
        validate_changes({"daily_limit": 0, "timezone": "Nowhere/Land", "enabled": False})
    assert refused.value.key == "daily_limit, timezone"
    assert "daily_limit must be" in str(refused.value)
    assert "timezone must be" in str(refused.value)


def test_validate_changes_returns_canonical_keys():
    assert validate_changes({"daily-limit": 50, "enabled": False}) == {"daily_limit": 50, "enabled": False}
    assert validate_changes({}) == {}


def test_describe_changes_lists_only_what_changed():
    before = {"enabled": True, "daily_limit": 600, "timezone": "UTC"}
    after = {"enabled": False, "daily_limit": 600, "timezone": "UTC"}
    assert describe_changes(before, after) == ["enabled: true -> false"]


def test_settings_lines_show_every_setting_once():
    values = {
        "enabled": True,
        "min_interval_minutes": 15,
        "daily_limit": 600,
        "timezone": "UTC",
        "log_retention_days": 90,
        "auto_add_min_progress": None,
    }
    lines = settings_lines(values, extra=[("notify_webhook", "not set")])
    assert [line.split()[0] for line in lines] == [*SETTINGS, "notify_webhook"]
    assert lines[0].split()[1] == "true"
    assert lines[5].split()[:2] == ["auto_add_min_progress", "off"]


def test_sync_blocked_ignores_the_normal_wait():
    assert sync_blocked(True, 599) is None
    assert "paused" in sync_blocked(False, 599)
    assert "daily limit" in sync_blocked(True, 0)
