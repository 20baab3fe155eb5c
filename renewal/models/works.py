"""Work items in the national categories, and the progress reported against them."""

from decimal import Decimal

from django.conf import settings
from django.db import models
from django.db.models import Q
from django.utils.translation import gettext_lazy as _

from renewal.models.programme import MONEY, Project

QUANTITY = {"max_digits": 12, "decimal_places": 2}
MAX_PHOTOS_PER_REPORT = 6


class ItemCategory(models.TextChoices):
    BASIC = "basic", _("basic (基础类)")
    IMPROVEMENT = "improvement", _("improvement (完善类)")
    UPGRADE = "upgrade", _("upgrade (提升类)")


class QuantityUnit(models.TextChoices):
    KM = "km", "km"
    M = "m", "m"
    M2 = "m2", "m²"
    ELEVATOR = "bu", "部"
    PIECE = "ge", "个"
    PLACE = "chu", "处"
    HOUSEHOLD = "hu", "户"
    LAMP = "zhan", "盏"
    SET = "tao", "套"


class WorkItemType(models.Model):
    """An entry of the national catalogue (seeded by a data migration)."""

    code = models.SlugField(_("code"), max_length=40, unique=True)
    name = models.CharField(_("name"), max_length=60)
    category = models.CharField(_("category"), max_length=12, choices=ItemCategory.choices)
    unit = models.CharField(_("unit"), max_length=4, choices=QuantityUnit.choices)
    warranty_years = models.PositiveSmallIntegerField(_("warranty (years)"), default=2)
    # Roofs, waterproofing and drains get the check before the rainy season.
    seasonal_check = models.BooleanField(_("pre-rainy-season check"), default=False)
    sort = models.PositiveSmallIntegerField(_("order"), default=0)

    class Meta:
        verbose_name = _("work item type")
        verbose_name_plural = _("work item types")
        ordering = ["category", "sort", "code"]

    def __str__(self) -> str:
        return self.name


class ItemStatus(models.TextChoices):
    NOT_STARTED = "not_started", _("not started")
    IN_PROGRESS = "in_progress", _("in progress")
    DONE = "done", _("done")
    CANCELLED = "cancelled", _("cancelled")


class WorkItem(models.Model):
    project = models.ForeignKey(
        Project, on_delete=models.CASCADE, related_name="work_items", verbose_name=_("project")
    )
    type = models.ForeignKey(
        WorkItemType, on_delete=models.PROTECT, related_name="items", verbose_name=_("type")
    )
    description = models.CharField(_("description"), max_length=200, blank=True)
    planned_quantity = models.DecimalField(_("planned quantity"), **QUANTITY)
    completed_quantity = models.DecimalField(
        _("completed quantity"), default=Decimal("0"), **QUANTITY
    )
    budget = models.DecimalField(_("budget (yuan)"), default=Decimal("0"), **MONEY)
    spent = models.DecimalField(_("spent (yuan)"), default=Decimal("0"), **MONEY)
    planned_start = models.DateField(_("planned start"), null=True, blank=True)
    planned_end = models.DateField(_("planned end"), null=True, blank=True)
    actual_start = models.DateField(_("actual start"), null=True, blank=True)
    actual_end = models.DateField(_("actual end"), null=True, blank=True)
    status = models.CharField(
        _("status"), max_length=12, choices=ItemStatus.choices, default=ItemStatus.NOT_STARTED
    )
    # Set by the service when the item is done: actual_end + the type's warranty.
    warranty_until = models.DateField(_("warranty until"), null=True, blank=True, db_index=True)
    # The golden idea (金点子) this item came from; set by renewal.services.ideas.idea_adopt.
    idea = models.ForeignKey(
        "consultation.Idea", null=True, blank=True, on_delete=models.SET_NULL,
        related_name="work_items", verbose_name=_("golden idea"),
    )

    class Meta:
        verbose_name = _("work item")
        verbose_name_plural = _("work items")
        ordering = ["project", "type__category", "type__sort", "id"]
        constraints = [
            models.CheckConstraint(
                condition=Q(planned_quantity__gt=0), name="work_item_planned_gt_0"
            ),
            models.CheckConstraint(
                condition=Q(completed_quantity__gte=0), name="work_item_completed_gte_0"
            ),
            models.CheckConstraint(
                condition=Q(budget__gte=0) & Q(spent__gte=0), name="work_item_money_gte_0"
            ),
        ]

    def __str__(self) -> str:
        return f"{self.type.name} {self.planned_quantity}{self.type.get_unit_display()}"


class ProgressReport(models.Model):
    """Quantity done since the last report, with a note and up to six photos."""

    work_item = models.ForeignKey(
        WorkItem, on_delete=models.CASCADE, related_name="reports", verbose_name=_("work item")
    )
    quantity_done = models.DecimalField(_("quantity done"), **QUANTITY)
    spent = models.DecimalField(_("spent (yuan)"), default=Decimal("0"), **MONEY)
    note = models.TextField(_("note"), blank=True)
    reported_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, related_name="+",
        verbose_name=_("reported by"),
    )
    reported_at = models.DateTimeField(_("reported at"), db_index=True)

    class Meta:
        verbose_name = _("progress report")
        verbose_name_plural = _("progress reports")
        ordering = ["-reported_at", "-id"]
        constraints = [
            models.CheckConstraint(
                condition=Q(quantity_done__gte=0), name="progress_quantity_gte_0"
            ),
        ]


    def __str__(self) -> str:
        return f"{self.work_item_id}: +{self.quantity_done}"

class ProgressPhoto(models.Model):
    report = models.ForeignKey(
        ProgressReport, on_delete=models.CASCADE, related_name="photos", verbose_name=_("report")
    )
    image = models.ImageField(_("photo"), upload_to="progress/%Y/%m/")
    width = models.PositiveIntegerField(default=0)
    height = models.PositiveIntegerField(default=0)

    class Meta:
        verbose_name = _("progress photo")
        verbose_name_plural = _("progress photos")
        ordering = ["id"]

    def __str__(self) -> str:
        return self.image.name
