from django.urls import path

from . import views

app_name = "operations"
urlpatterns = [
    path("", views.home, name="home"),
    path("agreements/", views.agreement_list, name="agreements"),
    path("agreements/new/<str:code>/", views.agreement_new, name="agreement_new"),
    path("agreements/<int:agreement_id>/", views.agreement_detail, name="agreement"),
    path("agreements/<int:agreement_id>/edit/", views.agreement_edit, name="agreement_edit"),
    path("reports/<int:report_id>/", views.report_detail, name="report"),
    path("admissions/", views.admissions, name="admissions"),
    path("admissions/<int:admission_id>/", views.admission_detail, name="admission"),
    path("compliance/", views.compliance_home, name="compliance_home"),
    path("compliance/<str:code>/", views.compliance, name="compliance"),
    path("funding/", views.funding_list, name="funding_list"),
    path("funding/<int:funding_id>/", views.funding_detail, name="funding"),
    path("offers/", views.offers, name="offers"),
    path("pick/operators/", views.pick_operators, name="pick_operators"),
    path("offers/<int:offer_id>/", views.offer_detail, name="offer"),
    path("files/report-photos/<int:report_photo_id>/", views.report_photo, name="report_photo"),
    path("files/milestones/<int:milestone_id>/", views.milestone_evidence, name="milestone_evidence"),
    path("files/qualifications/<int:qualification_id>/", views.qualification_document, name="qualification_document"),
]
