from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class FollowupsConfig(AppConfig):
    name = "careloop.followups"
    label = "followups"
    verbose_name = _("Follow-up")

    def ready(self) -> None:
        from careloop.core import events

        events.declare("followup.task_done", _("Follow-up task completed"))
        events.declare("followup.record_signed", _("Follow-up record signed"))
        from careloop.audit import actions as audit_actions

        for name, zh, en, obj in (
            ('encounter.view', '查看就诊记录', 'Encounter viewed', 'followups.encounter'),
            ('escalation.list', '查看问题上报', 'Escalations listed', ''),
            ('followup_record.view', '查看随访记录', 'Follow-up record viewed', 'followups.followuprecord'),
            ('followup_task.attempts', '查看呼叫记录', 'Call attempts viewed', 'followups.followuptask'),
            ('followup_task.view', '查看随访任务', 'Follow-up task viewed', 'followups.followuptask'),
            ('followup_task.worklist', '查看随访工作单', 'Worklist viewed', ''),
            ('followups.client_changed', '客户变更后调整随访', 'Follow-ups re-planned', ''),
            ('followups.resumed', '恢复随访', 'Follow-ups resumed', ''),
            ('followups.suspended', '暂停随访', 'Follow-ups suspended', ''),
            ('followups.messages_due', '随访规则消息交付发送', 'Rule messages handed to the outbox', ''),
        ):
            audit_actions.register(name, zh, en, obj)
        from careloop.clients import scope, timeline
        from careloop.core import nav
        from careloop.followups.permissions import task_client_ids
        from careloop.followups.selectors import timeline_entries

        timeline.register("followups", timeline_entries)
        scope.register("followups", task_client_ids)

        from careloop.clients import services as client_services
        from careloop.followups.services import lifecycle

        for registry, hook in ((client_services.STATUS_CHANGED_HOOKS, lifecycle.client_status_changed),
                               (client_services.CONSENT_WITHDRAWN_HOOKS, lifecycle.consent_withdrawn),
                               (client_services.CONSENT_GIVEN_HOOKS, lifecycle.consent_given),
                               (client_services.TIERS_CHANGED_HOOKS, lifecycle.clients_tiers_changed)):
            if hook not in registry:
                registry.append(hook)

        nav.register(_("Worklist"), "followups:worklist", "work_followups", order=5)
        nav.register(_("Problems and consultations"), "followups:escalations", ("consult", "work_followups"), order=15)
        nav.register(_("Follow-up rules"), "followups:rules", "manage_rules", order=80)
