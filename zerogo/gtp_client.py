"""Drive a GTP engine in a subprocess (GNU Go, zerogo itself, any engine).

Used by the match runner and by tests that take GNU Go as a rules referee.
"""

from __future__ import annotations

import queue
import shlex
import subprocess
import threading
import time
from collections.abc import Sequence

GNUGO = "/usr/games/gnugo"


class GtpError(RuntimeError):
    """The engine answered ``? message`` (``message`` is kept in ``.message``)."""

    def __init__(self, command: str, message: str) -> None:
        super().__init__(f"{command!r} failed: {message}")
        self.command = command
        self.message = message


class GtpTimeout(RuntimeError):
    """The engine did not answer within the allowed time."""


class GtpCrash(RuntimeError):
    """The engine process ended or closed its output."""


class GtpClient:
    """A GTP engine running in a subprocess.

    Args:
        command: the command line, as a list or a shell-like string.
        stderr: where the engine's stderr goes (default: discarded).
        new_session: start the engine in a session of its own, so that a Ctrl-C on
            the terminal reaches only the controller (which then stops the engine)
            and is not taken for an engine crash.

    Raises:
        OSError: if the program cannot be started.
    """

    def __init__(self, command: Sequence[str] | str, stderr: int | None = subprocess.DEVNULL,
                 new_session: bool = False):
        self.argv = shlex.split(command) if isinstance(command, str) else list(command)
        self.process = subprocess.Popen(
            self.argv,
            stdin=subprocess.PIPE,
            stdout=subprocess.PIPE,
            stderr=stderr,
            bufsize=0,
            start_new_session=new_session,
        )
        self._lines: queue.Queue[bytes | None] = queue.Queue()
        self._reader = threading.Thread(target=self._read, daemon=True)
        self._reader.start()
        self.last_seconds = 0.0

    def _read(self) -> None:
        assert self.process.stdout is not None
        for line in self.process.stdout:
            self._lines.put(line)
        self._lines.put(None)

    def send(self, command: str, timeout: float | None = None) -> str:
        """Send one command and return the answer's text (without ``=`` and blank line).

        Raises:
            GtpError: if the engine answers with ``?``.
            GtpTimeout: if no full answer arrives within ``timeout`` seconds.
            GtpCrash: if the engine has exited.
        """
        if self.process.poll() is not None or self.process.stdin is None:
            raise GtpCrash(f"engine {self.argv[0]} is not running")
        start = time.monotonic()
        try:
            self.process.stdin.write((command.strip() + "\n").encode())
            self.process.stdin.flush()
        except (BrokenPipeError, OSError) as exc:
            raise GtpCrash(f"engine {self.argv[0]} closed its input: {exc}") from None
        lines: list[str] = []
        while True:
            remaining = None if timeout is None else timeout - (time.monotonic() - start)
            if remaining is not None and remaining <= 0:
                raise GtpTimeout(f"{command!r} got no answer within {timeout:g} s")
            try:
                raw = self._lines.get(timeout=remaining)
            except queue.Empty:
                raise GtpTimeout(f"{command!r} got no answer within {timeout:g} s") from None
            if raw is None:
                raise GtpCrash(f"engine {self.argv[0]} exited during {command!r}")
            line = raw.decode("utf-8", "replace").rstrip("\r\n")
            if not lines and not line.strip():
                continue
            if line.strip() == "" and lines:
                break
            lines.append(line)
        self.last_seconds = time.monotonic() - start
        head, body = lines[0], lines[1:]
        status, text = head[0], head[1:]
        # drop an echoed id
        parts = text.split(" ", 1)
        text = parts[1] if len(parts) > 1 and parts[0].isdigit() else text.lstrip()
        answer = "\n".join([text.strip(), *body]).strip()
        if status == "?":
            raise GtpError(command, answer)
        if status != "=":
            raise GtpError(command, f"malformed answer {head!r}")
        return answer

    def close(self, timeout: float = 5.0) -> None:
        """Send ``quit`` and wait for the process; kill it if it lingers."""
        if self.process.poll() is None:
            try:
                self.send("quit", timeout=timeout)
            except (GtpError, GtpTimeout, GtpCrash):
                pass
            try:
                self.process.wait(timeout=timeout)
            except subprocess.TimeoutExpired:
                self.process.kill()
                self.process.wait()

    def __enter__(self) -> GtpClient:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()


def gnugo_command(level: int = 10, chinese: bool = True, extra: Sequence[str] = ()) -> list[str]:
    """Return the command line of GNU Go in GTP mode."""
    argv = [GNUGO, "--mode", "gtp", "--level", str(level)]
    if chinese:
        argv.append("--chinese-rules")
    return [*argv, *extra]
