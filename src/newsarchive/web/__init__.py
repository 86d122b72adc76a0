"""``newsarchive serve``: a local, read-only web app over the library.

Everything it shows comes from :mod:`newsarchive.api` (search, entries, citations, history,
diff, verify): the web app is one more front end, like ``cli/``, never a second code path.
Starlette, Jinja2 and uvicorn are imported here and only here, so the other commands do not
pay for them at start-up.
"""

from __future__ import annotations

from .app import LOOPBACK_HOSTS, create_app

__all__ = ["create_app", "LOOPBACK_HOSTS"]
