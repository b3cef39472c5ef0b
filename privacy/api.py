"""API of a person's own data: /api/v1/me/personal-data (a copy, 个人信息保护法 第四十五条) and
/api/v1/me/close (closing a resident's account, 第四十七条)."""

from django.contrib.auth import logout
from django.utils import timezone
from django.utils.translation import gettext as _
from ninja import Router

from core.api import ERRORS
from core.errors import ValidationFailed

from . import services
from .schemas import AccountClosedOut, AccountCloseIn, PersonalDataOut
from .selectors import personal_data_sections

router = Router(tags=["privacy"])


@router.get("/me/personal-data", response={200: PersonalDataOut, **ERRORS}, summary="Everything the platform keeps of me")
def my_personal_data(request):
    now = timezone.now()
    document = services.personal_data_document(request.user, personal_data_sections(user=request.user, whole=True), now)
    return {**document, "made_at": now}


@router.post("/me/close", response={200: AccountClosedOut, **ERRORS}, summary="Close my account (residents), confirming with my password")
def close_my_account(request, payload: AccountCloseIn):
    if not payload.understood:
        message = _("Confirm that a closed account cannot be opened again.")
        raise ValidationFailed(message, fields={"understood": [message]})
    now = timezone.now()
    services.account_close(actor=request.user, password=payload.password, now=now)
    if getattr(request, "session", None) is not None and request.user.is_authenticated:
        logout(request)
    return {"closed_at": now, "kept": [str(line) for line in services.KEPT]}
