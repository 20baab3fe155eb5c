"""The public commitments list (实事承诺): 3–5 items a year per compound, ticked off
in public on the compound page."""

from django.db import models
from django.utils.translation import gettext_lazy as _

from compounds.models import Compound

MAX_COMMITMENTS_PER_YEAR = 5


class PublicCommitment(models.Model):
    compound = models.ForeignKey(
        Compound, on_delete=models.CASCADE, related_name="commitments",
        verbose_name=_("compound"),
    )
    year = models.PositiveSmallIntegerField(_("year"))
    title = models.CharField(_("commitment"), max_length=120)
    detail = models.TextField(_("detail"), blank=True)
    done_on = models.DateField(_("done on"), null=True, blank=True)
    sort = models.PositiveSmallIntegerField(_("order"), default=0)

    class Meta:
        verbose_name = _("public commitment")
        verbose_name_plural = _("public commitments")
        ordering = ["-year", "sort", "id"]
        constraints = [
            models.UniqueConstraint(
                fields=["compound", "year", "title"], name="commitment_unique_title"
            ),
        ]

    def __str__(self) -> str:
        return self.title
