from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class PlansConfig(AppConfig):
    name = "careloop.plans"
    label = "plans"
    verbose_name = _("Service plans")

    def ready(self) -> None:
        from careloop.audit import actions as audit_actions

        for name, zh, en, obj in (
            ('plan.cancel', '退订方案', 'Plan cancelled', 'plans.enrolment'),
            ('plan.cancel_group', '退订团体方案', 'Group plan cancelled', ''),
            ('plan.consultation', '家庭医生咨询', 'Family-doctor consultation', ''),
            ('plan.consultations_view', '查看咨询记录', 'Consultations viewed', ''),
            ('plan.enrol', '购买方案', 'Plan enrolment', 'plans.enrolment'),
            ('plan.enrol_group', '企业购买团体方案', 'Group plan enrolment', ''),
            ('plan.entitlement_release', '退还服务次数', 'Entitlement released', ''),
            ('plan.entitlement_use', '使用服务', 'Entitlement used', ''),
            ('plan.entitlements_view', '查看服务权益', 'Entitlements viewed', ''),
            ('plan.green_channel_book', '绿色通道预约', 'Green-channel booking', ''),
            ('plan.green_channel_status', '绿色通道状态变更', 'Green-channel status', ''),
            ('plan.green_channel_view', '查看绿色通道', 'Green channel viewed', ''),
            ('plan.group_entitlement_use', '团体使用服务', 'Group entitlement used', ''),
            ('plan.version', '方案新版本', 'Plan version', ''),
            ('plan.view', '查看方案', 'Plan viewed', ''),
        ):
            audit_actions.register(name, zh, en, obj)
        from careloop.plans import wiring

        wiring.connect()
        _name_openapi_enums()


def _name_openapi_enums() -> None:
    from careloop.core.schema import name_enums

    name_enums({
        "PlanEnrolmentStatusEnum": "careloop.plans.models.EnrolmentStatus",
        "GreenChannelBookingStatusEnum": "careloop.plans.models.BookingStatus",
        "GreenChannelStatusChangeEnum": ["confirmed", "done", "cancelled"],
        "GreenChannelBookingKindEnum": "careloop.plans.models.BookingKind",
        "PlanServicePeriodEnum": "careloop.plans.models.Period",
        "PlanAudienceEnum": "careloop.plans.models.Audience",
    })
