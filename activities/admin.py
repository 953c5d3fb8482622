from django.contrib import admin
from simple_history.admin import SimpleHistoryAdmin

from .models import JointActivity, KeyTask, KeyTaskList, KeyTaskReport, ThemeDay


@admin.register(ThemeDay)
class ThemeDayAdmin(SimpleHistoryAdmin):
    list_display = ("held_on", "theme", "pairing", "recorded_by_branch", "status")
    list_filter = ("status",)
    raw_id_fields = ("pairing", "recorded_by_branch", "recorded_by", "reviewed_by")
    date_hierarchy = "held_on"


@admin.register(JointActivity)
class JointActivityAdmin(SimpleHistoryAdmin):
    list_display = ("held_on", "kind", "title", "pairing")
    list_filter = ("kind",)
    raw_id_fields = ("pairing", "recorded_by_branch", "recorded_by")


class KeyTaskInline(admin.TabularInline):
    model = KeyTask
    extra = 0
    raw_id_fields = ("carried_from",)


@admin.register(KeyTaskList)
class KeyTaskListAdmin(SimpleHistoryAdmin):
    list_display = ("region", "year", "half", "published_at")
    inlines = [KeyTaskInline]


@admin.register(KeyTaskReport)
class KeyTaskReportAdmin(SimpleHistoryAdmin):
    list_display = ("task", "pairing", "status", "updated_at")
    list_filter = ("status",)
    raw_id_fields = ("task", "pairing", "reported_by")
