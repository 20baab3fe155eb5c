"""Fixtures the programme tests share."""

import pytest

from renewal.catalog import seed_work_item_types
from renewal.models import WorkItemType
from tests.renewal.factories import Quality


@pytest.fixture
def catalog(db):
    seed_work_item_types(WorkItemType)


@pytest.fixture
def media(settings, tmp_path):
    settings.MEDIA_ROOT = tmp_path / "media"
    return settings.MEDIA_ROOT


@pytest.fixture
def quality(area) -> Quality:
    return Quality(area)
