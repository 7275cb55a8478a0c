"""Chat bots: ``/llm ...`` asked in Slack, Discord or Microsoft Teams, answered from the store (docs/chat.md).

One parser (``commands``) and one platform-neutral answer model (``answers``),
filled from the services by ``answering``; per platform, one module that checks
a request's signature and reads who asks what (``slack``, ``discord``,
``teams``) and one that draws an answer in the platform's rich format
(``slack_blocks``, ``discord_embeds``, ``teams_cards``). ``requests`` ties
them together for a server: bytes and headers in, a verified question (or a
refusal) out, and an answer back as the platform's reply. ``access`` says who
may see anything: with no team server, the chat user ids the config lists.
"""
