from django.apps import AppConfig


class SocialOpsConfig(AppConfig):
    name = "socialops"
    verbose_name = "SocialOps"

    def ready(self) -> None:
        # In ready(): auth connects a receiver to axes' lockout signal and imports models,
        # which exist only once the app registry is ready.
        from socialops import auth  # noqa: F401

        # The deliver task registered in every process (web included): services queue it
        # by name, which a process that never imported it could not do.
        from socialops.webhooks import tasks  # noqa: F401
