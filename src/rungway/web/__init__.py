"""The web dashboard's framework, served by the gateway process at /ui.

The core owns the frame (layout, component macros, sign-in, the session cookie, CSRF, role guards,
static files, the overview frame, the request list and the patterns page); capabilities add their
pages, overview panels and record links through `Capability.pages` with a `PageRouter` (`pages.py`).
It knows no capability by name: `server.py` hands it every registered capability's routers.
"""
