"""The status line's agent: a resident process that draws ``llm-session statusline``'s line.

Claude Code runs its status line command after every update of the conversation,
as a new process each time, and cancels it when the next update comes. Most of
such a process is Python's start-up and imports, not the line (bench/README.md).
So, as powerlevel10k's gitstatusd does for prompts, the command hands the payload
to a process that keeps the imports, the store and the config open (``agent``),
over a Unix socket in the data dir, and prints its answer (``client``); where
there is none, or it cannot answer in time, the command draws the line itself and
then starts one. ``wire`` is what both sides say. docs/statusline.md#the-agent.
"""
