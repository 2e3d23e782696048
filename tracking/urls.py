from __future__ import annotations

from django.urls import path

from . import account, labs, side_effects, summary, views

app_name = "tracking"
urlpatterns = [
    path("", views.dashboard, name="dashboard"),
    path("therapy/", views.therapy_edit, name="therapy"),
    path("doses/", views.dose_list, name="dose-list"),
    path("doses/new/", views.dose_new, name="dose-new"),
    path("doses/quick/", views.dose_quick, name="dose-quick"),
    path("doses/export.csv", views.dose_export, name="dose-export"),
    path("doses/<uuid:uuid>/edit/", views.dose_edit, name="dose-edit"),
    path("doses/<uuid:uuid>/delete/", views.dose_delete, name="dose-delete"),
    path("side-effects/", side_effects.side_effect_list, name="side-effect-list"),
    path("side-effects/new/", side_effects.side_effect_new, name="side-effect-new"),
    path("side-effects/<uuid:uuid>/", side_effects.side_effect_detail, name="side-effect-detail"),
    path("labs/", labs.labs, name="labs"),
    path("labs/results/<uuid:uuid>/", labs.lab_result, name="lab-result"),
    path("labs/calendar/<str:token>.ics", labs.lab_calendar, name="lab-calendar"),
    path("summary/", summary.summary, name="summary"),
    path("account/", account.account, name="account"),
    path("account/calendar-link/", account.calendar_reset, name="calendar-reset"),
    path("account/export.json", account.data_export, name="data-export"),
]
