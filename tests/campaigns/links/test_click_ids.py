"""Click ids: 128 random bits as 32 hex digits, never the same twice across the threads of
a web process (a conversion is tied to its click by this id)."""

from __future__ import annotations

import re
import threading

from campaigns.links.services import ClickEvent

HEX32 = re.compile(r"^[0-9a-f]{32}$")


def _ids(n: int) -> list[str]:
    return [
        ClickEvent.new(link_id=1, referrer="", user_agent="", is_bot=False, visitor_key="").click_id
        for _ in range(n)
    ]


def test_ids_are_32_hex_digits_and_distinct_across_threads():
    found: list[list[str]] = []
    threads = [threading.Thread(target=lambda: found.append(_ids(2_000))) for _ in range(4)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    every = [click_id for ids in found for click_id in ids] + _ids(2_000)
    assert len(every) == 10_000 == len(set(every))
    assert all(HEX32.match(click_id) for click_id in every)
