"""Helpers shared by every module's forms."""

from django import forms

from .errors import ApplicationError, NotFound


def add_error_to_form(form: forms.Form, error: ApplicationError) -> None:
    """Show a service's refusal on the form: on its fields where it names them, on top otherwise."""
    placed = False
    for field, messages in error.fields.items():
        target = field if field in form.fields else None
        for message in messages:
            form.add_error(target, message)
        placed = True
    if not placed or not error.fields:
        form.add_error(None, error.message)


def step_forms(request, steps: dict) -> tuple[dict, str | None, forms.Form | None]:
    """The forms of the steps a page offers the user now (``{step: form class or None}``), blank; on a
    POST, also the step asked for (``step`` in the data) and its form bound to the data. A step that
    is not open to the user is "not found"."""
    blank = {step: form_class(prefix=step) for step, form_class in steps.items() if form_class is not None}
    if request.method != "POST":
        return blank, None, None
    step = request.POST.get("step")
    if step not in steps:
        raise NotFound()
    form = steps[step](request.POST, request.FILES, prefix=step) if steps[step] else None
    if form is not None:
        blank[step] = form
    return blank, step, form


def date_input() -> forms.DateInput:
    """The browser's date picker; its value must be ISO (2026-05-01) whatever the language."""
    return forms.DateInput(format="%Y-%m-%d", attrs={"type": "date"})


def time_input(step_minutes: int = 5) -> forms.TimeInput:
    """The browser's time picker, 24-hour values (19:30)."""
    return forms.TimeInput(format="%H:%M", attrs={"type": "time", "step": step_minutes * 60})


class BootstrapMixin:
    """Give every widget Bootstrap's classes, so templates can render fields plainly."""

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.style_widgets()

    def style_widgets(self) -> None:
        """Give the classes to every field's widget that has none; a form adding fields later calls it again."""
        for field in self.fields.values():
            widget = field.widget
            if isinstance(widget, forms.CheckboxInput):
                widget.attrs.setdefault("class", "form-check-input")
            elif isinstance(widget, forms.Select | forms.SelectMultiple):
                widget.attrs.setdefault("class", "form-select")
            else:
                widget.attrs.setdefault("class", "form-control")
