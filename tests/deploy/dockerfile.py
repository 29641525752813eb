"""A small reader of the project's Dockerfile: its stages and instructions, continuation lines joined."""

from __future__ import annotations

import json
import re
import shlex
from dataclasses import dataclass, field
from pathlib import Path

from deploy_testing import ROOT

DOCKERFILE = ROOT / "Dockerfile"


@dataclass
class Instruction:
    keyword: str
    args: str

    def exec_form(self) -> list[str]:
        """``["a", "b"]`` (JSON) or shell words."""
        text = self.args.strip()
        return json.loads(text) if text.startswith("[") else shlex.split(text)


@dataclass
class Stage:
    base: str
    instructions: list[Instruction] = field(default_factory=list)

    def all(self, keyword: str) -> list[Instruction]:
        return [i for i in self.instructions if i.keyword == keyword]

    def last(self, keyword: str) -> Instruction | None:
        found = self.all(keyword)
        return found[-1] if found else None

    def env(self) -> dict[str, str]:
        values: dict[str, str] = {}
        for ins in self.all("ENV"):
            for word in shlex.split(ins.args):
                key, _, value = word.partition("=")
                values[key] = value
        return values


def parse(path: Path = DOCKERFILE) -> list[Stage]:
    lines, buf = [], ""
    for raw in path.read_text().splitlines():
        if not buf and (not raw.strip() or raw.lstrip().startswith("#")):
            continue
        if raw.lstrip().startswith("#"):  # a comment inside a continued instruction
            continue
        if raw.rstrip().endswith("\\"):
            buf += raw.rstrip()[:-1] + " "
            continue
        lines.append(buf + raw)
        buf = ""
    stages: list[Stage] = []
    build_args: dict[str, str] = {}  # ARGs before the first FROM, as FROM lines may use them
    for line in lines:
        keyword, _, args = line.strip().partition(" ")
        keyword = keyword.upper()
        if keyword == "ARG" and not stages:
            name, _, default = args.strip().partition("=")
            build_args[name] = default
        elif keyword == "FROM":
            base = re.sub(r"\$\{(\w+)\}", lambda m: build_args.get(m.group(1), ""), args.split()[0])
            stages.append(Stage(base=base))
        elif stages:
            stages[-1].instructions.append(Instruction(keyword, re.sub(r"\s+", " ", args).strip()))
    return stages
