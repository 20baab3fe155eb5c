"""Golden ideas (金点子): suggestions from residents (the QR form) or from workers.

received → under review → adopted (it became a work item: the link is held by
`renewal.WorkItem.idea`, since consultation never imports renewal) or not adopted, with
a reason the public page shows. Every move leaves an IdeaEvent.

Moves go through consultation.services.ideas.idea_transition, except the move to
`adopted`: only renewal.services.ideas.idea_adopt makes it (it links the work item the
idea became, then calls consultation.services.ideas.idea_mark_adopted).
"""

from django.conf import settings
from django.db import models
from django.utils.translation import gettext_lazy as _

from compounds.models import Building, Compound

TEXT_MIN, TEXT_MAX = 5, 2000
# A mainland mobile number: 11 digits, 1 then 3–9.
MOBILE_RE = r"1[3-9]\d{9}"


class IdeaStatus(models.TextChoices):
    RECEIVED = "received", _("received")
    UNDER_REVIEW = "under_review", _("under review")
    ADOPTED = "adopted", _("adopted")
    NOT_ADOPTED = "not_adopted", _("not adopted")


IDEA_TRANSITIONS: dict[str, tuple[str, ...]] = {
    IdeaStatus.RECEIVED: (IdeaStatus.UNDER_REVIEW,),
    IdeaStatus.UNDER_REVIEW: (IdeaStatus.ADOPTED, IdeaStatus.NOT_ADOPTED),
    IdeaStatus.ADOPTED: (),
    IdeaStatus.NOT_ADOPTED: (IdeaStatus.UNDER_REVIEW,),  # looked at again
}


class IdeaSource(models.TextChoices):
    RESIDENT = "resident", _("resident (QR form)")
    WORKER = "worker", _("community worker")
    VISIT = "visit", _("door-to-door visit")
    MEETING = "meeting", _("meeting")


class Idea(models.Model):
    compound = models.ForeignKey(
        Compound, on_delete=models.PROTECT, related_name="ideas", verbose_name=_("compound")
    )
    building = models.ForeignKey(
        Building, on_delete=models.SET_NULL, null=True, blank=True, related_name="ideas",
        verbose_name=_("building"),
    )
    text = models.TextField(_("idea"), max_length=TEXT_MAX)
    source = models.CharField(_("source"), max_length=10, choices=IdeaSource.choices)
    # Residents may leave a name and phone to be thanked or asked back; never public.
    author_name = models.CharField(_("author's name"), max_length=40, blank=True)
    author_phone = models.CharField(_("author's phone"), max_length=20, blank=True)
    status = models.CharField(_("status"), max_length=12, choices=IdeaStatus.choices,
                              default=IdeaStatus.RECEIVED, db_index=True)
    # Shown on the public page when an idea is not adopted.
    public_reason = models.TextField(_("reason (public)"), blank=True, max_length=1000)
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, blank=True,
        related_name="+", verbose_name=_("recorded by"),
    )
    created_at = models.DateTimeField(_("received at"), auto_now_add=True, db_index=True)

    class Meta:
        verbose_name = _("golden idea")
        verbose_name_plural = _("golden ideas")
        ordering = ["-created_at", "-id"]
        constraints = [
            models.CheckConstraint(
                name="idea_not_adopted_has_reason",
                condition=~models.Q(status="not_adopted") | ~models.Q(public_reason=""),
            ),
        ]

    def __str__(self) -> str:
        return self.text[:40]


class IdeaEvent(models.Model):
    """One move of an idea: the history its page shows."""

    idea = models.ForeignKey(Idea, on_delete=models.CASCADE, related_name="events",
                             verbose_name=_("idea"))
    from_status = models.CharField(_("from"), max_length=12, choices=IdeaStatus.choices,
                                   blank=True)
    to_status = models.CharField(_("to"), max_length=12, choices=IdeaStatus.choices)
    note = models.TextField(_("note"), blank=True)
    # The reason given to the public with a move to not adopted.
    public_reason = models.TextField(_("reason (public)"), blank=True)
    by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True,
                           blank=True, related_name="+", verbose_name=_("by"))
    at = models.DateTimeField(_("at"), auto_now_add=True)

    class Meta:
        verbose_name = _("idea event")
        verbose_name_plural = _("idea events")
        ordering = ["at", "id"]

    def __str__(self) -> str:
        return f"{self.from_status or '—'} → {self.to_status}"
