"""Deadlines of the ladder: how long a level has to act, by priority (DeadlineRule)."""

import logging
from datetime import datetime, timedelta

from compounds.selectors import one_row
from grievances.catalog import DEADLINE_HOURS
from grievances.models import DeadlineRule

logger = logging.getLogger(__name__)

# When neither a rule nor the catalogue knows the level/priority (a rule deleted by hand).
FALLBACK_HOURS = 72


def deadline_hours(*, level: str, priority: str) -> int:
    """The hours `level` has for an issue of `priority` (one query). A missing rule falls
    back to the catalogue's default (or FALLBACK_HOURS) and logs a warning, so an issue
    always gets a deadline and never stops climbing because a row was deleted."""
    hours = one_row(DeadlineRule.objects.filter(level=level, priority=priority)
                    .values_list("hours", flat=True))
    if hours:
        return hours
    fallback = DEADLINE_HOURS.get((str(level), str(priority)), FALLBACK_HOURS)
    logger.warning("no deadline rule for level=%s priority=%s; using %s h",
                   level, priority, fallback)
    return fallback


def deadline_for(*, level: str, priority: str, start: datetime) -> datetime:
    """When an issue handed to `level` at `start` is due."""
    return start + timedelta(hours=deadline_hours(level=level, priority=priority))
