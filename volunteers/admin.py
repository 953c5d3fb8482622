from django.contrib import admin
from simple_history.admin import SimpleHistoryAdmin

from .models import Claim, HourEntry, Project, Registration, Whistle, WhistleResponse, Wish


@admin.register(Registration)
class RegistrationAdmin(SimpleHistoryAdmin):
    list_display = ["kind", "community", "branch", "member", "status", "created_at"]
    list_filter = ["kind", "status"]
    raw_id_fields = ["community", "branch", "member", "registered_by", "decided_by"]


@admin.register(Project)
class ProjectAdmin(SimpleHistoryAdmin):
    list_display = ["title", "community", "category", "starts_on", "places", "status"]
    list_filter = ["category", "status"]
    raw_id_fields = ["community", "created_by"]


@admin.register(Claim)
class ClaimAdmin(SimpleHistoryAdmin):
    list_display = ["project", "registration", "mode", "created_at"]
    raw_id_fields = ["project", "registration", "claimed_by"]


@admin.register(Wish)
class WishAdmin(SimpleHistoryAdmin):
    list_display = ["title", "community", "status", "claimed_by"]
    raw_id_fields = ["community", "claimed_by", "confirmed_by", "created_by"]


@admin.register(Whistle)
class WhistleAdmin(SimpleHistoryAdmin):
    list_display = ["title", "community", "kind", "happens_on", "places", "status"]
    raw_id_fields = ["community", "created_by"]


@admin.register(WhistleResponse)
class WhistleResponseAdmin(SimpleHistoryAdmin):
    raw_id_fields = ["whistle", "registration", "responded_by"]


@admin.register(HourEntry)
class HourEntryAdmin(SimpleHistoryAdmin):
    list_display = ["member", "community", "served_on", "starts_at", "ends_at", "minutes", "status"]
    list_filter = ["status"]
    raw_id_fields = ["member", "community", "project", "wish", "whistle", "decided_by"]
