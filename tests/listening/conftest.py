from tests.recordings import replay  # noqa: F401 — the loopback replay of real X answers
