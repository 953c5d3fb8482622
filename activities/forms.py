"""Forms: validation of shape and layout only; rules live in services."""

from __future__ import annotations

from crispy_forms.helper import FormHelper
from crispy_forms.layout import Div, Layout
from django import forms
from django.utils import timezone
from django.utils.functional import lazy
from django.utils.translation import gettext_lazy as _

from twinning.files import MAX_FILE_BYTES

from .choices import ActivityKind, Half, TaskProgress


class MultipleFileInput(forms.ClearableFileInput):
    allow_multiple_selected = True


class MultipleFileField(forms.FileField):
    """Several files under one name; content checks are the service's (twinning/files.py)."""

    def __init__(self, *args, **kwargs):
        kwargs.setdefault("widget", MultipleFileInput())
        kwargs.setdefault("required", False)
        super().__init__(*args, **kwargs)

    def clean(self, data, initial=None):
        if isinstance(data, (list, tuple)):
            return [super(MultipleFileField, self).clean(d, initial) for d in data if d]
        return [super().clean(data, initial)] if data else []


def _date_widget():
    return forms.DateInput(attrs={"type": "date"}, format="%Y-%m-%d")


def _photo_field(label):
    return MultipleFileField(
        label=label,
        widget=MultipleFileInput(attrs={"accept": "image/*", "capture": "environment", "multiple": True}),
        help_text=lazy(
            lambda: _("可直接拍照，可多选；JPG/PNG/WebP，每张不超过 %(mb)d MB。") % {"mb": MAX_FILE_BYTES // 2**20},
            str,
        )(),
    )


class BootstrapWidgets:
    """For a form its template lays out by hand (``activities/_field.html``) instead of crispy:
    Bootstrap's classes on the widgets, and ``is-invalid`` on a field with an error.

    The theme-day form is the month-end's busiest page; crispy's template per field made up
    two thirds of its time.
    """

    def style_widgets(self, large=()) -> None:
        for name, field in self.fields.items():
            classes = ["form-select" if isinstance(field.widget, forms.Select) else "form-control"]
            if name in large:
                classes.append("form-control-lg")
            field.widget.attrs["class"] = " ".join(classes)

    def add_error(self, field, error):
        super().add_error(field, error)
        for name in self.errors:
            widget = self.fields[name].widget if name in self.fields else None
            if widget is not None and "is-invalid" not in widget.attrs.get("class", ""):
                widget.attrs["class"] = f"{widget.attrs.get('class', '')} is-invalid".strip()


class ThemeDayForm(BootstrapWidgets, forms.Form):
    """Laid out in templates/activities/theme_day_form.html: one short form on a phone, the
    optional fields folded."""

    held_on = forms.DateField(label=_("活动日期"), widget=_date_widget())
    theme = forms.CharField(label=_("活动主题"), max_length=120)
    place = forms.CharField(label=_("活动地点"), max_length=120)
    helper_attendance = forms.IntegerField(label=_("帮扶支部参加人数"), min_value=0, initial=0)
    partner_attendance = forms.IntegerField(label=_("结对支部参加人数"), min_value=0, initial=0)
    summary = forms.CharField(label=_("活动内容"), required=False, widget=forms.Textarea(attrs={"rows": 3}))
    photos = _photo_field(_("活动照片"))
    attachments = MultipleFileField(
        label=_("附件（可选）"),
        widget=MultipleFileInput(attrs={"accept": ".pdf,.doc,.docx,.xls,.xlsx", "multiple": True}),
        help_text=lazy(lambda: _("PDF、Word、Excel，每个不超过 %(mb)d MB。") % {"mb": MAX_FILE_BYTES // 2**20}, str)(),
    )

    def __init__(self, *args, pairing, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["held_on"].initial = timezone.localdate()
        self.fields["helper_attendance"].label = _("%(name)s参加人数") % {"name": pairing.helper.name}
        self.fields["partner_attendance"].label = _("%(name)s参加人数") % {"name": pairing.partner.name}
        for name, branch in (("helper_attendance", pairing.helper), ("partner_attendance", pairing.partner)):
            self.fields[name].widget.attrs.update({"inputmode": "numeric", "max": branch.member_count})
            self.fields[name].help_text = _("党员 %(n)d 人") % {"n": branch.member_count}
        self.style_widgets(large=("held_on", "theme"))


class ReturnForm(forms.Form):
    reason = forms.CharField(label=_("退回原因"), max_length=300, widget=forms.Textarea(attrs={"rows": 2}))


class JointActivityForm(forms.Form):
    kind = forms.ChoiceField(label=_("活动类型"), choices=ActivityKind.choices)
    held_on = forms.DateField(label=_("活动日期"), widget=_date_widget())
    title = forms.CharField(label=_("活动名称"), max_length=120)
    participants = forms.IntegerField(label=_("参加人数"), min_value=0, initial=0)
    persons_visited = forms.IntegerField(
        label=_("走访慰问人数"), min_value=0, initial=0, help_text=_("走访慰问类活动填写")
    )
    summary = forms.CharField(label=_("活动内容"), required=False, widget=forms.Textarea(attrs={"rows": 3}))

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["held_on"].initial = timezone.localdate()
        self.helper = FormHelper()
        self.helper.form_tag = False


class KeyTaskListForm(forms.Form):
    region = forms.ModelChoiceField(label=_("区域"), queryset=None)
    year = forms.IntegerField(label=_("年度"), min_value=2000, max_value=2100)
    half = forms.TypedChoiceField(label=_("半年"), choices=Half.choices, coerce=int)

    def __init__(self, *args, regions, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["region"].queryset = regions
        today = timezone.localdate()
        self.fields["year"].initial = today.year
        self.fields["half"].initial = Half.FIRST if today.month <= 6 else Half.SECOND
        if regions.count() == 1:
            self.fields["region"].initial = regions.first()
        self.helper = FormHelper()
        self.helper.form_tag = False
        self.helper.layout = Layout(
            Div(
                Div("region", css_class="col-md-4"),
                Div("year", css_class="col-6 col-md-4"),
                Div("half", css_class="col-6 col-md-4"),
                css_class="row",
            )
        )


class KeyTaskItemForm(forms.Form):
    title = forms.CharField(label=_("任务"), max_length=120, required=False)
    description = forms.CharField(label=_("任务说明"), required=False, widget=forms.Textarea(attrs={"rows": 2}))
    due_on = forms.DateField(label=_("完成时限"), required=False, widget=_date_widget())

    def clean(self):
        data = super().clean()
        if data.get("title") and not data.get("due_on"):
            self.add_error("due_on", _("请填写完成时限。"))
        return data


KeyTaskItemFormSet = forms.formset_factory(KeyTaskItemForm, extra=5, max_num=20)


class KeyTaskReportForm(forms.Form):
    status = forms.ChoiceField(label=_("进展"), choices=TaskProgress.choices, widget=forms.RadioSelect)
    note = forms.CharField(label=_("进展说明"), required=False, widget=forms.Textarea(attrs={"rows": 2}))
    photos = _photo_field(_("佐证照片"))

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.helper = FormHelper()
        self.helper.form_tag = False
