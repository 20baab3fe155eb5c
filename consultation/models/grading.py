"""Satisfaction grading after completion (请您阅卷): residents grade the finished work.

Staff open a GradingRound for a compound once the work is done; residents answer on
their phones with a printed grading code (GradingCode, stored only as a keyed hash, as
household codes are) or with a mobile number (kept only as a keyed hash, for uniqueness:
never in clear). One response per code, and per phone, in a round.

The satisfaction rate is (satisfied + basically satisfied) / responses, per aspect,
computed exactly (consultation.selectors.grading).
"""

from django.conf import settings
from django.db import models
from django.db.models import F, Q
from django.utils.translation import gettext_lazy as _

from compounds.models import Compound
from consultation.models.codes import PrintedCode, printed_code_constraints

TITLE_MAX = 100
COMMENTS_MAX = 1000


class Satisfaction(models.TextChoices):
    SATISFIED = "satisfied", _("satisfied")
    BASICALLY = "basically", _("basically satisfied")
    UNSATISFIED = "unsatisfied", _("unsatisfied")


# What residents grade, in the order the form asks.
ASPECTS = ("overall", "quality", "environment", "site_management")
ASPECT_LABELS = {
    "overall": _("overall"),
    "quality": _("quality of the work"),
    "environment": _("living environment"),
    "site_management": _("site management"),
}


class GradingRound(models.Model):
    """One grading of a compound's finished work. Open from `opens_on` until it is closed
    (`closed_at`) or `closes_on` has passed; at most one unclosed round per compound."""

    compound = models.ForeignKey(
        Compound, on_delete=models.PROTECT, related_name="grading_rounds",
        verbose_name=_("compound"),
    )
    title = models.CharField(_("title"), max_length=TITLE_MAX)
    opens_on = models.DateField(_("opens on"))
    closes_on = models.DateField(_("closes on"), null=True, blank=True)
    opened_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, related_name="+",
        verbose_name=_("opened by"),
    )
    closed_at = models.DateTimeField(_("closed"), null=True, blank=True)
    closed_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, blank=True,
        related_name="+", verbose_name=_("closed by"),
    )
    created_at = models.DateTimeField(_("created"), auto_now_add=True)

    class Meta:
        verbose_name = _("grading round")
        verbose_name_plural = _("grading rounds")
        ordering = ["-opens_on", "-id"]
        constraints = [
            models.UniqueConstraint(
                fields=["compound"], condition=Q(closed_at__isnull=True),
                name="grading_one_unclosed_round_per_compound",
            ),
            models.CheckConstraint(
                name="grading_round_closes_after_it_opens",
                condition=Q(closes_on__isnull=True) | Q(closes_on__gte=F("opens_on")),
            ),
        ]

    def __str__(self) -> str:
        return self.title

    def is_open_on(self, day) -> bool:
        return (self.closed_at is None and self.opens_on <= day
                and (self.closes_on is None or day <= self.closes_on))


class GradingCode(PrintedCode):
    """A printed slip: lets one dwelling grade one round once. Only the keyed hash of
    the code is kept (consultation.models.codes.code_hash); reprinting revokes."""

    round = models.ForeignKey(
        GradingRound, on_delete=models.CASCADE, related_name="codes", verbose_name=_("round")
    )

    class Meta:
        verbose_name = _("grading code")
        verbose_name_plural = _("grading codes")
        ordering = ["round", "dwelling", "-issued_at", "-id"]
        constraints = printed_code_constraints(parent="round", prefix="grading_code")

    def __str__(self) -> str:
        return f"{self.round_id}/{self.dwelling_id}"


class GradingResponse(models.Model):
    """One resident's grading. Carries no personal data: the phone, when one was given,
    is only a keyed hash (for one response per phone per round)."""

    round = models.ForeignKey(
        GradingRound, on_delete=models.CASCADE, related_name="responses",
        verbose_name=_("round"),
    )
    overall = models.CharField(_("overall"), max_length=12, choices=Satisfaction.choices)
    quality = models.CharField(_("quality of the work"), max_length=12,
                               choices=Satisfaction.choices)
    environment = models.CharField(_("living environment"), max_length=12,
                                   choices=Satisfaction.choices)
    site_management = models.CharField(_("site management"), max_length=12,
                                       choices=Satisfaction.choices)
    comments = models.TextField(_("comments"), max_length=COMMENTS_MAX, blank=True)
    code = models.OneToOneField(
        GradingCode, on_delete=models.PROTECT, null=True, blank=True, related_name="response",
        verbose_name=_("grading code"),
    )
    phone_hash = models.CharField(_("phone (keyed hash)"), max_length=64, blank=True,
                                  editable=False)
    submitted_at = models.DateTimeField(_("submitted"), db_index=True)

    class Meta:
        verbose_name = _("grading response")
        verbose_name_plural = _("grading responses")
        ordering = ["-submitted_at", "-id"]
        constraints = [
            models.UniqueConstraint(
                fields=["round", "phone_hash"], condition=~Q(phone_hash=""),
                name="grading_one_response_per_phone",
            ),
            # Either a code or a phone, never neither.
            models.CheckConstraint(
                name="grading_response_by_code_or_phone",
                condition=Q(code__isnull=False, phone_hash="")
                | (Q(code__isnull=True) & ~Q(phone_hash="")),
            ),
        ]

    def __str__(self) -> str:
        return f"{self.round_id}: {self.overall}"
