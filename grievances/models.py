"""Residents' issues (诉求): what residents report, how it climbs the ladder, and what
they were told.

The handling machine (TRANSITIONS) is explicit and every move, assignment, escalation,
reply, merge and rating leaves a GrievanceEvent. Levels follow the ladder 小事不出小区、
大事不出社区、难事不出镇街: compound → community → subdistrict → district; a level that
misses its deadline (DeadlineRule) passes the issue one level up by itself.
"""

from django.conf import settings
from django.db import models
from django.db.models import Q
from django.utils import timezone
from django.utils.translation import gettext_lazy as _
from django.utils.translation import pgettext_lazy

from compounds.models import Building, Compound


class Category(models.Model):
    """What the issue is about. Staff edit the list; `code` is stable (API, Open311)."""

    code = models.SlugField(_("code"), max_length=40, unique=True)
    name = models.CharField(_("name"), max_length=40)
    description = models.CharField(_("description"), max_length=200, blank=True)
    # Safety problems start urgent (a shorter deadline at every level).
    urgent_by_default = models.BooleanField(_("urgent by default"), default=False)
    sort = models.PositiveSmallIntegerField(_("order"), default=0)
    active = models.BooleanField(_("offered on the form"), default=True)

    class Meta:
        verbose_name = _("issue category")
        verbose_name_plural = _("issue categories")
        ordering = ["sort", "id"]

    def __str__(self) -> str:
        return self.name


class QRPoint(models.Model):
    """A QR code on a wall: a compound, optionally one building or a named spot. `code` is
    the short stable part of its URL (/q/<code>); a reprinted poster keeps it."""

    code = models.CharField(_("code"), max_length=12, unique=True)
    compound = models.ForeignKey(Compound, on_delete=models.CASCADE, related_name="qr_points",
                                 verbose_name=_("compound"))
    building = models.ForeignKey(Building, on_delete=models.SET_NULL, null=True, blank=True,
                                 related_name="qr_points", verbose_name=_("building"))
    spot = models.CharField(_("spot"), max_length=60, blank=True,
                            help_text=_("Where the poster hangs, e.g. unit 2 stairwell."))
    active = models.BooleanField(_("active"), default=True)
    created_at = models.DateTimeField(_("created"), auto_now_add=True)

    class Meta:
        verbose_name = _("QR point")
        verbose_name_plural = _("QR points")
        ordering = ["compound", "building", "id"]

    def __str__(self) -> str:
        return self.code


class Status(models.TextChoices):
    RECEIVED = "received", pgettext_lazy("issue status", "received")
    ACCEPTED = "accepted", pgettext_lazy("issue status", "accepted")
    ASSIGNED = "assigned", pgettext_lazy("issue status", "assigned")
    IN_PROGRESS = "in_progress", pgettext_lazy("issue status", "in progress")
    RESOLVED = "resolved", pgettext_lazy("issue status", "resolved")
    CLOSED = "closed", pgettext_lazy("issue status", "closed")
    REJECTED = "rejected", pgettext_lazy("issue status", "rejected")
    MERGED = "merged", pgettext_lazy("issue status", "merged (duplicate)")
    REOPENED = "reopened", pgettext_lazy("issue status", "reopened")


TRANSITIONS: dict[str, tuple[str, ...]] = {
    Status.RECEIVED: (Status.ACCEPTED, Status.REJECTED, Status.MERGED),
    Status.ACCEPTED: (Status.ASSIGNED, Status.REJECTED, Status.MERGED),
    Status.ASSIGNED: (Status.IN_PROGRESS, Status.RESOLVED, Status.MERGED),
    Status.IN_PROGRESS: (Status.RESOLVED, Status.MERGED),
    # The resident confirms (or 7 days pass) → closed; or reopens within 7 days.
    Status.RESOLVED: (Status.CLOSED, Status.REOPENED),
    Status.REOPENED: (Status.ASSIGNED, Status.IN_PROGRESS, Status.RESOLVED),
    Status.CLOSED: (),
    Status.REJECTED: (),
    Status.MERGED: (),
}

# Issues someone still has to act on: their deadline counts and they can climb.
OPEN_STATUSES = (Status.RECEIVED, Status.ACCEPTED, Status.ASSIGNED, Status.IN_PROGRESS,
                 Status.REOPENED)
# Open311 has two states.
OPEN311_CLOSED = (Status.RESOLVED, Status.CLOSED, Status.REJECTED, Status.MERGED)


class Level(models.TextChoices):
    COMPOUND = "compound", _("compound")
    COMMUNITY = "community", _("community")
    SUBDISTRICT = "subdistrict", _("subdistrict")
    DISTRICT = "district", _("district department")


