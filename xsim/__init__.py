"""xsim: the bundled X API v2 simulator.

A separate, standard-library-only process that speaks X's v2 wire format (fields,
expansions, includes, pagination, since_id, errors, rate-limit headers, OAuth 2.0 with
PKCE) over a deterministic synthetic world: Brightline Software's accounts, their
customers, prospects, journalists and detractors, and mentions that keep arriving over
simulated time. Run it with ``python -m xsim --port 8765 --seed 1``; see ``xsim.server``
for the control endpoints under ``/_sim/``.

It never imports Django or third-party packages, so it starts in a fraction of a second
and can run beside any version of the product.
"""

from __future__ import annotations

__all__ = ["__version__"]

__version__ = "1.0"
