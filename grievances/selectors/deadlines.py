"""Deadlines of the ladder: how long a level has to act, by priority (DeadlineRule)."""

import logging
from datetime import datetime, timedelta

from django.db.models import Case, OuterRef, Subquery, Value, When

from grievances.catalog import DEADLINE_HOURS
from grievances.models import Category, DeadlineRule, Level, Priority

logger = logging.getLogger(__name__)

# When neither a rule nor the catalogue knows the level/priority (a rule deleted by hand).
FALLBACK_HOURS = 72


def deadline_hours(*, level: str, priority: str) -> int:
    """The hours `level` has for an issue of `priority` (one query). A missing rule falls
    back to the catalogue's default (or FALLBACK_HOURS) and logs a warning, so an issue
    always gets a deadline and never stops climbing because a row was deleted."""
    hours = (
        DeadlineRule.objects.filter(level=level, priority=priority)
        .values_list("hours", flat=True)
        .first()
    )
    return hours or _fallback_hours(level=level, priority=priority)


def _fallback_hours(*, level: str, priority: str) -> int:
    fallback = DEADLINE_HOURS.get((str(level), str(priority)), FALLBACK_HOURS)
    logger.warning("no deadline rule for level=%s priority=%s; using %s h",
                   level, priority, fallback)
    return fallback


def intake_category(code: str) -> Category | None:
    """The active category `code` for a new issue, with `first_priority` (urgent when the
    category says so) and `first_hours` (the compound level's hours for it): one query
    instead of two on the path every resident's report takes. None: no such category."""
    priority = Case(When(urgent_by_default=True, then=Value(Priority.URGENT.value)),
                    default=Value(Priority.NORMAL.value))
    hours = DeadlineRule.objects.filter(level=Level.COMPOUND, priority=OuterRef("first_priority"))
    category = (Category.objects.filter(code=code, active=True)
                .annotate(first_priority=priority,
                          first_hours=Subquery(hours.values("hours")[:1]))
                .first())
    if category is not None and not category.first_hours:
        category.first_hours = _fallback_hours(level=Level.COMPOUND,
                                               priority=category.first_priority)
    return category


def deadline_for(*, level: str, priority: str, start: datetime) -> datetime:
    """When an issue handed to `level` at `start` is due."""
    return start + timedelta(hours=deadline_hours(level=level, priority=priority))
