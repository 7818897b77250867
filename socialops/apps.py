from django.apps import AppConfig


class SocialOpsConfig(AppConfig):
    name = "socialops"
    verbose_name = "SocialOps"

    def ready(self) -> None:
        from socialops import auth  # noqa: F401 — audits sign-in lockouts (axes' signal)
