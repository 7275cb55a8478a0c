"""llm-session-manager: every AI coding session on this machine, in one place."""

__version__ = "0.1.0"
