"""Meetings where residents and the parties talk a renovation through: Xiamen's
协商议事会, Chongqing's 近邻茶话会, Sichuan's 院落恳谈会 and 坝坝会, or online. A meeting
is scheduled (with the topics it discusses and the staff it invites), may be changed
or cancelled, and once held gets its minutes: who came (a head count per role), what
was said, what was decided. Every step leaves a MeetingEvent (consultation.services.
meetings writes them)."""

from django.conf import settings
from django.db import models
from django.db.models import Q
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from compounds.models import Compound
from consultation.models.topics import Topic


class MeetingType(models.TextChoices):
    COUNCIL = "council", _("deliberation council (协商议事会)")
    TEA_PARTY = "tea_party", _("neighbours' tea party (近邻茶话会)")
    COURTYARD = "courtyard", _("courtyard talk (院落恳谈会)")
    OPEN_AIR = "open_air", _("open-air meeting (坝坝会)")
    ONLINE = "online", _("online meeting")


class AttendanceRole(models.TextChoices):
    RESIDENTS = "residents", _("residents / owners")
    REPRESENTATIVES = "representatives", _("resident representatives")
    OWNERS_COMMITTEE = "owners_committee", _("owners' committee")
    PARTY_MEMBERS = "party_members", _("party members")
    COMMUNITY_WORKERS = "community_workers", _("community workers")
    SUBDISTRICT_STAFF = "subdistrict_staff", _("subdistrict staff")
    PROPERTY_COMPANY = "property_company", _("property company")
    CONTRACTOR = "contractor", _("contractor / designer")
    OTHER = "other", _("other")


class MeetingState(models.TextChoices):
    """Where a meeting stands (derived, never stored)."""

    UPCOMING = "upcoming", _("upcoming")
    AWAITING_MINUTES = "awaiting_minutes", _("awaiting minutes")
    HELD = "held", _("held")
    CANCELLED = "cancelled", _("cancelled")


class Meeting(models.Model):
    compound = models.ForeignKey(
        Compound, on_delete=models.PROTECT, related_name="meetings", verbose_name=_("compound")
    )
    type = models.CharField(_("type"), max_length=12, choices=MeetingType.choices)
    title = models.CharField(_("title"), max_length=200)
    starts_at = models.DateTimeField(_("starts at"), db_index=True)
    ends_at = models.DateTimeField(_("ends at"), null=True, blank=True)
    # Where: a courtyard, the community hall, a tea house; for an online meeting, the
    # group or platform.
    place = models.CharField(_("place"), max_length=200)
    topics = models.ManyToManyField(
        Topic, blank=True, related_name="meetings", verbose_name=_("topics")
    )
    # Staff to remind the day before (the reminders send it; here they are only kept).
    invitees = models.ManyToManyField(
        settings.AUTH_USER_MODEL, blank=True, related_name="meeting_invitations",
        verbose_name=_("invited staff"),
    )
    minutes = models.TextField(_("minutes"), blank=True, max_length=20000)
    decisions = models.TextField(_("decisions"), blank=True, max_length=5000)
    minutes_recorded_at = models.DateTimeField(_("minutes recorded at"), null=True, blank=True)
    cancelled_at = models.DateTimeField(_("cancelled at"), null=True, blank=True)
    cancel_reason = models.TextField(_("reason for cancelling"), blank=True, max_length=1000)
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, related_name="+",
        verbose_name=_("scheduled by"),
    )
    created_at = models.DateTimeField(_("created"), auto_now_add=True)

    class Meta:
        verbose_name = _("meeting")
        verbose_name_plural = _("meetings")
        ordering = ["-starts_at", "-id"]
        constraints = [
            models.CheckConstraint(
                name="meeting_ends_after_start",
                condition=Q(ends_at__isnull=True) | Q(ends_at__gt=models.F("starts_at")),
            ),
            models.CheckConstraint(
                # A held meeting (minutes recorded) is never cancelled, and the reverse.
                name="meeting_not_both_held_and_cancelled",
                condition=Q(minutes_recorded_at__isnull=True) | Q(cancelled_at__isnull=True),
            ),
        ]

    def __str__(self) -> str:
        return self.title

    @property
    def is_cancelled(self) -> bool:
        return self.cancelled_at is not None

    @property
    def has_minutes(self) -> bool:
        return self.minutes_recorded_at is not None

    def state_at(self, now) -> str:
        if self.cancelled_at is not None:
            return MeetingState.CANCELLED
        if self.minutes_recorded_at is not None:
            return MeetingState.HELD
        if self.starts_at > now:
            return MeetingState.UPCOMING
        return MeetingState.AWAITING_MINUTES

    @property
    def state(self) -> str:
        return self.state_at(timezone.now())

    @property
    def state_label(self) -> str:
        return MeetingState(self.state).label


class MeetingAttendance(models.Model):
    """How many of one kind of participant came (a head count, not a list of names)."""

    meeting = models.ForeignKey(
        Meeting, on_delete=models.CASCADE, related_name="attendance", verbose_name=_("meeting")
    )
    role = models.CharField(_("role"), max_length=20, choices=AttendanceRole.choices)
    count = models.PositiveIntegerField(_("number present"))

    class Meta:
        verbose_name = _("attendance")
        verbose_name_plural = _("attendance")
        constraints = [
            models.UniqueConstraint(fields=["meeting", "role"], name="meeting_attendance_once"),
            models.CheckConstraint(name="meeting_attendance_gte_0", condition=Q(count__gte=0)),
        ]

    def __str__(self) -> str:
        return f"{self.get_role_display()}: {self.count}"


class MeetingEventKind(models.TextChoices):
    SCHEDULED = "scheduled", _("scheduled")
    CHANGED = "changed", _("changed")
    MINUTES_RECORDED = "minutes_recorded", _("minutes recorded")
    CANCELLED = "cancelled", _("cancelled")


class MeetingEvent(models.Model):
    """One step in a meeting's history: the detail page lists them."""

    meeting = models.ForeignKey(
        Meeting, on_delete=models.CASCADE, related_name="events", verbose_name=_("meeting")
    )
    kind = models.CharField(_("what"), max_length=16, choices=MeetingEventKind.choices)
    note = models.TextField(_("note"), blank=True)
    by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True,
                           blank=True, related_name="+", verbose_name=_("by"))
    at = models.DateTimeField(_("at"), auto_now_add=True)

    class Meta:
        verbose_name = _("meeting event")
        verbose_name_plural = _("meeting events")
        ordering = ["at", "id"]

    def __str__(self) -> str:
        return f"{self.meeting_id}: {self.kind}"
