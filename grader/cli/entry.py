"""The `dlgrade` executable.

`dlgrade check EXERCISE FILE [--json] [--lang ja|en]` — the command students' scripts and the
benchmarks call most — is parsed here directly: importing Typer (which imports pydantic) costs
~130 ms, more than the grading itself.  Anything else, including `check --help` and every usage
error, goes to the Typer app, which owns help and error messages.
"""

from __future__ import annotations

import os
import sys
from pathlib import Path


def parse_check(args: list[str]) -> dict | None:
    """The arguments of a plain, well-formed `check`; None to let Typer handle it."""
    positional: list[str] = []
    as_json, lang = False, "en"
    i = 0
    while i < len(args):
        a = args[i]
        if a == "--json":
            as_json = True
        elif a == "--lang" and i + 1 < len(args):
            lang = args[i + 1]
            i += 1
        elif a.startswith("--lang="):
            lang = a.split("=", 1)[1]
        elif a.startswith("-"):
            return None
        else:
            positional.append(a)
        i += 1
    if len(positional) != 2 or lang not in ("en", "ja"):
        return None
    return {"exercise": positional[0], "file": Path(positional[1]), "as_json": as_json, "lang": lang}


def main() -> None:
    argv = sys.argv[1:]
    if argv[:1] == ["check"]:
        parsed = parse_check(argv[1:])
        if parsed is not None:
            from grader.runner.pool import default_starter

            default_starter().warm()  # first: the zygote's start overlaps all our imports
            from grader.cli.check import run_check

            code = run_check(**parsed)
            sys.stdout.flush()
            sys.stderr.flush()
            os._exit(code)  # skip the interpreter's teardown (~20 ms of module cleanup); the zygote
            #                 ends on its own when its control socket closes
    from grader.cli.app import app

    app()


if __name__ == "__main__":
    main()
