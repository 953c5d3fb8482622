"""Forms of 双报到、双服务: validation of input and crispy layout only; rules live in services."""

from __future__ import annotations

from crispy_forms.helper import FormHelper
from crispy_forms.layout import Submit
from django import forms
from django.utils import timezone
from django.utils.functional import lazy
from django.utils.translation import gettext_lazy as _

from twinning.files import MAX_FILE_BYTES

from .models import Project, Whistle, Wish


class _CrispyMixin:
    """A crispy helper with one submit button (``submit_label``); ``multipart`` for file fields."""

    submit_label = _("提交")
    multipart = False

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.helper = FormHelper()
        self.helper.add_input(Submit("submit", self.submit_label))
        if self.multipart:
            self.helper.form_enctype = "multipart/form-data"


class CommunityChoiceField(forms.ModelChoiceField):
    def label_from_instance(self, obj) -> str:
        place = " · ".join(str(r) for r in (obj.county, obj.township) if r)
        return f"{obj.name}（{place}）" if place else obj.name


class _RegistrationForm(_CrispyMixin, forms.Form):
    """A registration at one of ``communities`` (a ``community`` field the subclass labels)."""

    submit_label = _("提交报到")

    def __init__(self, *args, communities, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["community"].queryset = communities


class MemberRegistrationForm(_RegistrationForm):
    community = CommunityChoiceField(label=_("居住地社区"), queryset=None)
    skills = forms.CharField(label=_("特长"), max_length=200, required=False, help_text=_("如：法律、医疗、教育、文艺"))
    preferences = forms.CharField(
        label=_("服务意向"), max_length=200, required=False, help_text=_("如：关爱空巢老人、政策宣传")
    )


class UnitRegistrationForm(_RegistrationForm):
    multipart = True

    community = CommunityChoiceField(label=_("报到社区"), queryset=None)
    agreement = forms.FileField(
        label=_("共驻共建协议"), required=False, help_text=_("可选：签订的协议 PDF 或照片，不超过 10 MB")
    )


class ProjectForm(_CrispyMixin, forms.ModelForm):
    submit_label = _("发布项目")

    class Meta:
        model = Project
        fields = ["title", "category", "description", "place", "starts_on", "ends_on", "places", "claimants"]
        widgets = {
            "starts_on": forms.DateInput(attrs={"type": "date"}),
            "ends_on": forms.DateInput(attrs={"type": "date"}),
            "description": forms.Textarea(attrs={"rows": 3}),
        }


class WishForm(_CrispyMixin, forms.ModelForm):
    submit_label = _("录入心愿")

    class Meta:
        model = Wish
        fields = ["title", "resident_name", "description"]
        widgets = {"description": forms.Textarea(attrs={"rows": 3})}


class WishFulfilForm(_CrispyMixin, forms.Form):
    submit_label = _("提交圆梦情况")

    note = forms.CharField(label=_("圆梦情况"), widget=forms.Textarea(attrs={"rows": 3}))
    photo = forms.FileField(
        label=_("圆梦照片"),
        help_text=lazy(lambda: _("JPG、PNG 或 WebP 照片，不超过 %(mb)d MB") % {"mb": MAX_FILE_BYTES // 2**20}, str)(),
    )
    multipart = True


class WhistleForm(_CrispyMixin, forms.ModelForm):
    submit_label = _("吹哨")

    class Meta:
        model = Whistle
        fields = ["kind", "title", "description", "place", "happens_on", "places"]
        widgets = {
            "happens_on": forms.DateInput(attrs={"type": "date"}),
            "description": forms.Textarea(attrs={"rows": 3}),
        }


class AssignForm(forms.Form):
    registration = forms.ModelChoiceField(label=_("指定认领方"), queryset=None)

    def __init__(self, *args, registrations, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["registration"].queryset = registrations
        self.fields["registration"].label_from_instance = lambda r: r.claimant_label


class HourEntryForm(_CrispyMixin, forms.Form):
    """``target`` is "project:<id>", "wish:<id>" or "whistle:<id>" from the member's own claims."""

    submit_label = _("提交时长")

    target = forms.ChoiceField(label=_("服务事项"))
    served_on = forms.DateField(label=_("服务日期"), widget=forms.DateInput(attrs={"type": "date"}))
    starts_at = forms.TimeField(label=_("开始时间"), widget=forms.TimeInput(attrs={"type": "time"}))
    ends_at = forms.TimeField(label=_("结束时间"), widget=forms.TimeInput(attrs={"type": "time"}))
    description = forms.CharField(label=_("服务内容"), max_length=300, widget=forms.Textarea(attrs={"rows": 2}))

    def __init__(self, *args, targets: list[tuple[str, str]], **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["target"].choices = [("", _("请选择"))] + targets
        self.fields["served_on"].initial = timezone.localdate()


class ReasonForm(forms.Form):
    reason = forms.CharField(label=_("原因"), max_length=200, required=False)
