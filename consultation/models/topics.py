"""Topics residents decide, their seven steps (议事七步), and the ballots that decide them.

The tally (consultation/selectors.py) counts them as the Civil Code (art. 278) counts:
owners by person (one per dwelling, except that dwellings with the same `owner_ref`
are one person), area from the dwellings' exclusive area, exact fractions.
"""

from django.conf import settings
from django.db import models
from django.db.models import Q
from django.utils.translation import gettext_lazy as _

from compounds.models import Building, Compound, Dwelling


class Scope(models.TextChoices):
    COMPOUND = "compound", _("whole compound")
    BUILDING = "building", _("one building")
    UNIT = "unit", _("one unit (staircase)")


class TopicKind(models.TextChoices):
    RENOVATION_PLAN = "renovation_plan", _("renovation plan")
    ELEVATOR = "elevator", _("elevator")
    PARKING = "parking", _("parking")
    OTHER = "other", _("other")


class Rule(models.TextChoices):
    # Civil Code art. 278 items 6–8: raise maintenance funds, rebuild or alter buildings
    # and facilities, change the use of common parts.
    CIVIL_CODE_MAJOR = "civil_code_major", _("Civil Code: ≥ 3/4 of participating area and owners")
    CIVIL_CODE_ORDINARY = "civil_code_ordinary", _(
        "Civil Code: more than half of participating area and owners"
    )
    CONSENT_SHARE = "consent_share", _("share of agreeing dwellings ≥ threshold")


class TopicStage(models.TextChoices):
    """Xiamen's seven steps (议事七步) every topic goes through."""

    COLLECT = "collect", _("collect demands")
    DRAFT = "draft", _("draft the topic")
    RESEARCH = "research", _("research before the meeting")
    VOTE = "vote", _("consult and vote")
    APPLY = "apply", _("apply the result")
    SUPERVISE = "supervise", _("supervise execution")
    FEEDBACK = "feedback", _("public feedback")


TOPIC_STAGE_ORDER = list(TopicStage.values)

# The legal moves. Forward one step at a time; back one step where the work really goes
# back: more demands to collect before a draft, a draft redone after the research, a
# research resumed when the meeting finds it wanting. Once the result is applied there
# is no going back to the vote: a new vote is a new topic.
TOPIC_TRANSITIONS: dict[str, tuple[str, ...]] = {
    TopicStage.COLLECT: (TopicStage.DRAFT,),
    TopicStage.DRAFT: (TopicStage.RESEARCH, TopicStage.COLLECT),
    TopicStage.RESEARCH: (TopicStage.VOTE, TopicStage.DRAFT),
    TopicStage.VOTE: (TopicStage.APPLY, TopicStage.RESEARCH),
    TopicStage.APPLY: (TopicStage.SUPERVISE,),
    TopicStage.SUPERVISE: (TopicStage.FEEDBACK,),
    TopicStage.FEEDBACK: (),
}

# What a move records about the step it leaves ("what was done"), at most this long.
STAGE_DONE_MAX_LENGTH = 2000


class Topic(models.Model):
    """A matter put to the owners of a compound, a building or one unit (staircase)."""

    compound = models.ForeignKey(
        Compound, on_delete=models.PROTECT, related_name="topics", verbose_name=_("compound")
    )
    title = models.CharField(_("title"), max_length=200)
    scope = models.CharField(_("scope"), max_length=10, choices=Scope.choices,
                             default=Scope.COMPOUND)
    building = models.ForeignKey(
        Building, on_delete=models.PROTECT, null=True, blank=True, related_name="topics",
        verbose_name=_("building"),
    )
    unit = models.CharField(_("unit"), max_length=10, blank=True)
    kind = models.CharField(_("kind of topic"), max_length=16, choices=TopicKind.choices)
    rule = models.CharField(_("rule"), max_length=20, choices=Rule.choices)
    stage = models.CharField(_("stage"), max_length=10, choices=TopicStage.choices,
                             default=TopicStage.COLLECT, db_index=True)
    # For consent_share only: e.g. 0.80 for Jinshui's 80 % of households.
    threshold = models.DecimalField(
        _("threshold"), max_digits=5, decimal_places=4, null=True, blank=True
    )
    # An elevator topic may name the dwellings it touches most (ground floor, the
    # flats beside the shaft): each of them must agree, whatever the totals.
    affected_dwellings = models.ManyToManyField(
        Dwelling, blank=True, related_name="affected_by_topics",
        verbose_name=_("affected dwellings"),
    )
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, related_name="+",
        verbose_name=_("created by"),
    )
    created_at = models.DateTimeField(_("created"), auto_now_add=True)

    class Meta:
        verbose_name = _("topic")
        verbose_name_plural = _("topics")
        ordering = ["-created_at", "-id"]
        constraints = [
            models.CheckConstraint(
                name="topic_scope_names_its_place",
                condition=(
                    Q(scope="compound", building__isnull=True, unit="")
                    | Q(scope="building", building__isnull=False, unit="")
                    | (Q(scope="unit", building__isnull=False) & ~Q(unit=""))
                ),
            ),
            models.CheckConstraint(
                name="topic_threshold_only_for_consent_share",
                condition=(
                    Q(rule="consent_share", threshold__gt=0, threshold__lte=1)
                    | (~Q(rule="consent_share") & Q(threshold__isnull=True))
                ),
            ),
        ]

    def __str__(self) -> str:
        return self.title


