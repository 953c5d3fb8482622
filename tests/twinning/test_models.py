"""FastChoiceDisplay: the same labels as Django's get_<field>_display, in the active language."""

from django.utils import translation

from pairing.choices import BranchKind
from pairing.models import Branch


def test_choice_labels_follow_the_active_language_and_unknown_values_pass_through():
    branch = Branch(kind=BranchKind.VILLAGE)
    with translation.override("zh-hans"):
        chinese, expected_chinese = branch.get_kind_display(), str(BranchKind.VILLAGE.label)
    with translation.override("en"):
        english, expected_english = branch.get_kind_display(), str(BranchKind.VILLAGE.label)
    assert (chinese, english) == (expected_chinese, expected_english)
    assert chinese != english
    branch.kind = "not-a-kind"
    assert branch.get_kind_display() == "not-a-kind"
