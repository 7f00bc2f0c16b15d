from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class ChronicConfig(AppConfig):
    name = "careloop.chronic"
    label = "chronic"
    verbose_name = _("Chronic disease management")

    def ready(self) -> None:
        from careloop.audit import actions as audit_actions

        for name, zh, en in (
            ('chronic.adjustment_approve', '批准健康计划调整', 'Plan adjustment approved'),
            ('chronic.adjustment_reject', '驳回健康计划调整', 'Plan adjustment rejected'),
            ('chronic.adjustment_request', '申请调整健康计划', 'Plan adjustment requested'),
            ('chronic.critical_alert', '监测危急值预警', 'Monitoring critical alert'),
            ('chronic.diet_plan_create', '制定膳食计划', 'Diet plan written'),
            ('chronic.health_plan_create', '制定健康管理计划', 'Health plan written'),
            ('chronic.import', '导入监测记录', 'Monitoring logs imported'),
            ('chronic.letter', '书面告知客户', 'Written notice to the client'),
            ('chronic.log_create', '登记监测记录', 'Monitoring log recorded'),
            ('chronic.plan_create', '建立监测方案', 'Monitoring plan created'),
            ('chronic.read', '查看慢病管理', 'Chronic care viewed'),
            ('chronic.referral_create', '转诊专家', 'Referral to an expert'),
            ('chronic.reminder', '监测提醒', 'Monitoring reminder'),
            ('chronic.screening_enrol', '筛查对象纳入慢病管理', 'Screening candidate enrolled'),
            ('chronic.self_link_create', '生成自助填报链接', 'Self-entry link created'),
        ):
            audit_actions.register(name, zh, en)
        from careloop.chronic.timeline import monitoring_entries
        from careloop.clients import timeline
        from careloop.core import demo, nav

        nav.register(_("Chronic care"), "chronic:worklist", "view_results", order=55)
        nav.register(_("Plan reviews"), "chronic:adjustments", "consult", order=56)
        nav.register(_("Diet plans"), "chronic:diet-home", "diet_plans", order=57)
        nav.register(_("Screening candidates"), "chronic:screening", ("reassign_tasks", "consult"), order=58)
        if hasattr(nav, "register_home"):  # the nutritionist's home page, where the tree offers one
            nav.register_home("nutritionist", "chronic:diet-home", 10)
        timeline.register("chronic.monitoring", monitoring_entries)
        from careloop.chronic.timeline import plan_section
        from careloop.followups import preparation

        preparation.register_plan(plan_section)
        _name_openapi_enums()
        if _demo_chronic not in demo.extensions:
            demo.extensions.append(_demo_chronic)


def _demo_chronic(clients: list, rng: object, stdout: object) -> None:
    """`careloop demo`: hypertension and diabetes plans with months of logs, some out of control."""
    from careloop.chronic.demo import generate_chronic

    generate_chronic(clients, rng, stdout)


def _name_openapi_enums() -> None:
    from careloop.core.schema import name_enums

    name_enums({
        "ChronicConditionEnum": "careloop.chronic.models.Condition",
        "MonitoringFrequencyEnum": "careloop.chronic.models.Frequency",
        "MonitoringLogSourceEnum": "careloop.chronic.models.LogSource",
    })
