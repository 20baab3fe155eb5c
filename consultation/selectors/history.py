"""The consent history: how support for a topic moved, vote by vote.

Every BallotEvent is a point. Support at a point = dwellings whose standing vote agrees ÷
dwellings in the topic's scope, replayed in Python from one query over the events (a
revote moves support up or down) plus one count of the dwellings. Exact Decimals.
"""

from dataclasses import dataclass
from datetime import datetime
from decimal import ROUND_HALF_UP, Decimal

from consultation.models import BallotEvent, Choice, Topic
from consultation.selectors.topics import eligible_dwellings

SHARE_PLACES = Decimal("0.0001")  # a hundredth of a percent


@dataclass(frozen=True)
class SupportPoint:
    at: datetime
    agree_dwellings: int
    voted_dwellings: int
    eligible_dwellings: int
    share: Decimal  # agree_dwellings / eligible_dwellings, to 4 places

    def as_api(self) -> dict:
        return {"at": self.at, "agree": self.agree_dwellings, "voted": self.voted_dwellings,
                "eligible": self.eligible_dwellings, "share": str(self.share)}


def share_of(part: int, whole: int) -> Decimal:
    if not whole:
        return Decimal("0").quantize(SHARE_PLACES)
    return (Decimal(part) / Decimal(whole)).quantize(SHARE_PLACES, rounding=ROUND_HALF_UP)


def consent_series(*, topic: Topic) -> list[SupportPoint]:
    """One point per vote cast, oldest first: two queries whatever the number of votes.
    Votes of dwellings no longer in the topic's scope are left out."""
    in_scope = eligible_dwellings(topic)
    eligible = in_scope.count()
    events = (
        BallotEvent.objects.filter(topic=topic, dwelling__in=in_scope.values("pk"))
        .order_by("at", "id").values_list("dwelling_id", "choice", "at")
    )
    standing: dict[int, str] = {}
    agree = 0
    points = []
    for dwelling_id, choice, at in events:
        before = standing.get(dwelling_id)
        agree += (choice == Choice.AGREE) - (before == Choice.AGREE)
        standing[dwelling_id] = choice
        points.append(SupportPoint(at=at, agree_dwellings=agree, voted_dwellings=len(standing),
                                   eligible_dwellings=eligible, share=share_of(agree, eligible)))
    return points
