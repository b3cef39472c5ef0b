"""Pages of a person's own data (我的个人信息): what Linli keeps of them, a copy to download, closing the account."""

import io

from django.contrib.auth import logout
from django.contrib.auth.decorators import login_required
from django.http import FileResponse
from django.shortcuts import redirect, render
from django.views.decorators.http import require_POST

from core.errors import ApplicationError
from core.forms import add_error_to_form
from core.views import public

from . import selectors, services
from .forms import CloseForm

SHOWN_ROWS = 50  # a section shows its first rows; the copy holds them all


def _page(request, form):
    sections = selectors.personal_data_sections(user=request.user)
    for section in sections:  # each row as "column: value" lines, which a phone reads better than a wide table
        section.cards = [[(c, v) for c, v in zip(section.columns, row, strict=True) if v] for row in section.rows[:SHOWN_ROWS]]
    return render(request, "privacy/mine.html", {
        "sections": sections, "form": form, "may_close": selectors.may_close_account(request.user),
        "kept": services.KEPT, "removed": services.REMOVED, "shown_rows": SHOWN_ROWS, "tab": "me"})


@login_required
def mine(request):
    """What Linli keeps of me, module by module, with the copy to download and closing the account."""
    return _page(request, CloseForm())


@login_required
def download(request):
    name, content = services.personal_data_archive(actor=request.user)
    return FileResponse(io.BytesIO(content), as_attachment=True, filename=name, content_type="application/zip")


@login_required
@require_POST
def close(request):
    form = CloseForm(request.POST)
    if form.is_valid():
        try:
            services.account_close(actor=request.user, password=form.cleaned_data["password"])
        except ApplicationError as error:
            add_error_to_form(form, error)
        else:
            logout(request)
            return redirect("privacy:closed")
    return _page(request, form)


@public
def closed(request):
    return render(request, "privacy/closed.html", {"kept": services.KEPT})
