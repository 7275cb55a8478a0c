"""The team server: one PostgreSQL database that several machines push their usage to.

``llm-session team serve`` is an ASGI app (Starlette on Hypercorn, on trio)
over PostgreSQL through psycopg 3 (docs/team.md). Its parts: ``db`` (connecting
and the server's own migrations), ``admin`` (users, devices and their tokens, for
the ``team user``/``team token`` commands), ``auth`` (a request's bearer token to
its device), ``push`` (storing what a device pushes, idempotently), ``report``
(usage summed for whoever asks), ``app`` (the routes) and ``serve`` (running it);
identity and access: ``access`` (the one rule), ``passwords``, ``web_session``
(sign-in cookies and CSRF), ``grants``, ``shared_sessions``, ``audit`` and their
routes, ``access_routes``.
The client side, what a member's machine pushes, is ``services.team``.
"""
