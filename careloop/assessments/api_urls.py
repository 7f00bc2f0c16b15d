"""API routes of careloop.assessments, mounted under /api/v1/."""

from django.urls import path

from . import api

urlpatterns = [
    path("assessments/", api.AssessmentListView.as_view(), name="assessment-list"),
    path("assessments/tcm-constitution/", api.TcmConstitutionView.as_view(), name="assessment-tcm"),
    path("assessments/inputs/", api.InputEntryView.as_view(), name="assessment-inputs"),
    path(
        "assessments/questionnaire-responses/",
        api.QuestionnaireResponseView.as_view(),
        name="assessment-questionnaire",
    ),
    path("assessments/child-tcm-guidance/", api.ChildTcmGuidanceView.as_view(), name="assessment-child-tcm"),
    path("assessments/batches/", api.BatchView.as_view(), name="assessment-batches"),
    path("assessments/batches/<int:pk>/", api.BatchDetailView.as_view(), name="assessment-batch"),
    path("assessments/group-report/<int:pk>/", api.GroupReportView.as_view(), name="assessment-group-report"),
    path(
        "assessments/group-report/<int:pk>/pdf/",
        api.GroupReportPdfView.as_view(),
        name="assessment-group-report-pdf",
    ),
    path("assessments/<int:pk>/", api.AssessmentDetailView.as_view(), name="assessment-detail"),
    path("assessments/<int:pk>/pdf/", api.AssessmentPdfView.as_view(), name="assessment-pdf"),
    path(
        "assessments/<int:pk>/prescription/",
        api.AssessmentPrescriptionView.as_view(),
        name="assessment-prescription",
    ),
    path("assessments/<int:pk>/issue/", api.AssessmentIssueView.as_view(), name="assessment-issue"),
]
