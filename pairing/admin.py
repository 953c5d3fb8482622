from django.contrib import admin
from simple_history.admin import SimpleHistoryAdmin

from .models import (
    Branch,
    BranchGrade,
    Draw,
    OptimisationCampaign,
    OptimisationRecord,
    Pairing,
    PairingCampaign,
    Region,
    RosterImport,
    Unit,
)
from .services import registry


@admin.register(Region)
class RegionAdmin(admin.ModelAdmin):
    list_display = ["name", "level", "parent", "is_central_city"]
    list_filter = ["level", "is_central_city"]
    search_fields = ["name"]
    raw_id_fields = ["parent"]


@admin.register(Unit)
class UnitAdmin(admin.ModelAdmin):
    list_display = ["name", "level", "city", "county"]
    list_filter = ["level"]
    search_fields = ["name"]
    raw_id_fields = ["city", "county"]


@admin.register(Branch)
class BranchAdmin(SimpleHistoryAdmin):
    list_display = ["code", "name", "kind", "level", "county", "secretary_name", "member_count"]
    list_filter = ["kind", "level"]
    search_fields = ["code", "name"]
    raw_id_fields = ["city", "county", "township", "region", "unit"]
    list_select_related = ["county"]


@admin.register(BranchGrade)
class BranchGradeAdmin(SimpleHistoryAdmin):
    list_display = ["branch", "year", "grade", "graded_by", "graded_at"]
    list_filter = ["year", "grade"]
    raw_id_fields = ["branch", "graded_by"]


@admin.register(OptimisationCampaign)
class OptimisationCampaignAdmin(admin.ModelAdmin):
    list_display = ["name", "city", "starts_on", "ends_on", "is_current"]

    def save_model(self, request, obj, form, change):
        registry.optimisation_campaign_save(campaign=obj)  # and the branches' optimised flags


@admin.register(OptimisationRecord)
class OptimisationRecordAdmin(SimpleHistoryAdmin):
    list_display = ["branch", "campaign", "action", "done_on", "recorded_by"]
    list_filter = ["campaign", "action"]
    raw_id_fields = ["branch", "recorded_by"]

    # Through the services, which recompute the branches' optimised flags.
    def save_model(self, request, obj, form, change):
        registry.optimisation_record_save(record=obj, acting_user=request.user)

    def delete_model(self, request, obj):
        registry.optimisation_record_delete(record=obj, acting_user=request.user)

    def delete_queryset(self, request, queryset):
        registry.optimisation_records_delete(records=queryset)


@admin.register(PairingCampaign)
class PairingCampaignAdmin(admin.ModelAdmin):
    list_display = ["name", "city", "year", "starts_on", "is_current"]


@admin.register(Pairing)
class PairingAdmin(SimpleHistoryAdmin):
    list_display = ["helper", "partner", "campaign", "slot", "method", "status", "started_on"]
    list_filter = ["status", "method", "campaign"]
    raw_id_fields = ["helper", "partner", "created_by"]
    list_select_related = ["helper", "partner", "campaign"]


@admin.register(Draw)
class DrawAdmin(admin.ModelAdmin):
    list_display = ["region", "level", "campaign", "seed", "created_by", "created_at"]
    list_filter = ["level", "campaign"]
    raw_id_fields = ["region", "created_by"]
    readonly_fields = ["inputs", "result"]
    list_select_related = ["region", "campaign", "created_by"]


@admin.register(RosterImport)
class RosterImportAdmin(admin.ModelAdmin):
    list_display = ["filename", "region", "requested_by", "status", "created_at", "finished_at"]
    list_filter = ["status"]
    raw_id_fields = ["region", "requested_by"]
    readonly_fields = ["errors"]
    list_select_related = ["region", "requested_by"]
