"""Running other programs: the one place that turns a failure into one line."""

import os
import subprocess

from forkpatch.errors import ForkpatchError

#: Lines that say what went wrong, in the order a program usually prints them.
_ERROR_PREFIXES = ("error", "fatal", "ERROR", "Error", "FATAL")


def last_line(text):
    """The line of a program's output that best says why it failed."""
    lines = [
        line.strip()
        for line in text.splitlines()
        if line.strip()
        and not line.lstrip().startswith(("WARNING", "warning:", "hint:"))
    ]
    errors = [line for line in lines if line.startswith(_ERROR_PREFIXES)]
    return (errors or lines or ["no output"])[-1]


def run(
    cmd, *, what, cwd=None, env=None, unset=(), check=True, on_line=None, hint="",
    umask=-1, timeout=None,
):  # fmt: skip
    """Run cmd and return the completed process (text output).

    On failure (check=True) raise a ForkpatchError: "WHAT failed: <the line that
    says why><hint>". env is added to os.environ, less the names in unset. A
    program that is not there, or runs past timeout, is a failure too. With
    on_line, stdout and stderr are merged and each line is passed to on_line as
    it comes (the process's stdout then holds all of it).
    """
    cmd = [str(part) for part in cmd]
    full_env = {k: v for k, v in os.environ.items() if k not in unset}
    full_env.update(env or {})
    try:
        if on_line is None:
            proc = subprocess.run(
                cmd, cwd=cwd, env=full_env, capture_output=True, text=True,
                umask=umask, timeout=timeout,
            )  # fmt: skip
        else:
            proc = _stream(cmd, cwd, full_env, on_line, umask)
    except FileNotFoundError as exc:
        if exc.filename not in (cmd[0], None):
            raise ForkpatchError(f"{what} failed: {exc.filename} does not exist.")
        raise ForkpatchError(f"{cmd[0]} is not installed; install it and try again.")
    except subprocess.TimeoutExpired:
        raise ForkpatchError(f"{what} failed: no answer in {timeout} s.")
    except OSError as exc:
        raise ForkpatchError(f"{what} failed: {exc.strerror or exc}.")
    if check and proc.returncode:
        raise ForkpatchError(
            f"{what} failed: {last_line(proc.stderr or proc.stdout)}{hint}"
        )
    return proc


def _stream(cmd, cwd, env, on_line, umask):
    with subprocess.Popen(
        cmd,
        cwd=cwd,
        env=env,
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
        text=True,
        umask=umask,
    ) as popen:
        output = []
        for line in popen.stdout:
            output.append(line)
            on_line(line)
        status = popen.wait()
    return subprocess.CompletedProcess(cmd, status, "".join(output), "")
