"""The roster upload form: a size limit and an extension hint; the content is checked by the reader."""

from __future__ import annotations

from django import forms
from django.utils.translation import gettext_lazy as _

from .roster.imports import MAX_UPLOAD_BYTES


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
        if upload.size > MAX_UPLOAD_BYTES:
            raise forms.ValidationError(
                _("文件超过 %(max)d MB 的上限，请分批导入。") % {"max": MAX_UPLOAD_BYTES // (1024 * 1024)}
            )
        if not upload.name.lower().endswith(".xlsx"):
            raise forms.ValidationError(_("请上传 .xlsx 格式的 Excel 文件（旧版 .xls 请先另存为 .xlsx）。"))
        return upload
