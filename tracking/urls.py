from __future__ import annotations

from django.urls import path

from .views import account, doses, labs, side_effects, summary, therapy, today

app_name = "tracking"
urlpatterns = [
    path("", today.dashboard, name="dashboard"),
    path("therapy/", therapy.therapy_edit, name="therapy"),
    path("doses/", doses.dose_list, name="dose-list"),
    path("doses/new/", doses.dose_new, name="dose-new"),
    path("doses/quick/", today.dose_quick, name="dose-quick"),
    path("doses/export.csv", doses.dose_export, name="dose-export"),
    path("doses/<uuid:uuid>/edit/", doses.dose_edit, name="dose-edit"),
    path("doses/<uuid:uuid>/delete/", doses.dose_delete, name="dose-delete"),
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
