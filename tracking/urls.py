from __future__ import annotations

from django.urls import include, path

from .views import (
    account,
    care,
    deletion,
    doses,
    labs,
    record_views,
    sessions,
    side_effects,
    summary,
    therapy,
    today,
)

app_name = "tracking"

# Every page about one patient answers at two addresses: /p/<uuid>/doses/ names the
# patient (links use it, so tabs stay independent), and /doses/ shows the account's
# last-viewed or only patient (bookmarks keep working).
patient_pages = [
    path("", today.dashboard, name="dashboard"),
    path("therapies/", therapy.therapy_list, name="therapy-list"),
    path("therapies/new/", therapy.therapy_new, name="therapy-new"),
    path("therapies/<uuid:uuid>/", therapy.therapy_edit, name="therapy-edit"),
    path("weight/", therapy.weight_new, name="weight-new"),
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
    path("summary/", summary.summary, name="summary"),
    path("caregivers/", care.caregivers, name="caregivers"),
    path("caregivers/<int:pk>/end/", care.care_end, name="care-end"),
    path("record-views/", record_views.record_views, name="record-views"),
]

urlpatterns = [
    *patient_pages,
    path("p/<uuid:patient_uuid>/", include(patient_pages)),
    path("setup/", therapy.setup, name="setup"),
    path("invitations/<str:token>/", care.invitation_accept, name="invitation-accept"),
    path("labs/calendar/<str:token>.ics", labs.lab_calendar, name="lab-calendar"),
    path("account/", account.account, name="account"),
    path("account/calendar-link/", account.calendar_reset, name="calendar-reset"),
    path("account/export.json", account.data_export, name="data-export"),
    path("account/email/", account.email_change, name="email-change"),
    path("account/email/confirm/<str:token>/", account.email_confirm, name="email-confirm"),
    path("account/session/", sessions.session_status, name="session"),
    path(
        "account/sign-out-everywhere/",
        sessions.sign_out_everywhere,
        name="sign-out-everywhere",
    ),
    path("account/delete/", deletion.account_delete, name="account-delete"),
    path(
        "account/delete/withdraw/",
        deletion.account_delete_withdraw,
        name="account-delete-withdraw",
    ),
]
