"""The roster upload form: the one upload check (size, a real xlsx workbook) with the roster's own words,
and an extension hint; the rows are checked by the reader."""

from __future__ import annotations

from django import forms
from django.utils.translation import gettext_lazy as _

from twinning import files

ROSTERS = files.Accept(
    frozenset({"xlsx"}),
    _("该文件不是 Excel 工作簿（.xlsx），请用 Excel 或 WPS 另存为 .xlsx 后再上传。"),
    too_large=_("文件超过 %(max)d MB 的上限，请分批导入。"),
)


class RosterUploadForm(forms.Form):
    file = forms.FileField(
        label=_("支部名册（.xlsx）"),
        help_text=_("请使用下载的模板填写，文件不超过 10 MB。"),
        widget=forms.ClearableFileInput(
            attrs={"accept": ".xlsx,application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"}
        ),
    )

    def clean_file(self):
        upload = self.cleaned_data["file"]
        if not upload.name.lower().endswith(".xlsx"):
            raise forms.ValidationError(_("请上传 .xlsx 格式的 Excel 文件（旧版 .xls 请先另存为 .xlsx）。"))
        files.upload_check(upload, accept=ROSTERS)
        return upload
