from django.apps import AppConfig


class SocialOpsConfig(AppConfig):
    name = "socialops"
    verbose_name = "SocialOps"
