from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class StatsConfig(AppConfig):
    name = "careloop.stats"
    label = "stats"
    verbose_name = _("Statistics")

    def ready(self) -> None:
        from careloop.audit import actions as audit_actions

        for name, zh, en, obj in (
            ('stats.drilldown', '统计明细', 'Statistics drill-down', ''),
            ('stats.kpi_target_update', '修改指标目标', 'KPI target changed', ''),
            ('stats.report_download', '下载报表', 'Report downloaded', ''),
            ('stats.report_generate', '生成报表', 'Report generated', ''),
            ('client.export', '导出客户名单', 'Clients exported', ''),
        ):
            audit_actions.register(name, zh, en, obj)
        from careloop.core import demo, nav
        from careloop.org.permissions import Cap
        from careloop.stats.demo import demo_stats

        # Order 25: the general and branch managers land here (before the service desk's satisfaction page, 30,
        # which also needs VIEW_STATS); a lead keeps landing on his worklist (5).
        nav.register(_("Statistics"), "stats:dashboard", Cap.VIEW_STATS, order=25)
        if demo_stats not in demo.extensions:
            demo.extensions.append(demo_stats)
