from django.urls import path

from . import views

app_name = "supervision"

urlpatterns = [
    path("", views.home, name="home"),
    path("notices/", views.notice_list, name="notices"),
    path("notices/draft/", views.notice_draft, name="notice_draft"),
    path("notices/<int:notice_id>/", views.notice_detail, name="notice"),
    path("notices/<int:notice_id>/edit/", views.notice_edit, name="notice_edit"),
    path("notices/<int:notice_id>/draft-again/", views.notice_draft_again, name="notice_draft_again"),
    path("notices/<int:notice_id>/publish/", views.notice_publish, name="notice_publish"),
    path("notices/<int:notice_id>/answer/<int:receipt_id>/", views.notice_respond, name="notice_respond"),
    path("rectifications/", views.rectification_list, name="rectifications"),
    path("rectifications/new/", views.rectification_new, name="rectification_new"),
    path("rectifications/<int:rectification_id>/", views.rectification_detail, name="rectification"),
    path("rectifications/<int:rectification_id>/evidence", views.rectification_evidence, name="rectification_evidence"),
    path("assessments/", views.assessment_list, name="assessments"),
    path("assessments/<int:assessment_id>/", views.assessment_detail, name="assessment"),
    path("assessments/<int:assessment_id>/items/<int:item_id>/evidence", views.manual_item_evidence, name="manual_item_evidence"),
    path("inspections/", views.campaign_list, name="campaigns"),
    path("inspections/<int:campaign_id>/", views.campaign_detail, name="campaign"),
    path("inspections/site/<int:inspection_id>/", views.inspection_detail, name="inspection"),
    path("inspections/site/<int:inspection_id>/photos/<int:finding_id>", views.finding_photo, name="finding_photo"),
    path("plans/", views.plan_list, name="plans"),
    path("plans/new/", views.plan_new, name="plan_new"),
    path("plans/<int:plan_id>/", views.plan_detail, name="plan"),
    path("<str:code>/", views.board, name="board"),
    path("<str:code>/report.pdf", views.report_pdf, name="report"),
    path("<str:code>/<str:indicator_key>/", views.indicator, name="indicator"),
]