# The ladder, bottom up: an overdue issue moves to the next level.
LADDER = (Level.COMPOUND, Level.COMMUNITY, Level.SUBDISTRICT, Level.DISTRICT)


class Party(models.TextChoices):
    """Who answers at a level."""

    PROPERTY_COMPANY = "property_company", _("property company")
    OWNERS_COMMITTEE = "owners_committee", _("owners' committee")
    PARTY_BRANCH = "party_branch", _("party branch")
    COMMUNITY_OFFICE = "community_office", _("community office")
    SUBDISTRICT_OFFICE = "subdistrict_office", _("subdistrict office")
    DISTRICT_DEPARTMENT = "district_department", _("district department")


PARTIES_BY_LEVEL: dict[str, tuple[str, ...]] = {
    Level.COMPOUND: (Party.PROPERTY_COMPANY, Party.OWNERS_COMMITTEE, Party.PARTY_BRANCH),
    Level.COMMUNITY: (Party.COMMUNITY_OFFICE,),
    Level.SUBDISTRICT: (Party.SUBDISTRICT_OFFICE,),
    Level.DISTRICT: (Party.DISTRICT_DEPARTMENT,),
}


class Priority(models.TextChoices):
    NORMAL = "normal", _("normal")
    URGENT = "urgent", _("urgent")


class Channel(models.TextChoices):
    QR = "qr", _("QR form")
    API = "api", _("app / mini-program")
    OPEN311 = "open311", _("Open311 client")
    VISIT = "visit", _("door-to-door visit")
    INSPECTION = "inspection", _("inspection")
    WALK_IN = "walk_in", _("walk-in / phone call")
    HOTLINE = "hotline", _("city hotline 12345")


class Rating(models.TextChoices):
    SATISFIED = "satisfied", _("satisfied")
    BASICALLY = "basically", _("basically satisfied")
    UNSATISFIED = "unsatisfied", _("unsatisfied")


class DeadlineRule(models.Model):
    """Hours a level has to act, by priority. Staff edit them; the server computes
    `due_at` from them when an issue is assigned or climbs."""

    level = models.CharField(_("level"), max_length=12, choices=Level.choices)
    priority = models.CharField(_("priority"), max_length=8, choices=Priority.choices)
    hours = models.PositiveIntegerField(_("hours"))

    class Meta:
        verbose_name = _("deadline rule")
        verbose_name_plural = _("deadline rules")
        ordering = ["priority", "level"]
        constraints = [
            models.UniqueConstraint(fields=["level", "priority"], name="one_deadline_per_level"),
            models.CheckConstraint(condition=Q(hours__gt=0), name="deadline_hours_gt_0"),
        ]

    def __str__(self) -> str:
        return f"{self.level}/{self.priority}: {self.hours} h"


