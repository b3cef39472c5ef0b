from django.urls import path

from . import views

app_name = "excel"
urlpatterns = [
    path("", views.job_list, name="jobs"),
    path("imports/", views.import_start, name="import"),
    path("<str:register_name>/template/", views.template, name="template"),
    path("<str:register_name>/export/", views.export_start, name="export"),
    path("jobs/<int:job_id>/", views.job_detail, name="job"),
    path("jobs/<int:job_id>/download/", views.job_download, name="download"),
]
