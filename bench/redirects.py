"""Placeholder until the redirects benchmark lands."""


def run() -> None:
    print("redirects: not built yet")
