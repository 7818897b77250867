from django.apps import AppConfig


class ProspectsConfig(AppConfig):
    name = "prospects"

    def ready(self) -> None:
        # In ready(): the receiver imports prospects' services, whose models exist only
        # once the app registry is ready.
        from listening.inbox.signals import x_interaction
        from prospects.inbox_hook import on_x_interaction

        x_interaction.connect(on_x_interaction, dispatch_uid="prospects.inbox_hook")
