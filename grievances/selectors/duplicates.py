"""Duplicate suggestions: the same problem reported twice (same compound and category,
still open, received close together, similar words)."""

import re
from datetime import timedelta

from grievances.models import OPEN_STATUSES, TRANSITIONS, Grievance, Status

DUPLICATE_WINDOW = timedelta(days=30)
# How many recent issues are compared (fetched in one query, compared in Python).
DUPLICATE_POOL = 50
# Character-bigram Jaccard similarity at or above which an issue is suggested.
DUPLICATE_THRESHOLD = 0.2

_NOT_TEXT = re.compile(r"[\W_]+")


def bigrams(text: str) -> frozenset[str]:
    """The character bigrams of `text` without spaces and punctuation, lower-cased
    ("三号楼漏水" → 三号, 号楼, 楼漏, 漏水). Chinese has no spaces, so words are not a unit."""
    compact = _NOT_TEXT.sub("", (text or "").lower())
    if len(compact) < 2:
        return frozenset([compact]) if compact else frozenset()
    return frozenset(compact[i:i + 2] for i in range(len(compact) - 1))


def similarity(a: str, b: str) -> float:
    """Jaccard similarity of the two texts' bigram sets, 0..1."""
    first, second = bigrams(a), bigrams(b)
    if not first or not second:
        return 0.0
    return len(first & second) / len(first | second)


def duplicate_candidates(*, grievance: Grievance, limit: int = 5,
                         threshold: float = DUPLICATE_THRESHOLD) -> list[Grievance]:
    """Open issues of the same compound and category received within 30 days of
    `grievance`, whose description is similar enough, best first (each carries a
    `similarity` attribute, 0..1). One query over the 50 most recent candidates.
    Nothing for an issue that can no longer be merged."""
    if Status.MERGED not in TRANSITIONS.get(grievance.status, ()):
        return []
    pool = list(
        Grievance.objects.filter(
            compound_id=grievance.compound_id,
            category_id=grievance.category_id,
            status__in=OPEN_STATUSES,
            received_at__gte=grievance.received_at - DUPLICATE_WINDOW,
            received_at__lte=grievance.received_at + DUPLICATE_WINDOW,
        )
        .exclude(pk=grievance.pk)
        .select_related("building")
        .order_by("-received_at", "-id")[:DUPLICATE_POOL]
    )
    own = bigrams(grievance.description)
    scored = []
    for candidate in pool:
        theirs = bigrams(candidate.description)
        union = own | theirs
        score = len(own & theirs) / len(union) if union and own and theirs else 0.0
        if score >= threshold:
            candidate.similarity = score
            scored.append(candidate)
    scored.sort(key=lambda g: (-g.similarity, -g.received_at.timestamp(), -g.pk))
    return scored[:limit]
