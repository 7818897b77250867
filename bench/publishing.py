"""Placeholder until the publishing benchmark lands."""


def run() -> None:
    print("publishing: not built yet")
