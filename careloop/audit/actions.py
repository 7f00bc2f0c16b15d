"""Every audit action, once: its name, its Chinese and English label, and the type of object it is about.

The audit screen shows the label in the reader's language; the raw name stays the filter key and what
is chained. An app that adds an action registers it here — for a new app, in its ``AppConfig.ready()``::

    from careloop.audit import actions
    actions.register("ticket.open", "开立工单", "Ticket opened", "servicedesk.ticket")

``tests/audit/test_actions.py`` fails when code writes an action that is not registered.
"""

from __future__ import annotations

from dataclasses import dataclass

from django.utils.translation import get_language


@dataclass(frozen=True)
class AuditAction:
    name: str
    label_zh: str
    label_en: str
    object_type: str = ""

    @property
    def label(self) -> str:
        return self.label_zh if (get_language() or "zh-hans").startswith("zh") else self.label_en


_actions: dict[str, AuditAction] = {}
# Prefixes of actions whose last part varies (admin.<model>.<verb>, client.assign.<kind>).
_prefixes: dict[str, AuditAction] = {}


def register(name: str, label_zh: str, label_en: str, object_type: str = "") -> None:
    action = AuditAction(name, label_zh, label_en, object_type)
    if name.endswith("."):
        _prefixes[name] = action
    else:
        _actions[name] = action


def get(name: str) -> AuditAction | None:
    if name in _actions:
        return _actions[name]
    for prefix, action in _prefixes.items():
        if name.startswith(prefix):
            return action
    return None


def label(name: str) -> str:
    """The action's label in the active language; an unregistered name is shown as it is."""
    action = get(name)
    return action.label if action is not None else name


def names() -> list[str]:
    return sorted(_actions) + sorted(_prefixes)


RESULTS = {
    "ok": ("成功", "ok"),
    "denied": ("拒绝", "denied"),
    "locked": ("已锁定", "locked"),
    "refused": ("已拒收", "refused"),
    "rejected": ("已驳回", "rejected"),
}


CHANNELS = {"web": ("网页", "web"), "api": ("接口", "API"), "cli": ("命令行", "command line"), "job": ("后台任务", "job")}


def _pick(pair: tuple[str, str]) -> str:
    return pair[0] if (get_language() or "zh-hans").startswith("zh") else pair[1]


def result_label(result: str) -> str:
    return _pick(RESULTS.get(result, (result, result)))


def channel_label(channel: str) -> str:
    return _pick(CHANNELS.get(channel, (channel, channel)))


# Object types whose models have no Chinese verbose name yet (a migration per app adds them; until then
# the audit screen takes the label from here). Model labels → (Chinese, English).
OBJECT_LABELS: dict[str, tuple[str, str]] = {
    "org.teammembership": ("小组成员", "team membership"),
    "clients.familylink": ("家庭关系", "family link"),
    "clients.enterprisemember": ("企业成员", "enterprise member"),
    "clients.statuschange": ("状态变更", "status change"),
    "followups.encounter": ("就诊记录", "encounter"),
    "followups.followuprule": ("随访规则", "follow-up rule"),
    "followups.followuptask": ("随访任务", "follow-up task"),
    "followups.callattempt": ("呼叫记录", "call attempt"),
    "followups.followuprecord": ("随访记录", "follow-up record"),
    "followups.recordaddendum": ("随访记录补充", "record addendum"),
    "followups.escalation": ("问题上报", "escalation"),
    "followups.serviceticket": ("服务工单", "service ticket"),
    "checkups.gradingrule": ("分级规则", "grading rule"),
    "checkups.columnmapping": ("列映射", "column mapping"),
    "checkups.importbatch": ("导入批次", "import batch"),
    "checkups.checkup": ("体检记录", "checkup"),
    "checkups.reportdelivery": ("报告送达", "report delivery"),
    "checkups.interpretation": ("报告解读", "interpretation"),
    "checkups.criticalalert": ("危急值预警", "critical alert"),
    "checkups.groupbooking": ("团检预约", "group booking"),
    "messaging.subscriptionchange": ("订阅变更", "subscription change"),
}


def object_label(object_type: str, model_label: str) -> str:
    """The object type's name in the reader's language: the model's verbose name when it is translated."""
    pair = OBJECT_LABELS.get(object_type)
    if pair is not None and (model_label.isascii() or not (get_language() or "zh-hans").startswith("zh")):
        return _pick(pair)
    return model_label


