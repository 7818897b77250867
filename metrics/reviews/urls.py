from django.urls import path, register_converter

from metrics.reviews import views

app_name = "reviews"


class WeekConverter:
    regex = r"[0-9]{4}-W[0-9]{2}"

    def to_python(self, value: str) -> str:
        return value

    def to_url(self, value: str) -> str:
        return value


class RecordConverter:
    regex = r"json|html"

    def to_python(self, value: str) -> str:
        return value

    def to_url(self, value: str) -> str:
        return value


register_converter(WeekConverter, "isoweek")
register_converter(RecordConverter, "record")

urlpatterns = [
    path("", views.review_list, name="list"),
    path("current/", views.review_current, name="current"),
    path("open/", views.review_open_now, name="open"),
    path("items/<int:pk>/status/", views.action_item_status, name="item_status"),
    path("<isoweek:week>/", views.review_detail, name="detail"),
    path(
        "<isoweek:week>/attendance/<int:department_id>/", views.attendance_save, name="attendance"
    ),
    path("<isoweek:week>/kpis/<int:kpi_id>/commentary/", views.commentary_save, name="commentary"),
    path("<isoweek:week>/items/", views.action_item_add, name="item_add"),
    path("<isoweek:week>/decisions/", views.decision_add, name="decision_add"),
    path("<isoweek:week>/close/", views.review_close, name="close"),
    path("<isoweek:week>/reopen/", views.review_reopen, name="reopen"),
    path("<isoweek:week>/review.pdf", views.review_pdf, name="pdf"),
    path("<isoweek:week>/record.<record:kind>", views.review_record, name="record"),
]
