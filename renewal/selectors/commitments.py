"""Reads of the public commitments (实事承诺): the staff list through the area gate, and
the public list for the compound page (public fields only)."""

from dataclasses import dataclass
from datetime import date

from django.db.models import QuerySet
from django.http import Http404

from compounds.models import User
from compounds.selectors import area_q
from renewal.models import PublicCommitment


def commitments_visible_to(user: User) -> QuerySet[PublicCommitment]:
    return PublicCommitment.objects.filter(area_q(user, compound_path="compound__"))


def commitment_list(*, user: User) -> QuerySet[PublicCommitment]:
    return commitments_visible_to(user).order_by("compound_id", "-year", "sort", "id")


def commitment_get_visible(*, user: User, commitment_id: int) -> PublicCommitment:
    commitment = (
        commitments_visible_to(user)
        .select_related("compound__community__subdistrict")
        .filter(pk=commitment_id)
        .first()
    )
    if commitment is None:
        raise Http404("commitment not found")
    return commitment


def compound_commitments_by_year(*, compound_id: int) -> list[tuple[int, list[PublicCommitment]]]:
    """(year, commitments) newest year first, in one query. The caller has already
    fetched the compound through the area gate."""
    years: dict[int, list[PublicCommitment]] = {}
    rows = PublicCommitment.objects.filter(compound_id=compound_id).order_by(
        "-year", "sort", "id"
    )
    for commitment in rows:
        years.setdefault(commitment.year, []).append(commitment)
    return list(years.items())


@dataclass(frozen=True)
class PublicCommitmentRow:
    title: str
    detail: str
    done_on: date | None

    @property
    def done(self) -> bool:
        return self.done_on is not None


def public_commitments(compound_id: int, year: int) -> list[PublicCommitmentRow]:
    """The year's list as residents see it on the compound page: what was promised and
    when it was done, nothing else (one query)."""
    rows = (
        PublicCommitment.objects.filter(compound_id=compound_id, year=year)
        .order_by("sort", "id")
        .values_list("title", "detail", "done_on")
    )
    return [PublicCommitmentRow(title=t, detail=d, done_on=done) for t, d, done in rows]
