"""The web dashboard: pages, a JSON API and live updates, over any ``DashboardSource`` (docs/web.md).

``app.build(source)`` is an ASGI app (Starlette) that serves the same pages
for whoever gives it a source: ``serve`` mounts it with
``local_source.LocalSource`` (this machine's store, one person, loopback, no
sign-in; ``routes.WebRoutes`` puts it in front of serve's other doors), and the
team server can mount it with a source over PostgreSQL behind its own sign-in.
The pages are a small script bundle built with esbuild from ``web/`` at the
top of the repository and shipped here in ``static/``, so nothing is fetched
from anywhere but this server.
"""
