from django.contrib import admin

from .models import ReportRun, Snapshot, Threshold


@admin.register(Snapshot)
class SnapshotAdmin(admin.ModelAdmin):
    list_display = ["region", "as_of", "computed_at"]
    list_filter = ["as_of"]
    raw_id_fields = ["region"]


@admin.register(ReportRun)
class ReportRunAdmin(admin.ModelAdmin):
    list_display = ["city", "as_of", "status", "progress", "total", "requested_by", "created_at"]
    list_filter = ["status"]


@admin.register(Threshold)
class ThresholdAdmin(admin.ModelAdmin):
    list_display = ["city", "metric", "green_from", "amber_from", "updated_by"]
