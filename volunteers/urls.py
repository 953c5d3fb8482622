from django.urls import path

from .views import communities, demands, hours, members, registrations, whistles, wishes

app_name = "volunteers"

urlpatterns = [
    path("", communities.index, name="index"),
    path("communities/", communities.community_list, name="community_list"),
    path("communities/<int:pk>/", communities.community_detail, name="community_detail"),
    path("communities/<int:community_pk>/projects/new/", demands.project_create, name="project_create"),
    path("communities/<int:community_pk>/wishes/new/", wishes.wish_create, name="wish_create"),
    path("communities/<int:community_pk>/whistles/new/", whistles.whistle_create, name="whistle_create"),
    path("register/", registrations.register_member, name="register_member"),
    path("register/unit/", registrations.register_unit, name="register_unit"),
    path("registrations/<int:pk>/decide/", registrations.registration_decide, name="registration_decide"),
    path("registrations/<int:pk>/agreement/", registrations.registration_agreement, name="registration_agreement"),
    path("demands/", demands.demand_list, name="demand_list"),
    path("projects/<int:pk>/", demands.project_detail, name="project_detail"),
    path("projects/<int:pk>/claim/", demands.project_claim, name="project_claim"),
    path("projects/<int:pk>/assign/", demands.project_assign, name="project_assign"),
    path("projects/<int:pk>/close/", demands.project_close, name="project_close"),
    path("wishes/<int:pk>/", wishes.wish_detail, name="wish_detail"),
    path("wishes/<int:pk>/claim/", wishes.wish_claim, name="wish_claim"),
    path("wishes/<int:pk>/fulfil/", wishes.wish_fulfil, name="wish_fulfil"),
    path("wishes/<int:pk>/confirm/", wishes.wish_confirm, name="wish_confirm"),
    path("wishes/<int:pk>/photo/", wishes.wish_photo, name="wish_photo"),
    path("whistles/<int:pk>/", whistles.whistle_detail, name="whistle_detail"),
    path("whistles/<int:pk>/respond/", whistles.whistle_respond, name="whistle_respond"),
    path("whistles/<int:pk>/close/", whistles.whistle_close, name="whistle_close"),
    path("hours/new/", hours.hours_create, name="hours_create"),
    path("hours/<int:pk>/decide/", hours.hours_decide, name="hours_decide"),
    path("me/", members.my_record, name="my_record"),
    path("members/<int:pk>/", members.member_detail, name="member_detail"),
    path("members/<int:pk>/certificate/", members.member_certificate, name="member_certificate"),
    path("units/<int:pk>/", members.unit_detail, name="unit_detail"),
]
