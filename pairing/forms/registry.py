"""Registry forms: validation and crispy layout only; writes go through services."""

from __future__ import annotations

from crispy_forms.helper import FormHelper
from crispy_forms.layout import Column, Layout, Row, Submit
from crispy_forms.utils import render_crispy_form
from django import forms
from django.utils import timezone
from django.utils.translation import get_language
from django.utils.translation import gettext_lazy as _

from twinning.memo import memoized

from ..choices import Grade, OptimisationAction
from ..models import BRANCH_EDITABLE_FIELDS, Branch, OptimisationCampaign
from ..selectors import registry as registry_selectors


class BranchForm(forms.ModelForm):
    """The branch's rules are the model's (``Branch.clean``) and the service's (who may place it where)."""

    class Meta:
        model = Branch
        fields = BRANCH_EDITABLE_FIELDS

    def __init__(self, *args, user, **kwargs):
        super().__init__(*args, **kwargs)
        self.user = user
        self.fields["county"].queryset = registry_selectors.counties_visible(user=user)
        self.fields["township"].queryset = registry_selectors.townships_visible(user=user)
        self.fields["township"].label_from_instance = lambda r: f"{r.parent.name} · {r.name}"
        self.fields["unit"].queryset = registry_selectors.units_visible(user=user)
        if user.region and user.region.level == "county":
            self.fields["county"].required = True
            self.fields["county"].empty_label = None
        self.helper = FormHelper()
        self.helper.layout = Layout(
            Row(Column("code", css_class="col-md-4"), Column("name", css_class="col-md-8")),
            Row(Column("kind", css_class="col-md-4"), Column("level", css_class="col-md-4")),
            Row(Column("county", css_class="col-md-4"), Column("township", css_class="col-md-4")),
            "unit",
            Row(
                Column("secretary_name", css_class="col-md-4"),
                Column("secretary_phone", css_class="col-md-4"),
                Column("member_count", css_class="col-md-4"),
            ),
            Submit("submit", _("保存")),
        )

    def clean_code(self):
        code = self.cleaned_data["code"].strip()
        if not code:
            raise forms.ValidationError(_("请填写支部编码。"))
        return code


class GradeBulkForm(forms.Form):
    """Grade several branches (ticked on the list page) for a year."""

    year = forms.IntegerField(label=_("年度"), min_value=2000, max_value=2100)
    grade = forms.ChoiceField(label=_("等次"), choices=Grade.choices)
    branches = forms.ModelMultipleChoiceField(label=_("支部"), queryset=Branch.objects.none())

    def __init__(self, *args, user, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["branches"].queryset = registry_selectors.branch_list(user=user)
        self.fields["branches"].error_messages["required"] = _("请至少勾选一个支部。")
        self.fields["year"].initial = registry_selectors.current_year()

    def clean_year(self):
        year = self.cleaned_data["year"]
        if year > timezone.localdate().year + 1:
            raise forms.ValidationError(_("年度不能超过明年。"))
        return year


class OptimisationForm(forms.Form):
    campaign = forms.ModelChoiceField(label=_("优化批次"), queryset=OptimisationCampaign.objects.none())
    action = forms.ChoiceField(label=_("优化内容"), choices=OptimisationAction.choices)
    done_on = forms.DateField(label=_("完成日期"), widget=forms.DateInput(attrs={"type": "date"}))
    note = forms.CharField(label=_("说明"), max_length=300, required=False)

    def __init__(self, *args, branch: Branch, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["campaign"].queryset = OptimisationCampaign.objects.filter(city_id=branch.city_id)
        self.fields["campaign"].initial = registry_selectors.current_optimisation_campaign(city_id=branch.city_id)
        self.helper = FormHelper()
        self.helper.layout = Layout(
            Row(Column("campaign", css_class="col-md-6"), Column("action", css_class="col-md-6")),
            Row(Column("done_on", css_class="col-md-4"), Column("note", css_class="col-md-8")),
            Submit("submit", _("添加优化记录"), css_class="btn-sm"),
        )

    def clean_done_on(self):
        done_on = self.cleaned_data["done_on"]
        if done_on > timezone.localdate():
            raise forms.ValidationError(_("完成日期不能晚于今天。"))
        return done_on


def optimisation_form_stamp(*, branch: Branch) -> tuple:
    """What the optimisation form's fields move with: the city's campaigns (their only varying choices)."""
    return registry_selectors.optimisation_campaigns(city_id=branch.city_id)


# Crispy-forms drew these fields through Django templates in ~4 ms, a fifth of the branch page: drawn
# once per language and city's campaigns. Kept as HTML (the one rendered fragment memoised besides the
# dashboard's), beside the form it draws rather than in a selector, which would import the forms.
@memoized(key=lambda *, branch: (get_language(), branch.city_id), stamp=optimisation_form_stamp, size=256, ttl=3600)
def optimisation_form_fields(*, branch: Branch) -> str:
    """The optimisation form's fields as crispy draws them, without the <form> tag and CSRF token
    (the page's, branch_detail.html)."""
    form = OptimisationForm(branch=branch)
    form.helper.form_tag = False
    form.helper.disable_csrf = True
    return render_crispy_form(form)
