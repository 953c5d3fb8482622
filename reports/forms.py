from django import forms
from django.utils.translation import gettext_lazy as _

from .choices import Metric


class ThresholdForm(forms.Form):
    metric = forms.ChoiceField(choices=Metric.choices, widget=forms.HiddenInput)
    green_from = forms.DecimalField(label=_("绿色下限（%）"), min_value=0, max_value=100, decimal_places=2)
    amber_from = forms.DecimalField(label=_("黄色下限（%）"), min_value=0, max_value=100, decimal_places=2)

    def clean(self):
        data = super().clean()
        green, amber = data.get("green_from"), data.get("amber_from")
        if green is not None and amber is not None and amber > green:
            self.add_error("amber_from", _("黄色下限不能高于绿色下限。"))
        return data

    @property
    def metric_label(self) -> str:
        metric = self.initial.get("metric") or self.data.get(self.add_prefix("metric"))
        return Metric(metric).label if metric in Metric.values else ""  # a form past the six sent back


# One form per metric; a tampered count reads no more forms than that (Django's default is 1,000 more).
ThresholdFormSet = forms.formset_factory(
    ThresholdForm,
    extra=0,
    min_num=len(Metric.values),
    max_num=len(Metric.values),
    absolute_max=len(Metric.values),
)


class AssessmentWeightsForm(forms.ModelForm):
    """The six weights of the quarterly assessment; they must add up to 100."""

    class Meta:
        from .models import AssessmentWeights

        model = AssessmentWeights
        fields = list(AssessmentWeights.COMPONENTS)

    def clean(self):
        data = super().clean()
        values = [data.get(name) for name in self.Meta.fields]
        if all(v is not None for v in values) and sum(values) != 100:
            raise forms.ValidationError(_("各项权重之和必须为 100（现为 %(total)s）。"), params={"total": sum(values)})
        return data


class AssessmentExportForm(forms.Form):
    quarter = forms.ChoiceField(label=_("考核季度"))

    def __init__(self, *args, quarters: list, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["quarter"].choices = [(f"{q.year}Q{q.number}", q.label) for q in quarters]
