"""Forms of the pairing pages: validation and crispy layout only; writes go through services."""

from __future__ import annotations

import random

from crispy_forms.helper import FormHelper
from crispy_forms.layout import Submit
from django import forms
from django.utils.translation import gettext_lazy as _

from ..choices import PairingMethod, PairingStatus
from ..models import Branch
from ..selectors import coverage as coverage_selectors
from ..selectors import draws as draw_selectors
from ..selectors import pairings as pairing_selectors
from ..selectors import registry as registry_selectors

SEED_MAX = 10**9


def new_seed() -> int:
    return random.SystemRandom().randrange(1, SEED_MAX)


def _helper(submit_label, css_class: str = "btn-primary") -> FormHelper:
    helper = FormHelper()
    button = Submit("submit", submit_label)
    # Submit always carries btn-primary; replace it rather than stack a second colour on it.
    button.field_classes = f"btn {css_class}"
    helper.add_input(button)
    return helper


class PairingFilterForm(forms.Form):
    county = forms.ModelChoiceField(label=_("县区"), queryset=None, required=False)
    status = forms.ChoiceField(label=_("状态"), choices=[("", _("全部")), *PairingStatus.choices], required=False)
    method = forms.ChoiceField(label=_("结对方式"), choices=[("", _("全部")), *PairingMethod.choices], required=False)
    double = forms.ChoiceField(
        label=_("一帮二"),
        choices=[("", _("全部")), ("yes", _("仅一帮二")), ("review", _("待审核一帮二"))],
        required=False,
    )

    def __init__(self, *args, user, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["county"].queryset = registry_selectors.counties_visible(user=user)


class DrawForm(forms.Form):
    region = forms.ChoiceField(label=_("抽签范围"))
    seed = forms.IntegerField(
        label=_("随机种子"), min_value=0, max_value=2**62, help_text=_("默认随机生成；记下种子可以复核抽签结果")
    )

    def __init__(self, *args, user, **kwargs):
        super().__init__(*args, **kwargs)
        self.regions = {str(r.pk): r for r in draw_selectors.draw_regions(user=user)}
        self.fields["region"].choices = [
            (pk, _("%(name)s（市直单位联中心城区社区）") % {"name": r.name} if r.level == "city" else r.name)
            for pk, r in self.regions.items()
        ]
        self.fields["seed"].initial = new_seed()

    def clean_region(self):
        return self.regions[self.cleaned_data["region"]]


class PairingCreateForm(forms.Form):
    partner = forms.ModelChoiceField(label=_("结对支部（村/社区）"), queryset=None)
    helper = forms.ModelChoiceField(label=_("帮扶支部（机关/企事业）"), queryset=None)
    allow_second = forms.BooleanField(
        label=_("允许一帮二"), required=False, help_text=_("该帮扶支部已有结对时，作为第二个结对")
    )

    def __init__(self, *args, user, partner: Branch | None = None, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["partner"].queryset = coverage_selectors.uncovered_partners(user=user)
        self.fields["helper"].queryset = pairing_selectors.helpers_for(user=user, partner=partner)
        self.fields["helper"].label_from_instance = lambda b: f"{b.name}（{b.code}）"
        self.fields["partner"].label_from_instance = lambda b: f"{b.name}（{b.code}）"
        if partner is not None:
            self.fields["partner"].initial = partner.pk
        self.helper = _helper(_("确认结对"))


class DissolveForm(forms.Form):
    reason = forms.CharField(label=_("解除原因"), max_length=300, widget=forms.TextInput)

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.helper = _helper(_("解除结对"), "btn-outline-danger")


class RepairForm(forms.Form):
    helper = forms.ModelChoiceField(label=_("新的帮扶支部"), queryset=None)
    reason = forms.CharField(label=_("调整原因"), max_length=300)
    allow_second = forms.BooleanField(label=_("允许一帮二"), required=False)

    def __init__(self, *args, user, pairing, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["helper"].queryset = pairing_selectors.helpers_for(user=user, partner=pairing.partner).exclude(
            pk=pairing.helper_id
        )
        self.fields["helper"].label_from_instance = lambda b: f"{b.name}（{b.code}）"
        self.helper = _helper(_("重新结对"), "btn-outline-primary")


class SwapForm(forms.Form):
    other_partner = forms.CharField(
        label=_("交换对象的结对支部编码"), max_length=40, help_text=_("与该支部当前的结对交换结对支部")
    )
    reason = forms.CharField(label=_("调整原因"), max_length=300)

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.helper = _helper(_("交换结对支部"), "btn-outline-primary")


class PeopleForm(forms.Form):
    liaison_officers = forms.CharField(label=_("联络员"), max_length=300, required=False)
    part_time_secretary = forms.CharField(label=_("兼职书记"), max_length=100, required=False)
    invited_members = forms.CharField(label=_("特邀委员"), max_length=300, required=False)

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.helper = _helper(_("保存"))


class AgreementForm(forms.Form):
    agreement = forms.FileField(label=_("联建协议"), help_text=_("PDF 或 JPG/PNG 图片，不超过 10 MB"))

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.helper = _helper(_("上传"))
