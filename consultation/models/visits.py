"""Door-to-door visits (入户走访): what a community or grid worker heard at a door, on a
bench or in the street, and what it became.

A visit names its compound and, as far as it went, the building, the unit and the
dwelling (a dwelling implies its building and unit). Its one-tap follow-ups create a
ballot (method door to door), a golden idea (source visit) or a resident issue (channel
visit) and link the record here; each kind once per visit
(consultation.services.visits).
"""

from django.conf import settings
from django.db import models
from django.db.models import Q
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from compounds.models import Building, Compound, Dwelling
from consultation.models.ideas import Idea
from consultation.models.topics import Ballot, Topic
from grievances.models import Grievance

OPINIONS_MAX = 2000


class VisitMethod(models.TextChoices):
    """Where the talk happened (Guanghan's 板凳会、街头、炕头)."""

    BENCH = "bench", _("bench meeting")
    STREET = "street", _("street talk")
    KANG_SIDE = "kang_side", _("kang-side talk")
    AT_HOME = "at_home", _("at home")


class Attitude(models.TextChoices):
    SUPPORT = "support", _("support")
    NEUTRAL = "neutral", _("neutral")
    OPPOSE = "oppose", _("oppose")


class Visit(models.Model):
    compound = models.ForeignKey(
        Compound, on_delete=models.PROTECT, related_name="visits", verbose_name=_("compound")
    )
    building = models.ForeignKey(
        Building, on_delete=models.PROTECT, null=True, blank=True, related_name="visits",
        verbose_name=_("building"),
    )
    unit = models.CharField(_("unit"), max_length=10, blank=True)
    dwelling = models.ForeignKey(
        Dwelling, on_delete=models.PROTECT, null=True, blank=True, related_name="visits",
        verbose_name=_("dwelling"),
    )
    method = models.CharField(_("where the talk happened"), max_length=10,
                              choices=VisitMethod.choices)
    attitude = models.CharField(_("attitude"), max_length=8, choices=Attitude.choices)
    opinions = models.TextField(_("opinions"), max_length=OPINIONS_MAX, blank=True)
    topic = models.ForeignKey(
        Topic, on_delete=models.SET_NULL, null=True, blank=True, related_name="visits",
        verbose_name=_("topic discussed"),
    )
    visited_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, related_name="+",
        verbose_name=_("visited by"),
    )
    visited_at = models.DateTimeField(_("visited at"), default=timezone.now)
    # What the visit became (one of each kind at most).
    ballot = models.ForeignKey(
        Ballot, on_delete=models.SET_NULL, null=True, blank=True, related_name="visits",
        verbose_name=_("ballot"),
    )
    idea = models.ForeignKey(
        Idea, on_delete=models.SET_NULL, null=True, blank=True, related_name="visits",
        verbose_name=_("golden idea"),
    )
    grievance = models.ForeignKey(
        Grievance, on_delete=models.SET_NULL, null=True, blank=True, related_name="visits",
        verbose_name=_("resident issue"),
    )
    created_at = models.DateTimeField(_("created"), auto_now_add=True)

    class Meta:
        verbose_name = _("door-to-door visit")
        verbose_name_plural = _("door-to-door visits")
        ordering = ["-visited_at", "-id"]
        constraints = [
            # A dwelling implies its building; a unit needs its building.
            models.CheckConstraint(
                name="visit_dwelling_names_building",
                condition=Q(dwelling__isnull=True) | Q(building__isnull=False),
            ),
            models.CheckConstraint(
                name="visit_unit_names_building",
                condition=Q(unit="") | Q(building__isnull=False),
            ),
        ]
        indexes = [
            models.Index(fields=["compound", "visited_at"], name="visit_compound_at"),
            models.Index(fields=["visited_by", "visited_at"], name="visit_by_at"),
        ]

    def __str__(self) -> str:
        return f"{self.compound_id} {self.visited_at:%Y-%m-%d %H:%M} {self.attitude}"
