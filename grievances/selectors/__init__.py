"""Reads of residents' issues: the area gate first, then deadlines, duplicates and what
the resident's tracking page shows."""

from grievances.selectors.access import (
    grievance_by_tracking_code,
    grievance_get_visible,
    grievances_visible_to,
    normalize_code,
)
from grievances.selectors.deadlines import deadline_for, deadline_hours
from grievances.selectors.duplicates import duplicate_candidates, similarity
from grievances.selectors.public import (
    TimelineEntry,
    public_replies,
    public_timeline,
    survivor_of,
)

__all__ = [
    "TimelineEntry", "deadline_for", "deadline_hours", "duplicate_candidates",
    "grievance_by_tracking_code", "grievance_get_visible", "grievances_visible_to",
    "normalize_code", "public_replies", "public_timeline", "similarity", "survivor_of",
]