class Grievance(models.Model):
    # Unique by constraints below, not `unique=True`: on PostgreSQL that also builds a
    # second, LIKE-only index, which no lookup here uses and every insert would update.
    tracking_code = models.CharField(_("tracking code"), max_length=16)
    # The compound's and the category's own indexes would repeat the first column of
    # grievance_compound_status and grievance_category_day below.
    compound = models.ForeignKey(Compound, on_delete=models.PROTECT, related_name="grievances",
                                 verbose_name=_("compound"), db_index=False)
    building = models.ForeignKey(Building, on_delete=models.SET_NULL, null=True, blank=True,
                                 related_name="grievances", verbose_name=_("building"))
    unit = models.CharField(_("unit"), max_length=10, blank=True)
    qr_point = models.ForeignKey(QRPoint, on_delete=models.SET_NULL, null=True, blank=True,
                                 related_name="grievances", verbose_name=_("QR point"))
    category = models.ForeignKey(Category, on_delete=models.PROTECT, related_name="grievances",
                                 verbose_name=_("category"), db_index=False)
    description = models.TextField(_("description"), max_length=2000)
    # Personal data (PIPL): only what is needed to call back, masked for most staff.
    reporter_name = models.CharField(_("name"), max_length=40, blank=True)
    reporter_phone = models.CharField(_("phone"), max_length=20, blank=True)
    consent_contact = models.BooleanField(_("may be contacted"), default=False)
    channel = models.CharField(_("channel"), max_length=12, choices=Channel.choices)
    external_id = models.CharField(_("external id"), max_length=64, blank=True,
                                   help_text=_("The hotline's own number for this issue."))
    # NULL, not "": most issues have no key, and the unique constraint must let them be.
    idempotency_key = models.CharField(max_length=80, null=True, blank=True,  # noqa: DJ001
                                       editable=False)

    status = models.CharField(_("status"), max_length=12, choices=Status.choices,
                              default=Status.RECEIVED)
    level = models.CharField(_("level"), max_length=12, choices=Level.choices,
                             default=Level.COMPOUND)
    priority = models.CharField(_("priority"), max_length=8, choices=Priority.choices,
                                default=Priority.NORMAL)
    party = models.CharField(_("responsible party"), max_length=20, choices=Party.choices,
                             blank=True)
    party_name = models.CharField(_("responsible (name)"), max_length=80, blank=True)
    assignee = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.SET_NULL,
                                 null=True, blank=True, related_name="assigned_grievances",
                                 verbose_name=_("assignee"))
    due_at = models.DateTimeField(_("due"), null=True, blank=True)
    merged_into = models.ForeignKey("self", on_delete=models.PROTECT, null=True, blank=True,
                                    related_name="merged", verbose_name=_("merged into"))

    received_at = models.DateTimeField(_("received"), default=timezone.now)
    resolved_at = models.DateTimeField(_("resolved"), null=True, blank=True)
    closed_at = models.DateTimeField(_("closed"), null=True, blank=True)
    updated_at = models.DateTimeField(_("updated"), auto_now=True)

    rating = models.CharField(_("rating"), max_length=12, choices=Rating.choices, blank=True)
    rating_comment = models.CharField(_("rating comment"), max_length=500, blank=True)
    rated_at = models.DateTimeField(_("rated"), null=True, blank=True)

    created_by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.SET_NULL,
                                   null=True, blank=True, related_name="+",
                                   verbose_name=_("recorded by"))

    class Meta:
        verbose_name = _("resident issue")
        verbose_name_plural = _("resident issues")
        ordering = ["-received_at", "-id"]
        constraints = [
            models.UniqueConstraint(fields=["tracking_code"], name="one_grievance_per_code"),
            models.UniqueConstraint(fields=["idempotency_key"],
                                    name="one_grievance_per_idempotency_key"),
            # Re-importing the hotline's export updates, never duplicates.
            models.UniqueConstraint(fields=["channel", "external_id"],
                                    condition=~Q(external_id=""),
                                    name="one_grievance_per_external_id"),
            models.CheckConstraint(
                name="merged_names_its_survivor",
                condition=Q(status="merged", merged_into__isnull=False)
                | (~Q(status="merged") & Q(merged_into__isnull=True)),
            ),
        ]
        indexes = [
            # The inbox: open issues by deadline; per compound; by day.
            models.Index(fields=["status", "due_at"], name="grievance_status_due"),
            models.Index(fields=["compound", "status"], name="grievance_compound_status"),
            models.Index(fields=["received_at"], name="grievance_received"),
            models.Index(fields=["category", "received_at"], name="grievance_category_day"),
            # The inbox's default view, "open at my level", in its order (deadline first,
            # then newest): a page is the first 50 entries, the count an index-only scan
            # of the open issues only (a few % of the table), joined to the area's
            # compounds by the included compound.
            models.Index(fields=["level", "due_at", "-received_at", "-id"],
                         include=["compound"], condition=Q(status__in=OPEN_STATUSES),
                         name="grievance_open_level_due"),
            # Every issue in the inbox's order: a page of an unselective filter
            # (a whole district, ?f=1) reads the first rows instead of sorting them all.
            models.Index(fields=["due_at", "-received_at", "-id"], name="grievance_due_order"),
        ]

    def __str__(self) -> str:
        return self.tracking_code


class EventKind(models.TextChoices):
    SUBMITTED = "submitted", pgettext_lazy("issue event", "submitted")
    STATUS = "status", pgettext_lazy("issue event", "status changed")
    ASSIGNED = "assigned", pgettext_lazy("issue event", "assigned")
    ESCALATED = "escalated", pgettext_lazy("issue event", "escalated (deadline missed)")
    REPLIED = "replied", pgettext_lazy("issue event", "replied")
    MERGED = "merged", pgettext_lazy("issue event", "merged")
    RATED = "rated", pgettext_lazy("issue event", "rated by the resident")
    UPDATED = "updated", pgettext_lazy("issue event", "updated from the hotline")


class GrievanceEvent(models.Model):
    """The timeline: every move, assignment, climb, reply, merge and rating."""

    grievance = models.ForeignKey(Grievance, on_delete=models.CASCADE, related_name="events",
                                  verbose_name=_("issue"))
    kind = models.CharField(_("kind"), max_length=10, choices=EventKind.choices)
    from_status = models.CharField(_("from"), max_length=12, choices=Status.choices,
                                   blank=True)
    to_status = models.CharField(_("to"), max_length=12, choices=Status.choices, blank=True)
    from_level = models.CharField(_("from level"), max_length=12, choices=Level.choices,
                                  blank=True)
    to_level = models.CharField(_("to level"), max_length=12, choices=Level.choices,
                                blank=True)
    note = models.TextField(_("note"), blank=True)
    by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True,
                           blank=True, related_name="+", verbose_name=_("by"))
    at = models.DateTimeField(_("at"), default=timezone.now)

    class Meta:
        verbose_name = _("issue event")
        verbose_name_plural = _("issue events")
        ordering = ["at", "id"]
        indexes = [models.Index(fields=["grievance", "at"], name="grievance_event_at")]

    def __str__(self) -> str:
        return f"{self.kind} {self.at:%Y-%m-%d %H:%M}"


