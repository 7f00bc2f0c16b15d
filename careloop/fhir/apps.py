from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class FhirConfig(AppConfig):
    name = "careloop.fhir"
    label = "fhir"
    verbose_name = _("FHIR interchange")

    def ready(self) -> None:
        from careloop.audit import actions
        from careloop.fhir import export

        export.register_all()
        actions.register("fhir.import", "导入FHIR数据", "FHIR Bundle imported", "fhir.bundle")
        actions.register("fhir.bulk_export", "发起FHIR批量导出", "FHIR bulk export started", "fhir.bulkexport")
        actions.register("fhir.bulk_export.fetch", "下载FHIR批量导出文件", "FHIR bulk export file fetched",
                         "fhir.bulkexport")
