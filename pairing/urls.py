from django.urls import path

from .views import coverage, pairings, registry, roster

app_name = "pairing"

urlpatterns = [
    path("branches/", registry.branch_list, name="branch_list"),
    path("branches/new/", registry.branch_create, name="branch_create"),
    path("branches/grade/", registry.branch_grade_bulk, name="branch_grade_bulk"),
    path("branches/<int:pk>/", registry.branch_detail, name="branch_detail"),
    path("branches/<int:pk>/edit/", registry.branch_update, name="branch_update"),
    path("branches/<int:pk>/optimisations/", registry.branch_optimisation_add, name="branch_optimisation_add"),
    # Pairings, draws and coverage (issue 4).
    path("pairings/", pairings.pairing_list, name="pairing_list"),
    path("pairings/new/", pairings.pairing_create, name="pairing_create"),
    path("pairings/mine/", pairings.my_pairing, name="my_pairing"),
    path("pairings/coverage/", coverage.coverage, name="coverage"),
    path("pairings/<int:pk>/", pairings.pairing_detail, name="pairing_detail"),
    path("pairings/<int:pk>/agreement/", pairings.pairing_agreement, name="pairing_agreement"),
    path("pairings/<int:pk>/agreement/upload/", pairings.pairing_agreement_upload, name="pairing_agreement_upload"),
    path("pairings/<int:pk>/dissolve/", pairings.pairing_dissolve, name="pairing_dissolve"),
    path("pairings/<int:pk>/repair/", pairings.pairing_repair, name="pairing_repair"),
    path("pairings/<int:pk>/swap/", pairings.pairing_swap, name="pairing_swap"),
    path("pairings/<int:pk>/people/", pairings.pairing_people, name="pairing_people"),
    path("pairings/<int:pk>/double-approve/", pairings.pairing_double_approve, name="pairing_double_approve"),
    path("draws/", pairings.draw_list, name="draw_list"),
    path("draws/new/", pairings.draw_create, name="draw_create"),
    path("draws/<int:pk>/", pairings.draw_detail, name="draw_detail"),
    # Roster import and export (issue 3).
    path("branches/export/", roster.roster_export, name="roster_export"),
    path("branches/roster/template/", roster.roster_template, name="roster_template"),
    path("branches/roster/import/", roster.roster_upload, name="roster_upload"),
    path("branches/roster/confirm/", roster.roster_confirm, name="roster_confirm"),
    path("branches/roster/cancel/", roster.roster_cancel, name="roster_cancel"),
    path("branches/roster/imports/<int:pk>/", roster.roster_import_detail, name="roster_import_detail"),
]