class Reply(models.Model):
    """A public reply (the resident sees it on the tracking page) or an internal note."""

    grievance = models.ForeignKey(Grievance, on_delete=models.CASCADE, related_name="replies",
                                  verbose_name=_("issue"))
    text = models.TextField(_("reply"), max_length=2000)
    public = models.BooleanField(_("public"), default=True)
    by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True,
                           blank=True, related_name="+", verbose_name=_("by"))
    at = models.DateTimeField(_("at"), default=timezone.now)

    class Meta:
        verbose_name = _("reply")
        verbose_name_plural = _("replies")
        ordering = ["at", "id"]

    def __str__(self) -> str:
        return self.text[:40]


class ReplyTemplate(models.Model):
    title = models.CharField(_("title"), max_length=60)
    text = models.TextField(_("text"), max_length=2000)
    category = models.ForeignKey(Category, on_delete=models.CASCADE, null=True, blank=True,
                                 related_name="reply_templates", verbose_name=_("category"))
    active = models.BooleanField(_("active"), default=True)

    class Meta:
        verbose_name = _("reply template")
        verbose_name_plural = _("reply templates")
        ordering = ["title"]

    def __str__(self) -> str:
        return self.title


class GrievancePhoto(models.Model):
    grievance = models.ForeignKey(Grievance, on_delete=models.CASCADE, related_name="photos",
                                  verbose_name=_("issue"))
    image = models.ImageField(_("photo"), upload_to="grievances/%Y/%m/",
                              width_field="width", height_field="height")
    width = models.PositiveIntegerField(default=0, editable=False)
    height = models.PositiveIntegerField(default=0, editable=False)
    created_at = models.DateTimeField(_("created"), auto_now_add=True)

    class Meta:
        verbose_name = _("issue photo")
        verbose_name_plural = _("issue photos")
        ordering = ["id"]

    def __str__(self) -> str:
        return self.image.name


class ContactView(models.Model):
    """Audit log (PIPL): who saw a reporter's unmasked phone number, and when."""

    grievance = models.ForeignKey(Grievance, on_delete=models.CASCADE,
                                  related_name="contact_views", verbose_name=_("issue"))
    user = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT,
                             related_name="+", verbose_name=_("user"))
    at = models.DateTimeField(_("at"), default=timezone.now)
    where = models.CharField(_("where"), max_length=40, blank=True)

    class Meta:
        verbose_name = _("contact view")
        verbose_name_plural = _("contact views")
        ordering = ["-at"]

    def __str__(self) -> str:
        return f"{self.user_id} {self.at:%Y-%m-%d %H:%M}"


class Outbox(models.Model):
    """Messages waiting to go out (an SMS with the tracking code, a deadline warning).
    Written in the same transaction as what caused them, so nothing is lost while Redis
    or the worker is down; a task sends what is unsent, once per `dedupe_key`."""

    channel = models.CharField(_("channel"), max_length=8, default="sms")
    to = models.CharField(_("to"), max_length=120)
    text = models.TextField(_("text"))
    dedupe_key = models.CharField(max_length=120, unique=True)
    grievance = models.ForeignKey(Grievance, on_delete=models.CASCADE, null=True, blank=True,
                                  related_name="outbox", verbose_name=_("issue"))
    created_at = models.DateTimeField(_("created"), default=timezone.now)
    sent_at = models.DateTimeField(_("sent"), null=True, blank=True)
    attempts = models.PositiveSmallIntegerField(default=0)
    last_error = models.CharField(max_length=200, blank=True)

    class Meta:
        verbose_name = _("outgoing message")
        verbose_name_plural = _("outgoing messages")
        ordering = ["created_at", "id"]
        indexes = [models.Index(fields=["sent_at", "created_at"], name="outbox_unsent")]

    def __str__(self) -> str:
        return self.dedupe_key


class Open311Key(models.Model):
    """An Open311 client's API key, stored hashed (`open311_key --name` prints it once)."""

    name = models.CharField(_("name"), max_length=80)
    key_hash = models.CharField(max_length=64, unique=True, editable=False)
    active = models.BooleanField(_("active"), default=True)
    created_at = models.DateTimeField(_("created"), auto_now_add=True)

    class Meta:
        verbose_name = _("Open311 key")
        verbose_name_plural = _("Open311 keys")

    def __str__(self) -> str:
        return self.name
