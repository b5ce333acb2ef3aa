"""The Launchpad shows a description, with the accepted values, for every field a person fills in."""

from __future__ import annotations

import pytest

from domain.settings import SETTINGS
from pipelines.conflict_jobs import (
    AddBooksConfig,
    BookData,
    ConflictDecision,
    LinkBookConfig,
    MappingSyncConfig,
    ResolveConflictConfig,
    ResolveConflictsConfig,
    UnlinkBookConfig,
)
from pipelines.definitions import defs
from pipelines.settings_jobs import AudibleSettingsConfig

CONFIGS = (
    AudibleSettingsConfig,
    ResolveConflictConfig,
    LinkBookConfig,
    UnlinkBookConfig,
    MappingSyncConfig,
    BookData,
    ResolveConflictsConfig,
    ConflictDecision,
    AddBooksConfig,
)


@pytest.mark.parametrize("config", CONFIGS, ids=lambda c: c.__name__)
def test_every_field_has_a_description(config):
    fields = config.to_fields_dict()
    assert fields
    assert {name for name, field in fields.items() if not (field.description or "").strip()} == set()


def test_each_setting_states_what_it_accepts_as_the_cli_does():
    fields = AudibleSettingsConfig.to_fields_dict()
    for key, setting in SETTINGS.items():
        assert setting.allowed in fields[key].description, key
    assert "1 to 10,080" in fields["min_interval_minutes"].description


def test_the_launchpad_schema_carries_them():
    job = defs.resolve_job_def("update_audible_settings")
    op_config = job.run_config_schema.config_type.fields["ops"].config_type.fields["apply_audible_settings"]
    fields = op_config.config_type.fields["config"].config_type.fields
    assert "1 to 10,000" in fields["daily_limit"].description
