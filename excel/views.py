"""Pages of Excel registers: download a template, export, upload an import, follow its progress."""

import io

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.paginator import Paginator
from django.http import FileResponse, HttpResponse
from django.shortcuts import redirect, render
from django.utils.http import content_disposition_header
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST

from core.errors import ApplicationError, NotFound
from core.uploads import open_stored

from . import selectors, services
from .forms import ImportForm
from .workbooks import safe_file_name, write_template

XLSX = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"


@login_required
def job_list(request):
    registers = selectors.registers_for(user=request.user)
    if not registers:
        raise NotFound()
    return render(request, "excel/job_list.html", {
        "registers": registers,
        "page": Paginator(selectors.excel_job_list(user=request.user), 20).get_page(request.GET.get("page")),
    })


def template_response(reg, *, user) -> HttpResponse:
    """The register's blank workbook for this user as a download (used by the page and the API)."""
    buffer = io.BytesIO()
    write_template(buffer, reg, user=user)
    response = HttpResponse(buffer.getvalue(), content_type=XLSX)
    response["Content-Disposition"] = content_disposition_header(True, safe_file_name(str(reg.title), _("template")))
    return response


def result_response(job) -> FileResponse:
    """A job's file (the export, or an import's marked workbook) under the name a person saves it as."""
    if not job.result:
        raise NotFound(_("This job has no file to download (yet)."))
    return FileResponse(open_stored(job.result), as_attachment=True, filename=job.download_name, content_type=XLSX)


@login_required
def template(request, register_name: str):
    return template_response(selectors.register_get(user=request.user, name=register_name), user=request.user)


@login_required
@require_POST
def export_start(request, register_name: str):
    reg = selectors.register_get(user=request.user, name=register_name)
    params = {"within": request.POST["within"]} if request.POST.get("within") else {}
    job = services.excel_export_start(actor=request.user, register_name=reg.name, params=params)
    messages.info(request, _("Export queued. The file appears here when it is ready."))
    return redirect("excel:job", job_id=job.pk)


@login_required
@require_POST
def import_start(request):
    form = ImportForm(request.POST, request.FILES)
    if not form.is_valid():
        messages.error(request, _("Choose a workbook to upload."))
        return redirect("excel:jobs")
    reg = selectors.register_get(user=request.user, name=form.cleaned_data["register"])
    try:
        job = services.excel_import_start(actor=request.user, register_name=reg.name, upload=form.cleaned_data["file"])
    except ApplicationError as error:
        for messages_ in error.fields.values():
            for message in messages_:
                messages.error(request, message)
        if not error.fields:
            messages.error(request, error.message)
        return redirect("excel:jobs")
    return redirect("excel:job", job_id=job.pk)


@login_required
def job_detail(request, job_id: int):
    job = selectors.excel_job_get(user=request.user, pk=job_id)
    template_name = "excel/partials/job_status.html" if request.htmx else "excel/job_detail.html"
    return render(request, template_name, {
        "job": job, "live": job.live_progress(),
        "page": Paginator(job.errors, 50).get_page(request.GET.get("page")) if job.errors else None,
    })


@login_required
def job_download(request, job_id: int):
    return result_response(selectors.excel_job_get(user=request.user, pk=job_id))