class TopicStageChange(models.Model):
    """One move of a topic between its seven steps: what was done in the step it left,
    who moved it, when. The first row appears with the first move."""

    topic = models.ForeignKey(
        Topic, on_delete=models.CASCADE, related_name="stage_history", verbose_name=_("topic")
    )
    from_stage = models.CharField(_("from"), max_length=10, choices=TopicStage.choices)
    to_stage = models.CharField(_("to"), max_length=10, choices=TopicStage.choices)
    done = models.TextField(_("what was done"), max_length=STAGE_DONE_MAX_LENGTH)
    by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, related_name="+",
        verbose_name=_("by"),
    )
    at = models.DateTimeField(_("at"), db_index=True)

    class Meta:
        verbose_name = _("topic stage change")
        verbose_name_plural = _("topic stage changes")
        ordering = ["at", "id"]
        constraints = [
            models.CheckConstraint(name="topic_stage_change_says_what_was_done",
                                   condition=~Q(done="")),
        ]

    def __str__(self) -> str:
        return f"{self.from_stage} → {self.to_stage}"


# Photos of signed paper ballots; the media view serves them through the topic's compound.
BALLOT_SHEET_UPLOAD_TO = "ballots/%Y/%m/"


class Choice(models.TextChoices):
    AGREE = "agree", _("agree")
    DISAGREE = "disagree", _("disagree")
    ABSTAIN = "abstain", _("abstain")


class Method(models.TextChoices):
    PAPER = "paper", _("paper ballot")
    DOOR_TO_DOOR = "door_to_door", _("door to door")
    MEETING = "meeting", _("at a meeting")
    ONLINE = "online", _("online")


class Ballot(models.Model):
    """The standing vote of one dwelling on one topic. A later vote replaces it; every
    vote ever cast stays in BallotEvent (the consent history)."""

    topic = models.ForeignKey(
        Topic, on_delete=models.CASCADE, related_name="ballots", verbose_name=_("topic")
    )
    dwelling = models.ForeignKey(
        Dwelling, on_delete=models.PROTECT, related_name="ballots", verbose_name=_("dwelling")
    )
    choice = models.CharField(_("choice"), max_length=10, choices=Choice.choices)
    method = models.CharField(_("method"), max_length=14, choices=Method.choices)
    recorded_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, related_name="+",
        verbose_name=_("recorded by"),
    )
    cast_at = models.DateTimeField(_("cast at"))
    # The signed paper sheet of this vote, if one was photographed (EXIF stripped).
    sheet_photo = models.ImageField(_("photo of the signed sheet"),
                                    upload_to=BALLOT_SHEET_UPLOAD_TO, blank=True)

    class Meta:
        verbose_name = _("ballot")
        verbose_name_plural = _("ballots")
        constraints = [
            models.UniqueConstraint(fields=["topic", "dwelling"], name="one_ballot_per_dwelling")
        ]

    def __str__(self) -> str:
        return f"{self.dwelling_id}: {self.choice}"


class BallotEvent(models.Model):
    """Every vote cast, in order: the support curve is drawn from these."""

    topic = models.ForeignKey(
        Topic, on_delete=models.CASCADE, related_name="ballot_events", verbose_name=_("topic")
    )
    dwelling = models.ForeignKey(
        Dwelling, on_delete=models.PROTECT, related_name="+", verbose_name=_("dwelling")
    )
    previous = models.CharField(_("previous choice"), max_length=10, choices=Choice.choices,
                                blank=True)
    choice = models.CharField(_("choice"), max_length=10, choices=Choice.choices)
    method = models.CharField(_("method"), max_length=14, choices=Method.choices)
    recorded_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, related_name="+",
        verbose_name=_("recorded by"),
    )
    at = models.DateTimeField(_("at"), db_index=True)
    # The same file as the ballot's at the time: a revote keeps each sheet in history.
    sheet_photo = models.ImageField(_("photo of the signed sheet"),
                                    upload_to=BALLOT_SHEET_UPLOAD_TO, blank=True)

    class Meta:
        verbose_name = _("ballot event")
        verbose_name_plural = _("ballot events")
        ordering = ["at", "id"]

    def __str__(self) -> str:
        return f"{self.previous or '—'} → {self.choice}"
