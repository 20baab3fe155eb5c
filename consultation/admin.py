from django.contrib import admin
from django.utils.translation import gettext_lazy as _

from consultation.models import Ballot, BallotEvent, Topic
from consultation.models.topics import TopicStageChange


class ReadOnly:
    """Shown, never written here: votes are cast through consultation.services.ballot_cast
    (which keeps the history), codes, visits and gradings through their services. The
    other admin modules of the app use it too."""

    def has_add_permission(self, request, obj=None):
        return False

    def has_change_permission(self, request, obj=None):
        return False

    def has_delete_permission(self, request, obj=None):
        return False


class BallotInline(ReadOnly, admin.TabularInline):
    model = Ballot
    extra = 0
    fields = ["dwelling", "choice", "method", "recorded_by", "cast_at", "sheet_photo"]


class TopicStageChangeInline(ReadOnly, admin.TabularInline):
    """The seven steps: moves are made through consultation.services.topic_move, which
    checks them and writes these rows."""

    model = TopicStageChange
    extra = 0
    fields = ["from_stage", "to_stage", "done", "by", "at"]


@admin.register(Topic)
class TopicAdmin(admin.ModelAdmin):
    list_display = ["title", "compound", "scope", "building", "unit", "kind", "rule",
                    "threshold", "stage", "created_at"]
    list_filter = ["stage", "kind", "rule", "scope"]
    list_select_related = ["compound", "building__compound"]
    search_fields = ["title", "compound__name"]
    raw_id_fields = ["compound", "building", "affected_dwellings", "created_by"]
    # The step moves only through topic_move (checked, with its history row).
    readonly_fields = ["stage"]
    inlines = [TopicStageChangeInline, BallotInline]


@admin.register(Ballot)
class BallotAdmin(ReadOnly, admin.ModelAdmin):
    list_display = ["topic", "dwelling", "choice", "method", "recorded_by", "cast_at",
                    "has_sheet_photo"]
    list_filter = ["choice", "method"]
    list_select_related = ["topic", "dwelling__building__compound", "recorded_by"]
    raw_id_fields = ["topic", "dwelling", "recorded_by"]
    fields = ["topic", "dwelling", "choice", "method", "recorded_by", "cast_at", "sheet_photo"]

    @admin.display(boolean=True, description=_("signed sheet"))
    def has_sheet_photo(self, obj) -> bool:
        return bool(obj.sheet_photo)


@admin.register(TopicStageChange)
class TopicStageChangeAdmin(ReadOnly, admin.ModelAdmin):
    list_display = ["topic", "from_stage", "to_stage", "by", "at"]
    list_filter = ["to_stage"]
    list_select_related = ["topic", "by"]
    search_fields = ["topic__title", "done"]
    raw_id_fields = ["topic", "by"]


@admin.register(BallotEvent)
class BallotEventAdmin(ReadOnly, admin.ModelAdmin):
    """The consent history: the record of every vote cast."""

    list_display = ["topic", "dwelling", "previous", "choice", "method", "recorded_by", "at",
                    "sheet_photo"]
    list_filter = ["choice", "method"]
    list_select_related = ["topic", "dwelling__building__compound", "recorded_by"]
    raw_id_fields = ["topic", "dwelling", "recorded_by"]


# The other families register their models in their own modules.
from consultation import admin_meetings, admin_visits, admin_voting  # noqa: E402,F401
