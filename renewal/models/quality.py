"""Inspections at three levels, look-backs after completion, and rectification orders."""

from django.conf import settings
from django.db import models
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from renewal.models.programme import Project
from renewal.models.works import WorkItem


class InspectionLevel(models.TextChoices):
    DISTRICT = "district", _("district")
    SUBDISTRICT = "subdistrict", _("subdistrict")
    COMMUNITY = "community", _("community")


class InspectionKind(models.TextChoices):
    ANNOUNCED = "announced", _("announced inspection")
    SURPRISE = "surprise", _("unannounced check")
    LOOKBACK = "lookback", _("look-back (回头看)")
    SEASONAL = "seasonal", _("pre-rainy-season roof and drainage check")
    WARRANTY = "warranty", _("warranty-end check")


class Inspection(models.Model):
    """A visit that looks at the work. Look-backs are inspections after completion:
    scheduled (`scheduled_for`) and carried out (`carried_out_on`)."""

    project = models.ForeignKey(
        Project, on_delete=models.CASCADE, related_name="inspections", verbose_name=_("project")
    )
    level = models.CharField(_("level"), max_length=12, choices=InspectionLevel.choices)
    kind = models.CharField(_("kind"), max_length=10, choices=InspectionKind.choices)
    scheduled_for = models.DateField(_("scheduled for"), null=True, blank=True)
    carried_out_on = models.DateField(_("carried out on"), null=True, blank=True)
    inspector = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, blank=True,
        related_name="+", verbose_name=_("inspector"),
    )
    summary = models.TextField(_("summary"), blank=True)
    created_at = models.DateTimeField(_("created"), auto_now_add=True)

    class Meta:
        verbose_name = _("inspection")
        verbose_name_plural = _("inspections")
        ordering = ["-carried_out_on", "-scheduled_for", "-id"]
        constraints = [
            models.CheckConstraint(
                condition=models.Q(scheduled_for__isnull=False)
                | models.Q(carried_out_on__isnull=False),
                name="inspection_has_a_date",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.get_kind_display()} {self.date}"

    @property
    def date(self):
        """The day it happened, or the day it is planned for while it has not."""
        return self.carried_out_on or self.scheduled_for


class RectificationStatus(models.TextChoices):
    OPEN = "open", _("open")
    SUBMITTED = "submitted", _("rectified, awaiting verification")
    VERIFIED = "verified", _("verified and closed")


RECTIFICATION_TRANSITIONS: dict[str, tuple[str, ...]] = {
    RectificationStatus.OPEN: (RectificationStatus.SUBMITTED,),
    # A verifier who finds the work not done sends it back.
    RectificationStatus.SUBMITTED: (RectificationStatus.VERIFIED, RectificationStatus.OPEN),
    RectificationStatus.VERIFIED: (),
}

# An order is closed only when verified: until then its deadline counts.
UNCLOSED_STATUSES = (RectificationStatus.OPEN, RectificationStatus.SUBMITTED)


class Rectification(models.Model):
    """A finding that must be put right by a deadline, then verified closed.
    Defects found by look-backs are rectifications of a look-back inspection."""

    inspection = models.ForeignKey(
        Inspection, on_delete=models.CASCADE, related_name="rectifications",
        verbose_name=_("inspection"),
    )
    work_item = models.ForeignKey(
        WorkItem, on_delete=models.SET_NULL, null=True, blank=True, related_name="defects",
        verbose_name=_("work item"),
    )
    finding = models.TextField(_("finding"))
    responsible_party = models.CharField(_("responsible party"), max_length=100)
    deadline = models.DateField(_("deadline"), db_index=True)
    status = models.CharField(
        _("status"), max_length=10, choices=RectificationStatus.choices,
        default=RectificationStatus.OPEN, db_index=True,
    )
    rectified_on = models.DateField(_("rectified on"), null=True, blank=True)
    verified_on = models.DateField(_("verified on"), null=True, blank=True)
    verified_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, blank=True,
        related_name="+", verbose_name=_("verified by"),
    )
    created_at = models.DateTimeField(_("created"), auto_now_add=True)

    class Meta:
        verbose_name = _("rectification order")
        verbose_name_plural = _("rectification orders")
        ordering = ["deadline", "id"]

    def __str__(self) -> str:
        return self.finding[:40]

    @property
    def is_overdue(self) -> bool:
        """Not closed (verified) by its deadline. Same rule as
        renewal.selectors.quality.overdue_q, which filters on it."""
        return (
            self.status in UNCLOSED_STATUSES and self.deadline < timezone.localdate()
        )


class RectificationEvent(models.Model):
    rectification = models.ForeignKey(
        Rectification, on_delete=models.CASCADE, related_name="history",
        verbose_name=_("rectification order"),
    )
    from_status = models.CharField(
        _("from"), max_length=10, choices=RectificationStatus.choices, blank=True
    )
    to_status = models.CharField(_("to"), max_length=10, choices=RectificationStatus.choices)
    by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, related_name="+",
        verbose_name=_("by"),
    )
    at = models.DateTimeField(_("at"))
    note = models.TextField(_("note"), blank=True)

    class Meta:
        verbose_name = _("rectification event")
        verbose_name_plural = _("rectification events")
        ordering = ["at", "id"]

    def __str__(self) -> str:
        return f"{self.from_status or '—'} → {self.to_status}"
