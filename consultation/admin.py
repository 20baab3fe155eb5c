from django.contrib import admin

from consultation.models import Ballot, BallotEvent, Topic


class ReadOnly:
    """Votes are cast through consultation.services.ballot_cast, which keeps the history;
    the admin only shows them."""

    def has_add_permission(self, request, obj=None):
        return False

    def has_change_permission(self, request, obj=None):
        return False

    def has_delete_permission(self, request, obj=None):
        return False


class BallotInline(ReadOnly, admin.TabularInline):
    model = Ballot
    extra = 0
    fields = ["dwelling", "choice", "method", "recorded_by", "cast_at"]


@admin.register(Topic)
class TopicAdmin(admin.ModelAdmin):
    list_display = ["title", "compound", "scope", "building", "unit", "kind", "rule",
                    "threshold", "created_at"]
    list_filter = ["kind", "rule", "scope"]
    list_select_related = ["compound", "building__compound"]
    search_fields = ["title", "compound__name"]
    raw_id_fields = ["compound", "building", "affected_dwellings", "created_by"]
    inlines = [BallotInline]


@admin.register(Ballot)
class BallotAdmin(ReadOnly, admin.ModelAdmin):
    list_display = ["topic", "dwelling", "choice", "method", "recorded_by", "cast_at"]
    list_filter = ["choice", "method"]
    list_select_related = ["topic", "dwelling__building__compound", "recorded_by"]
    raw_id_fields = ["topic", "dwelling", "recorded_by"]


@admin.register(BallotEvent)
class BallotEventAdmin(ReadOnly, admin.ModelAdmin):
    """The consent history: the record of every vote cast."""

    list_display = ["topic", "dwelling", "previous", "choice", "method", "recorded_by", "at"]
    list_filter = ["choice", "method"]
    list_select_related = ["topic", "dwelling__building__compound", "recorded_by"]
    raw_id_fields = ["topic", "dwelling", "recorded_by"]
