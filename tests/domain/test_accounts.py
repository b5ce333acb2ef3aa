"""The one account-resolution rule used by the sync, the jobs, the CLI and the schedule (pure)."""

from __future__ import annotations

import pytest

from domain.accounts import (
    DEFAULT_ACCOUNT,
    DEMO_ACCOUNT,
    NAME_IN_JOB_CONFIG,
    NAME_IN_SYNC_CONFIG,
    AccountChoiceError,
    accounts_to_schedule,
    choose_account,
    first_sync_account,
)

DEMO_AND_MINE = {"demo": "demo", "mine": "api"}


def test_a_named_account_that_exists_is_used():
    assert choose_account("demo", DEMO_AND_MINE) == "demo"
    assert choose_account("mine", DEMO_AND_MINE) == "mine"


def test_a_named_account_that_does_not_exist_is_an_error_listing_the_configured_ones():
    with pytest.raises(
        AccountChoiceError, match=r"no Audible account named 'other'.*configured accounts: demo, mine"
    ):
        choose_account("other", DEMO_AND_MINE)
    with pytest.raises(
        AccountChoiceError, match=r"no Audible account named 'other' is configured; run a sync"
    ):
        choose_account("other", {})


def test_a_sync_may_name_an_account_it_is_about_to_create():
    assert choose_account("household", DEMO_AND_MINE, new_account=DEFAULT_ACCOUNT) == "household"
    assert choose_account("household", {}, new_account=DEMO_ACCOUNT) == "household"


def test_none_named_means_the_only_real_account_even_beside_the_demo():
    assert choose_account(None, DEMO_AND_MINE) == "mine"
    assert choose_account(None, DEMO_AND_MINE, new_account=DEFAULT_ACCOUNT) == "mine"
    assert choose_account(None, {"demo": "demo"}) == "demo"


def test_several_accounts_and_none_named_is_an_error_listing_them_never_the_demo():
    accounts = {"anna": "file", "ben": "api", "demo": "demo"}
    for new_account in (None, DEMO_ACCOUNT):
        with pytest.raises(
            AccountChoiceError,
            match=r"several Audible accounts are configured \(anna, ben\); choose one with --account NAME",
        ):
            choose_account(None, accounts, new_account=new_account)
    with pytest.raises(AccountChoiceError, match="choose one with account: NAME in the job's config"):
        choose_account(None, accounts, how_to_name=NAME_IN_JOB_CONFIG)
    with pytest.raises(AccountChoiceError, match=r"choose one with ops: \{audible_library"):
        choose_account(None, accounts, how_to_name=NAME_IN_SYNC_CONFIG)
    # With no real account, several demo-backed ones are just as ambiguous.
    with pytest.raises(AccountChoiceError, match=r"several Audible accounts are configured \(demo, test\)"):
        choose_account(None, {"demo": "demo", "test": "demo"})


def test_no_account_at_all_is_an_error_except_for_a_first_sync():
    with pytest.raises(AccountChoiceError, match="no Audible account is configured yet; run a sync first"):
        choose_account(None, {})
    assert choose_account(None, {}, new_account=first_sync_account(False)) == DEMO_ACCOUNT
    assert choose_account(None, {}, new_account=first_sync_account(True)) == DEFAULT_ACCOUNT


def test_a_sync_reading_a_file_does_not_pick_the_demo_account():
    """The demo's mappings are not the file's: before any real account, the file syncs into `default`."""
    assert choose_account(None, {"demo": "demo"}, new_account=first_sync_account(True)) == DEFAULT_ACCOUNT
    assert choose_account(None, {"demo": "demo"}, new_account=first_sync_account(False)) == DEMO_ACCOUNT


def test_the_schedule_syncs_every_account_or_the_one_a_first_sync_creates():
    assert accounts_to_schedule(["anna", "demo"], library_file_set=True) == ["anna", "demo"]
    assert accounts_to_schedule([], library_file_set=True) == [DEFAULT_ACCOUNT]
    assert accounts_to_schedule([], library_file_set=False) == [DEMO_ACCOUNT]
