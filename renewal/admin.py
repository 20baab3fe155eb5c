from django.contrib import admin

from renewal.models import (
    Batch,
    Inspection,
    ProgressPhoto,
    ProgressReport,
    Project,
    PublicCommitment,
    Rectification,
    RectificationEvent,
    StageChange,
    WorkItem,
    WorkItemType,
)


@admin.register(Batch)
class BatchAdmin(admin.ModelAdmin):
    list_display = ["year", "name", "target_compounds", "target_households", "target_investment"]
    list_filter = ["year"]


class StageChangeInline(admin.TabularInline):
    model = StageChange
    extra = 0
    can_delete = False
    readonly_fields = ["from_stage", "to_stage", "by", "at", "note"]

    def has_add_permission(self, request, obj=None):
        return False  # stages move through the service, which writes these rows


@admin.register(Project)
class ProjectAdmin(admin.ModelAdmin):
    list_display = ["compound", "batch", "stage", "delivery_model", "contractor"]
    list_filter = ["batch", "stage", "delivery_model", "compound__community__subdistrict"]
    list_select_related = ["compound", "batch"]
    search_fields = ["compound__name", "contractor"]
    raw_id_fields = ["compound", "engineering_coordinator", "residents_coordinator"]
    # The stage is moved only by the service (gates, history); never edited here.
    readonly_fields = ["stage"]
    inlines = [StageChangeInline]


@admin.register(WorkItemType)
class WorkItemTypeAdmin(admin.ModelAdmin):
    list_display = ["name", "code", "category", "unit", "warranty_years", "seasonal_check"]
    list_filter = ["category", "seasonal_check"]


@admin.register(WorkItem)
class WorkItemAdmin(admin.ModelAdmin):
    list_display = ["project", "type", "planned_quantity", "completed_quantity", "status"]
    list_filter = ["status", "type__category"]
    list_select_related = ["project__compound", "project__batch", "type"]
    raw_id_fields = ["project"]


class ProgressPhotoInline(admin.TabularInline):
    model = ProgressPhoto
    extra = 0


@admin.register(ProgressReport)
class ProgressReportAdmin(admin.ModelAdmin):
    list_display = ["work_item", "quantity_done", "reported_by", "reported_at"]
    list_select_related = ["work_item__type", "reported_by"]
    raw_id_fields = ["work_item"]
    inlines = [ProgressPhotoInline]


class RectificationEventInline(admin.TabularInline):
    model = RectificationEvent
    extra = 0
    can_delete = False
    readonly_fields = ["from_status", "to_status", "by", "at", "note"]

    def has_add_permission(self, request, obj=None):
        return False


@admin.register(Inspection)
class InspectionAdmin(admin.ModelAdmin):
    list_display = ["project", "level", "kind", "scheduled_for", "carried_out_on"]
    list_filter = ["level", "kind"]
    list_select_related = ["project__compound", "project__batch"]
    raw_id_fields = ["project", "inspector"]


@admin.register(Rectification)
class RectificationAdmin(admin.ModelAdmin):
    list_display = ["finding", "responsible_party", "deadline", "status"]
    list_filter = ["status"]
    raw_id_fields = ["inspection", "work_item", "verified_by"]
    readonly_fields = ["status"]
    inlines = [RectificationEventInline]


@admin.register(PublicCommitment)
class PublicCommitmentAdmin(admin.ModelAdmin):
    list_display = ["compound", "year", "title", "done_on"]
    list_filter = ["year"]
    list_select_related = ["compound"]
    raw_id_fields = ["compound"]
