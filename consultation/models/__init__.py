"""The consultation app's models, one module per family (see docs/architecture.md)."""

from consultation.models.topics import (
    Ballot,
    BallotEvent,
    Choice,
    Method,
    Rule,
    Scope,
    Topic,
    TopicKind,
)

__all__ = ["Ballot", "BallotEvent", "Choice", "Method", "Rule", "Scope", "Topic", "TopicKind"]

# The other families register their models by being imported here; import their names
# from their own modules (consultation.models.meetings, ...).
from consultation.models import codes, grading, ideas, meetings, visits  # noqa: F401