_DEFAULTS = [
    # accounts
    ("auth.login", "登录", "Sign-in", "org.user"),
    ("auth.unlock", "解锁账号", "Account unlocked", "org.user"),
    ("auth.totp.enable", "启用双因素认证", "Two-factor sign-in enabled", "org.user"),
    ("auth.totp.disable", "停用双因素认证", "Two-factor sign-in disabled", "org.user"),
    # org
    ("org.staff.create", "新建员工", "Staff member created", "org.user"),
    ("org.staff.roles", "修改员工角色", "Staff roles changed", "org.user"),
    ("org.team.create", "新建小组", "Team created", "org.team"),
    ("org.team.member.add", "加入小组成员", "Team member added", "org.team"),
    ("org.unit.create", "新建机构", "Unit created", "org.orgunit"),
    ("admin.", "后台管理修改", "Changed in the admin", ""),
    # clients
    ("client.create", "新建客户档案", "Client created", "clients.client"),
    ("client.update", "修改客户档案", "Client updated", "clients.client"),
    ("client.view", "查看客户档案", "Client record opened", "clients.client"),
    ("client.list", "查看客户列表", "Client list viewed", "clients.client"),
    ("client.reveal", "查看完整联系方式", "Contact details revealed", "clients.client"),
    ("client.status", "变更客户状态", "Client status changed", "clients.client"),
    ("client.lost_to_followup", "标记失访", "Marked lost to follow-up", "clients.client"),
    ("client.timeline", "查看健康时间线", "Timeline viewed", "clients.client"),
    ("client.family.link", "关联家庭成员", "Family member linked", "clients.familylink"),
    ("client.export.fhir", "导出FHIR数据", "FHIR export", "clients.client"),
    ("client.assign.", "分配负责人", "Staff assigned", "clients.client"),
    ("consent.grant", "登记知情同意", "Consent recorded", "clients.consent"),
    ("consent.list", "查看知情同意", "Consents viewed", "clients.consent"),
    ("enterprise.create", "新建企业", "Enterprise created", "clients.enterprise"),
    ("enterprise.member.add", "加入企业成员", "Enterprise member added", "clients.enterprisemember"),
    # audit, demo
    ("demo.bulk_load", "载入演示数据", "Demo data loaded", ""),
    # workdays
    ("workdays.day_set", "设置工作日", "Working day set", "workdays.calendarday"),
    ("workdays.day_delete", "删除工作日设置", "Working day removed", "workdays.calendarday"),
    ("workdays.year_confirm", "确认年度日历", "Year's calendar confirmed", "workdays.calendaryear"),
    # messaging
    ("message.enqueue", "消息入队", "Message queued", "messaging.message"),
    ("message.cancel", "取消消息", "Message cancelled", "messaging.message"),
    ("message.cancel_for_consent", "因撤回同意取消消息", "Message cancelled (consent withdrawn)", "messaging.message"),
    ("message.refused", "消息被拒发", "Message refused", "messaging.message"),
    ("message.resend", "重发消息", "Message resent", "messaging.message"),
    ("message_template.publish", "发布消息模板", "Message template published", "messaging.messagetemplate"),
    ("subscription.change", "变更订阅", "Subscription changed", "messaging.subscription"),
    ("subscription.refused", "订阅变更被拒", "Subscription change refused", "messaging.subscription"),
    # followups
    ("encounter.create", "登记就诊", "Encounter recorded", "followups.encounter"),
    ("encounter.bulk_create", "批量登记就诊", "Encounters recorded in bulk", "followups.encounter"),
    ("encounter.update", "修改就诊", "Encounter updated", "followups.encounter"),
    ("encounter.cancel", "取消就诊", "Encounter cancelled", "followups.encounter"),
    ("followup_task.create", "新建随访任务", "Follow-up task created", "followups.followuptask"),
    ("followup_task.attempt", "记录呼叫", "Call attempt recorded", "followups.followuptask"),
    ("followup_task.miss", "随访任务未完成", "Follow-up task missed", "followups.followuptask"),
    ("followup_task.reassign", "改派随访任务", "Follow-up task reassigned", "followups.followuptask"),
    ("followup_task.cancel", "取消随访任务", "Follow-up task cancelled", "followups.followuptask"),
    ("followup_record.submit", "提交随访记录", "Follow-up record submitted", "followups.followuprecord"),
    ("followup_record.sign", "签署随访记录", "Follow-up record signed", "followups.followuprecord"),
    ("followup_record.addendum", "随访记录补充", "Follow-up record addendum", "followups.followuprecord"),
    ("followup_rule.create", "新建随访规则", "Follow-up rule created", "followups.followuprule"),
    ("followup_rule.update", "修改随访规则", "Follow-up rule changed", "followups.followuprule"),
    ("followup_rule.apply", "应用随访规则", "Follow-up rule applied", "followups.followuprule"),
    ("escalation.raise", "上报问题", "Problem raised", "followups.escalation"),
    ("escalation.refer", "转介专家", "Referred to an expert", "followups.escalation"),
    ("escalation.advise", "专家意见", "Expert advice given", "followups.escalation"),
    ("escalation.client_told", "已告知客户", "Client told", "followups.escalation"),
    ("service_ticket.open", "开立服务工单", "Service ticket opened", ""),
    # checkups
    ("checkup.create", "新建体检记录", "Checkup recorded", "checkups.checkup"),
    ("checkup.view", "查看体检结果", "Checkup results viewed", "checkups.checkup"),
    ("checkup.import", "导入体检结果", "Results imported", "checkups.importbatch"),
    ("checkup.import_queued", "体检结果导入排队", "Results import queued", "checkups.importbatch"),
    ("checkup.mapping_save", "保存列映射", "Column mapping saved", "checkups.columnmapping"),
    ("checkup.interpretation", "报告解读", "Report interpreted", "checkups.interpretation"),
    ("checkup.delivery", "报告送达", "Report delivered", "checkups.reportdelivery"),
    ("checkup.delivery_chase", "催送报告", "Report delivery chased", "checkups.reportdelivery"),
    ("checkup.critical_alert", "危急值预警", "Critical value alert", "checkups.criticalalert"),
    ("checkup.critical_ack", "危急值已处理", "Critical value acknowledged", "checkups.criticalalert"),
    ("checkup.group_booking", "团检预约", "Group booking made", "checkups.groupbooking"),
    ("checkup.group_booking_change", "修改团检预约", "Group booking changed", "checkups.groupbooking"),
    ("checkup.group_booking_cancel", "取消团检预约", "Group booking cancelled", "checkups.groupbooking"),
    ("grading_rule.save", "修改分级规则", "Grading rule saved", "checkups.gradingrule"),
    ("grading_rule.delete", "删除分级规则", "Grading rule deleted", "checkups.gradingrule"),
    ("column_mapping.save", "修改列映射", "Column mapping changed", "checkups.columnmapping"),
    ("column_mapping.delete", "删除列映射", "Column mapping deleted", "checkups.columnmapping"),
    # assessments
    ("assessment.run", "进行健康评估", "Assessment run", "assessments.assessment"),
    ("assessment.view", "查看评估", "Assessment viewed", "assessments.assessment"),
    ("assessment.inputs", "录入评估数据", "Assessment inputs entered", "assessments.assessment"),
    ("assessment.issue", "签发评估报告", "Assessment report issued", "assessments.assessment"),
    ("assessment.pdf", "下载评估报告", "Assessment PDF downloaded", "assessments.assessment"),
    ("assessment.batch", "批量评估", "Batch assessment", "assessments.assessmentbatch"),
    ("assessment.group_report", "团体评估报告", "Group assessment report", "assessments.assessment"),
    ("assessment.questionnaire", "填写问卷", "Questionnaire answered", "assessments.questionnaireresponse"),
    ("assessment.prescription", "生成处方", "Prescription made", "assessments.assessment"),
    ("assessment.tcm", "中医体质辨识", "TCM constitution assessed", "assessments.assessment"),
    ("assessment.child_tcm", "儿童中医体质辨识", "Child TCM constitution assessed", "assessments.assessment"),
    ("questionnaire.save", "修改问卷", "Questionnaire changed", "assessments.questionnaire"),
    ("questionnaire.delete", "删除问卷", "Questionnaire deleted", "assessments.questionnaire"),
    ("prescription_rule.save", "修改处方规则", "Prescription rule changed", "assessments.prescriptionrule"),
    ("prescription_rule.delete", "删除处方规则", "Prescription rule deleted", "assessments.prescriptionrule"),
]
for _row in _DEFAULTS:
    register(*_row)
