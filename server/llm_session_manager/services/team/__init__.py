"""A member's side of a team server (docs/team.md): joining it and pushing to it.

``link`` keeps the server's URL and this device's token (``team join``),
``client`` speaks HTTP to the server, ``push`` sends what the store holds and
the server has not had yet, ``share`` makes and revokes grants there. The
server itself is the ``team`` package.
"""
