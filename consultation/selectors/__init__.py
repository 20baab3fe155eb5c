"""Reads of the consultation app, one module per family."""

from consultation.selectors.topics import (
    Tally,
    eligible_dwellings,
    renovation_plan_passed,
    topic_tally,
    topics_visible_to,
)

__all__ = ["Tally", "eligible_dwellings", "renovation_plan_passed", "topic_tally",
           "topics_visible_to"]
