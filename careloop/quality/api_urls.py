"""API routes of careloop.quality, mounted under /api/v1/ (CONTRACT /supervision/)."""

from django.urls import path

from careloop.quality import api

urlpatterns = [
    path("supervision/periods/", api.PeriodList.as_view(), name="supervision-period-list"),
    path("supervision/periods/<int:pk>/samples/", api.PeriodSamples.as_view(), name="supervision-period-samples"),
    path("supervision/samples/<int:pk>/score/", api.SampleScore.as_view(), name="supervision-sample-score"),
    path("supervision/samples/<int:pk>/findings/", api.SampleFindings.as_view(), name="supervision-sample-findings"),
    path("supervision/findings/", api.FindingList.as_view(), name="supervision-finding-list"),
    path("supervision/findings/<int:pk>/close/", api.FindingClose.as_view(), name="supervision-finding-close"),
    path("training/plans/", api.TrainingPlanList.as_view(), name="training-plan-list"),
    path("training/plans/<int:pk>/exam/", api.TrainingExam.as_view(), name="training-exam"),
    path("training/scores/", api.TrainingScoreList.as_view(), name="training-score-list"),
]
