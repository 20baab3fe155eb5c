"""Yearly batches and the renovation project of each compound, with its stages."""

from decimal import Decimal

from django.conf import settings
from django.db import models
from django.db.models import Q
from django.utils.translation import gettext_lazy as _

from compounds.models import Compound

MONEY = {"max_digits": 14, "decimal_places": 2}


class Batch(models.Model):
    """A yearly renovation plan (年度改造计划) with its targets."""

    year = models.PositiveSmallIntegerField(_("year"))
    name = models.CharField(_("name"), max_length=100)
    target_compounds = models.PositiveIntegerField(_("target compounds"), default=0)
    target_households = models.PositiveIntegerField(_("target households"), default=0)
    target_investment = models.DecimalField(
        _("target investment (yuan)"), default=Decimal("0"), **MONEY
    )
    notes = models.TextField(_("notes"), blank=True)
    created_at = models.DateTimeField(_("created"), auto_now_add=True)

    class Meta:
        verbose_name = _("yearly batch")
        verbose_name_plural = _("yearly batches")
        ordering = ["-year", "name"]
        constraints = [
            models.UniqueConstraint(fields=["year", "name"], name="batch_unique_name_in_year"),
            models.CheckConstraint(
                condition=Q(year__gte=2000) & Q(year__lte=2100), name="batch_year_range"
            ),
        ]

    def __str__(self) -> str:
        return f"{self.year} {self.name}"


class Stage(models.TextChoices):
    PLANNED = "planned", _("planned")
    SURVEY = "survey", _("survey & demand collection")
    DESIGN = "design", _("design")
    CONSULTATION = "consultation", _("consultation & public notice")
    APPROVED = "approved", _("approved")
    CONSTRUCTION = "construction", _("construction")
    COMPLETED = "completed", _("completed")
    ACCEPTED = "accepted", _("accepted")
    AFTERCARE = "aftercare", _("after-care")


STAGE_ORDER = list(Stage.values)

# The legal moves. Forward one stage at a time; back one stage where real work goes
# back (a design redone after residents' objections, an acceptance that failed).
TRANSITIONS: dict[str, tuple[str, ...]] = {
    Stage.PLANNED: (Stage.SURVEY,),
    Stage.SURVEY: (Stage.DESIGN, Stage.PLANNED),
    Stage.DESIGN: (Stage.CONSULTATION, Stage.SURVEY),
    Stage.CONSULTATION: (Stage.APPROVED, Stage.DESIGN),
    Stage.APPROVED: (Stage.CONSTRUCTION, Stage.CONSULTATION),
    Stage.CONSTRUCTION: (Stage.COMPLETED,),
    Stage.COMPLETED: (Stage.ACCEPTED, Stage.CONSTRUCTION),
    Stage.ACCEPTED: (Stage.AFTERCARE,),
    Stage.AFTERCARE: (),
}


class DeliveryModel(models.TextChoices):
    EPC = "epc", _("EPC (design-build)")
    GENERAL_CONTRACT = "general_contract", _("general contract")
    OTHER = "other", _("other")


class Project(models.Model):
    """One compound's renovation within one batch."""

    compound = models.ForeignKey(
        Compound, on_delete=models.PROTECT, related_name="projects", verbose_name=_("compound")
    )
    batch = models.ForeignKey(
        Batch, on_delete=models.PROTECT, related_name="projects", verbose_name=_("batch")
    )
    stage = models.CharField(
        _("stage"), max_length=16, choices=Stage.choices, default=Stage.PLANNED, db_index=True
    )
    delivery_model = models.CharField(
        _("delivery model"),
        max_length=20,
        choices=DeliveryModel.choices,
        default=DeliveryModel.GENERAL_CONTRACT,
    )
    contractor = models.CharField(_("contractor"), max_length=100, blank=True)
    designer = models.CharField(_("designer"), max_length=100, blank=True)
    supervisor = models.CharField(_("supervisor"), max_length=100, blank=True)
    funding_central = models.DecimalField(
        _("central subsidy"), default=Decimal("0"), **MONEY
    )
    funding_local = models.DecimalField(_("local budget"), default=Decimal("0"), **MONEY)
    funding_residents = models.DecimalField(
        _("residents' contribution"), default=Decimal("0"), **MONEY
    )
    funding_utilities = models.DecimalField(_("utilities"), default=Decimal("0"), **MONEY)
    funding_social = models.DecimalField(_("social capital"), default=Decimal("0"), **MONEY)
    planned_start = models.DateField(_("planned start"), null=True, blank=True)
    planned_end = models.DateField(_("planned end"), null=True, blank=True)
    actual_start = models.DateField(_("actual start"), null=True, blank=True)
    actual_end = models.DateField(_("actual end"), null=True, blank=True)
    engineering_coordinator = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="+",
        verbose_name=_("engineering coordinator"),
    )
    residents_coordinator = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="+",
        verbose_name=_("residents' coordinator"),
    )
    created_at = models.DateTimeField(_("created"), auto_now_add=True)
    updated_at = models.DateTimeField(_("updated"), auto_now=True)

    FUNDING_FIELDS = (
        "funding_central",
        "funding_local",
        "funding_residents",
        "funding_utilities",
        "funding_social",
    )

    class Meta:
        verbose_name = _("renovation project")
        verbose_name_plural = _("renovation projects")
        ordering = ["-batch__year", "compound__name", "id"]
        constraints = [
            models.UniqueConstraint(
                fields=["compound", "batch"], name="project_one_per_compound_per_batch"
            ),
            models.CheckConstraint(
                condition=Q(funding_central__gte=0)
                & Q(funding_local__gte=0)
                & Q(funding_residents__gte=0)
                & Q(funding_utilities__gte=0)
                & Q(funding_social__gte=0),
                name="project_funding_not_negative",
            ),
            models.CheckConstraint(
                condition=Q(planned_end__isnull=True)
                | Q(planned_start__isnull=True)
                | Q(planned_end__gte=models.F("planned_start")),
                name="project_planned_end_after_start",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.compound.name} · {self.batch}"

    @property
    def funding_total(self) -> Decimal:
        return sum((getattr(self, f) for f in self.FUNDING_FIELDS), Decimal("0"))


class StageChange(models.Model):
    """One move of a project between stages: who, when, why."""

    project = models.ForeignKey(
        Project, on_delete=models.CASCADE, related_name="history", verbose_name=_("project")
    )
    from_stage = models.CharField(_("from"), max_length=16, choices=Stage.choices, blank=True)
    to_stage = models.CharField(_("to"), max_length=16, choices=Stage.choices)
    by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.SET_NULL,
        null=True,
        related_name="+",
        verbose_name=_("by"),
    )
    at = models.DateTimeField(_("at"), db_index=True)
    note = models.TextField(_("note"), blank=True)

    class Meta:
        verbose_name = _("stage change")
        verbose_name_plural = _("stage changes")
        ordering = ["at", "id"]

    def __str__(self) -> str:
        return f"{self.from_stage or '—'} → {self.to_stage}"
