from django.contrib import admin
from django.contrib.auth.admin import UserAdmin
from django.utils.translation import gettext_lazy as _

from compounds.models import Building, Community, Compound, Dwelling, Grid, Subdistrict, User


@admin.register(User)
class StaffAdmin(UserAdmin):
    list_display = ["username", "first_name", "role", "subdistrict", "community", "is_active"]
    list_filter = ["role", "is_active", "is_superuser", "subdistrict"]
    list_select_related = ["subdistrict", "community"]
    fieldsets = [
        *UserAdmin.fieldsets,
        (_("Role and area"), {"fields": ["role", "subdistrict", "community"]}),
    ]


@admin.register(Subdistrict)
class SubdistrictAdmin(admin.ModelAdmin):
    search_fields = ["name"]


@admin.register(Community)
class CommunityAdmin(admin.ModelAdmin):
    list_display = ["name", "subdistrict"]
    list_filter = ["subdistrict"]
    list_select_related = ["subdistrict"]
    search_fields = ["name"]


@admin.register(Grid)
class GridAdmin(admin.ModelAdmin):
    list_display = ["name", "community", "worker_name"]
    list_select_related = ["community"]
    search_fields = ["name", "community__name"]


class BuildingInline(admin.TabularInline):
    model = Building
    extra = 0


@admin.register(Compound)
class CompoundAdmin(admin.ModelAdmin):
    list_display = ["name", "community", "build_year", "households", "property_management"]
    list_filter = ["community__subdistrict", "property_management", "has_owners_committee"]
    list_select_related = ["community"]
    search_fields = ["name", "address"]
    raw_id_fields = ["grid"]
    inlines = [BuildingInline]


@admin.register(Building)
class BuildingAdmin(admin.ModelAdmin):
    list_display = ["compound", "number", "units", "floors"]
    list_select_related = ["compound"]
    search_fields = ["compound__name"]
    raw_id_fields = ["compound"]


@admin.register(Dwelling)
class DwellingAdmin(admin.ModelAdmin):
    list_display = ["building", "unit", "number", "area", "owner_ref"]
    list_select_related = ["building__compound"]
    search_fields = ["owner_ref", "building__compound__name"]
    raw_id_fields = ["building"]
