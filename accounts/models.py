"""Users and their roles. Who may see what is decided in ``pairing.scope``."""

from django.contrib.auth.models import AbstractUser
from django.db import models
from django.db.models import Q
from django.utils.translation import gettext_lazy as _

from pairing.choices import BRANCH_SCOPED_ROLES, REGION_SCOPED_ROLES, Role


class User(AbstractUser):
    """A portal user. Staff and leaders are scoped to a region (a city or a county);
    secretaries to their branch; an in-service member to themself."""

    display_name = models.CharField(_("姓名"), max_length=50, blank=True)
    role = models.CharField(_("角色"), max_length=32, choices=Role.choices, blank=True)
    region = models.ForeignKey(
        "pairing.Region",
        verbose_name=_("管辖区域"),
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="+",
    )
    branch = models.ForeignKey(
        "pairing.Branch",
        verbose_name=_("所在支部"),
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="users",
    )
    unit = models.ForeignKey(
        "pairing.Unit", verbose_name=_("工作单位"), null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    phone = models.CharField(_("手机号"), max_length=20, blank=True)

    class Meta:
        verbose_name = _("用户")
        verbose_name_plural = _("用户")
        constraints = [
            models.CheckConstraint(
                condition=~Q(role__in=list(REGION_SCOPED_ROLES)) | Q(region__isnull=False),
                name="user_region_role_has_region",
            ),
            models.CheckConstraint(
                condition=~Q(role__in=list(BRANCH_SCOPED_ROLES)) | Q(branch__isnull=False),
                name="user_branch_role_has_branch",
            ),
        ]

    def __str__(self) -> str:
        return self.display_name or self.username

    @property
    def label(self) -> str:
        return self.display_name or self.username


class Notice(models.Model):
    """An in-app notice to one user (reminders, whistles, confirmations to do)."""

    user = models.ForeignKey(User, verbose_name=_("接收人"), on_delete=models.CASCADE, related_name="notices")
    title = models.CharField(_("标题"), max_length=120)
    body = models.TextField(_("内容"), blank=True)
    url = models.CharField(_("链接"), max_length=300, blank=True)
    kind = models.CharField(_("类别"), max_length=40, blank=True)
    key = models.CharField(
        _("去重键"), max_length=120, blank=True, help_text=_("同一用户同一键只通知一次，使定时任务可以安全重跑")
    )
    created_at = models.DateTimeField(_("时间"), auto_now_add=True)
    read_at = models.DateTimeField(_("已读时间"), null=True, blank=True)

    class Meta:
        verbose_name = _("通知")
        verbose_name_plural = _("通知")
        ordering = ["-created_at", "-id"]
        constraints = [
            models.UniqueConstraint(fields=["user", "key"], condition=~Q(key=""), name="notice_unique_key_per_user")
        ]
        indexes = [models.Index(fields=["user", "read_at"])]

    def __str__(self) -> str:
        return self.title
