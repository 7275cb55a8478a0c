"""Channels on this machine: a desktop notification, and the terminal bell or a sound.

Each runs a program the system already has, found on PATH, with the text as
arguments or environment variables and never inside a shell or script string,
so a session title cannot inject a command.
"""

from __future__ import annotations

import os
import shlex
import shutil
import subprocess
import sys

from ...core.config_notifications import DesktopChannel, TerminalChannel
from .notification import ChannelFailed, Notification

# Windows PowerShell (not pwsh 7: it has no WinRT types). The AppID is PowerShell's
# own: Windows shows toasts only for registered apps, and this one always is.
_TOAST = r"""
$ErrorActionPreference = 'Stop'
[Windows.UI.Notifications.ToastNotificationManager, Windows.UI.Notifications, ContentType = WindowsRuntime] > $null
$xml = [Windows.UI.Notifications.ToastNotificationManager]::GetTemplateContent(
    [Windows.UI.Notifications.ToastTemplateType]::ToastText02)
$text = $xml.GetElementsByTagName('text')
$text.Item(0).AppendChild($xml.CreateTextNode($env:LLM_SESSION_TITLE)) > $null
$text.Item(1).AppendChild($xml.CreateTextNode($env:LLM_SESSION_MESSAGE)) > $null
$app = '{1AC14E77-02E7-4E5D-B744-2EB1AE5198B7}\WindowsPowerShell\v1.0\powershell.exe'
[Windows.UI.Notifications.ToastNotificationManager]::CreateToastNotifier($app).Show(
    [Windows.UI.Notifications.ToastNotification]::new($xml))
"""


def desktop(_settings: DesktopChannel, note: Notification, timeout: float) -> None:
    """notify-send (Linux, BSD), osascript (macOS) or PowerShell (Windows), whichever is on PATH."""
    if path := shutil.which("notify-send"):
        urgency = "critical" if note.severity == "critical" else "normal"
        _run([path, "--app-name=llm-session", f"--urgency={urgency}", note.title, note.message], timeout)
    elif path := shutil.which("osascript"):
        script = ["on run argv", "display notification (item 2 of argv) with title (item 1 of argv)", "end run"]
        _run([path, *(a for line in script for a in ("-e", line)), note.title, note.message], timeout)
    elif path := shutil.which("powershell"):
        _run([path, "-NoProfile", "-NonInteractive", "-Command", _TOAST], timeout, _text_env(note))
    else:
        raise ChannelFailed("no notify-send, osascript or powershell on PATH")


def terminal(settings: TerminalChannel, note: Notification, timeout: float) -> None:
    """``sound_command`` if set (the text in its environment), else the bell on the terminal."""
    if settings.sound_command:
        argv = shlex.split(settings.sound_command, posix=os.name != "nt")
        _run(argv, timeout, _text_env(note))
        return
    try:
        # The controlling terminal, where the user hears it even when stderr is a log file.
        with open("/dev/tty", "w") as tty:
            tty.write("\a")
    except OSError:
        sys.stderr.write("\a")
        sys.stderr.flush()


def _text_env(note: Notification) -> dict[str, str]:
    return {**os.environ, "LLM_SESSION_TITLE": note.title, "LLM_SESSION_MESSAGE": note.message,
            "LLM_SESSION_SEVERITY": note.severity, "LLM_SESSION_RULE": note.rule}


def _run(argv: list[str], timeout: float, env: dict[str, str] | None = None) -> None:
    name = os.path.basename(argv[0])
    try:
        done = subprocess.run(argv, stdin=subprocess.DEVNULL, capture_output=True, timeout=timeout, env=env)
    except FileNotFoundError:
        raise ChannelFailed(f"{argv[0]}: command not found") from None
    except subprocess.TimeoutExpired:
        raise ChannelFailed(f"{name} did not finish within {timeout:g} s") from None
    except OSError as e:
        raise ChannelFailed(f"cannot run {name}: {e.strerror}") from None
    if done.returncode != 0:
        said = done.stderr.decode(errors="replace").strip().splitlines()
        raise ChannelFailed(f"{name} exited with status {done.returncode}" + (f": {said[-1]}" if said else ""))
