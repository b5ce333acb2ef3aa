"""sql/007: audible_config.timezone accepts only IANA zone names, from any writer."""

from __future__ import annotations

import pytest
import sqlalchemy as sa

from resources.queries.accounts import ensure_account


@pytest.fixture
def account(engine):
    with engine.begin() as conn:
        ensure_account(conn, "demo", "demo")
    return "demo"


def _set_timezone(engine, value):
    with engine.begin() as conn:
        conn.execute(
            sa.text("UPDATE audible_config SET timezone = :tz WHERE account = 'demo'"), {"tz": value}
        )


def _timezone(engine):
    with engine.connect() as conn:
        return conn.execute(
            sa.text("SELECT timezone FROM audible_config WHERE account = 'demo'")
        ).scalar_one()


@pytest.mark.parametrize("value", ["Europe/Berlin", "America/Argentina/Buenos_Aires", "UTC", "Etc/GMT-3"])
def test_iana_names_are_stored(engine, account, value):
    _set_timezone(engine, value)
    assert _timezone(engine) == value
    with engine.connect() as conn:
        assert conn.execute(sa.text("SELECT count(*) FROM audible_can_sync('demo')")).scalar_one() == 1


@pytest.mark.parametrize("value", ["Mars/Olympus_Mons", "CEST", "UTC+3", "europe/berlin", ""])
def test_other_values_are_refused_naming_the_setting(engine, account, value):
    with pytest.raises(sa.exc.IntegrityError, match="timezone must be an IANA time zone name"):
        _set_timezone(engine, value)
    assert _timezone(engine) == "UTC"


def test_a_new_account_with_a_bad_zone_is_refused(engine):
    with pytest.raises(sa.exc.IntegrityError, match="got 'Nowhere'"):
        with engine.begin() as conn:
            conn.execute(sa.text("INSERT INTO audible_config (account, timezone) VALUES ('x', 'Nowhere')"))


def test_other_updates_do_not_recheck_an_unchanged_zone(engine, account):
    with engine.begin() as conn:
        conn.execute(sa.text("ALTER TABLE audible_config DISABLE TRIGGER audible_config_timezone_valid"))
        conn.execute(sa.text("UPDATE audible_config SET timezone = 'Legacy/Zone'"))
        conn.execute(sa.text("ALTER TABLE audible_config ENABLE TRIGGER audible_config_timezone_valid"))
    with engine.begin() as conn:
        conn.execute(sa.text("UPDATE audible_config SET daily_limit = 50, timezone = timezone"))
    with engine.connect() as conn:
        assert conn.execute(sa.text("SELECT daily_limit FROM audible_config")).scalar_one() == 50
