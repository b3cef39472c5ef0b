"""API of Excel registers: templates, exports and imports as background jobs (/api/v1/excel/...)."""

from ninja import File, Form, Router, Status
from ninja.files import UploadedFile
from ninja.pagination import paginate

from core.api import ERRORS, PageNumber

from . import selectors, services
from .schemas import ExcelJobOut, ExportIn, RegisterOut
from .views import result_response, template_response

router = Router(tags=["excel"])



@router.get("/excel/registers", response=list[RegisterOut], summary="Registers I can export or import")
def list_registers(request):
    return [
        {"name": reg.name, "title": str(reg.title), "can_import": reg.can_import,
         "columns": [str(c.header) for c in reg.columns]}
        for reg in selectors.registers_for(user=request.user)
    ]


@router.get("/excel/registers/{register_name}/template", response={200: None, **ERRORS}, summary="Blank workbook to fill in")
def download_template(request, register_name: str):
    return template_response(selectors.register_get(user=request.user, name=register_name), user=request.user)


@router.post("/excel/exports", response={202: ExcelJobOut, **ERRORS}, summary="Export a register (background job)")
def start_export(request, payload: ExportIn):
    selectors.register_get(user=request.user, name=payload.register_name)
    return Status(202, services.excel_export_start(actor=request.user, register_name=payload.register_name, params=payload.params))


@router.post("/excel/imports", response={202: ExcelJobOut, **ERRORS}, summary="Import a workbook (all or nothing)")
def start_import(request, register_name: Form[str], file: File[UploadedFile]):
    selectors.register_get(user=request.user, name=register_name)
    return Status(202, services.excel_import_start(actor=request.user, register_name=register_name, upload=file))


@router.get("/excel/jobs", response=list[ExcelJobOut], summary="My imports and exports")
@paginate(PageNumber)
def list_jobs(request):
    return selectors.excel_job_list(user=request.user)


@router.get("/excel/jobs/{job_id}", response={200: ExcelJobOut, **ERRORS})
def get_job(request, job_id: int):
    return selectors.excel_job_get(user=request.user, pk=job_id)


@router.get("/excel/jobs/{job_id}/download", response={200: None, **ERRORS}, summary="The exported workbook, or an import's workbook with its problems marked")
def download_job(request, job_id: int):
    return result_response(selectors.excel_job_get(user=request.user, pk=job_id))
