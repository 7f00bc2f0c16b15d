from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class QualityConfig(AppConfig):
    name = "careloop.quality"
    label = "quality"
    verbose_name = _("Staff quality")

    def ready(self) -> None:
        from careloop.audit import actions as audit_actions

        for name, zh, en in (
            ('quality.agreement.read', '查看保密协议', 'Agreement viewed'),
            ('quality.agreement.record', '登记保密协议', 'Agreement recorded'),
            ('quality.data.add', '新增质控数据', 'Quality data added'),
            ('quality.data.change', '修改质控数据', 'Quality data changed'),
            ('quality.finding.close', '关闭整改问题', 'Finding closed'),
            ('quality.finding.record', '登记督查问题', 'Finding recorded'),
            ('quality.period.draw', '抽取督查样本', 'Sample drawn'),
            ('quality.sample.read', '查看抽查记录', 'Sampled record viewed'),
            ('quality.sample.score', '评分抽查记录', 'Sampled record scored'),
            ('quality.training.attendance', '登记培训出勤', 'Training attendance'),
            ('quality.training.exam', '理论考试', 'Theory exam'),
            ('quality.training.practical', '实操考核', 'Practical assessment'),
            ('quality.training.score', '培训综合评分', 'Training score'),
            ('quality.training.task_done', '完成培训任务', 'Training task done'),
        ):
            audit_actions.register(name, zh, en)
        from careloop.core import demo, nav

        nav.register(_("Supervision"), "quality:home", "inspect", order=8)
        nav.register(_("Training"), "quality:training", None, order=94)
        nav.register(_("Quality findings"), "quality:findings", None, order=95)
        from careloop.quality import satisfaction

        satisfaction.register_servicedesk_if_installed()
        from careloop.clients import access
        from careloop.quality.agreements import access_check

        access.register(access_check)
        nav.register(_("Confidentiality agreements"), "quality:agreements", "manage_staff", order=88)
        from careloop.quality.demo import demo_agreements, demo_quality, demo_training

        for extension in (demo_quality, demo_training, demo_agreements):
            if extension not in demo.extensions:
                demo.extensions.append(extension)
