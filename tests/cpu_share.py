"""Who used the machine's CPU while a timed test ran, from /proc (Linux): a timing test that misses its limit says
whether the app was slow or the cores were busy with something else — another process, or the hypervisor serving
other machines (steal). CI's browser tasks once took 2.5× their time by hand on the same commit; one busy core
reproduces that."""

from __future__ import annotations

import os
import time
from dataclasses import dataclass
from pathlib import Path

_TICK_S = 1 / os.sysconf("SC_CLK_TCK")


def machine_cpu_s() -> tuple[float, float, float]:
    """Seconds the cores were busy, of them taken by the hypervisor (steal), and in all (wall seconds × cores), so
    far: /proc/stat's first line (guest time is counted in user time already)."""
    fields = [int(x) for x in Path("/proc/stat").read_text().split("\n", 1)[0].split()[1:]]
    idle, steal, total = fields[3] + fields[4], fields[7], sum(fields[:8])  # idle and iowait
    return (total - idle) * _TICK_S, steal * _TICK_S, total * _TICK_S


def process_cpu_s() -> dict[int, tuple[str, float]]:
    """Each live process's command line (its start) and CPU seconds (user + system) so far."""
    found: dict[int, tuple[str, float]] = {}
    for entry in Path("/proc").iterdir():
        if not entry.name.isdigit():
            continue
        try:
            stat = (entry / "stat").read_text()
            cmdline = (entry / "cmdline").read_bytes().replace(b"\0", b" ").decode(errors="replace").strip()
        except OSError:  # ended meanwhile
            continue
        name, rest = stat[stat.index("(") + 1 : stat.rindex(")")], stat[stat.rindex(")") + 2 :].split()
        found[int(entry.name)] = (" ".join(cmdline.split())[:90] or name, (int(rest[11]) + int(rest[12])) * _TICK_S)
    return found


@dataclass(frozen=True)
class CpuUse:
    wall_s: float
    busy_share: float  # of all the cores' time
    steal_share: float
    busiest: list[tuple[float, str]]  # CPU seconds and command line, the largest first

    def others_s(self, own: tuple[str, ...]) -> float:
        """CPU seconds of the busiest processes whose command line contains none of ``own``."""
        return sum(cpu for cpu, name in self.busiest if not any(mark in name for mark in own))

    def __str__(self) -> str:
        lines = [
            f"{self.wall_s:.1f} s; the cores {self.busy_share:.0%} busy, {self.steal_share:.0%} of their time taken "
            "by the hypervisor (steal); the busiest processes (CPU s):"
        ]
        return "\n".join(lines + [f"  {cpu:6.1f}  {name}" for cpu, name in self.busiest if cpu >= 0.05])


class CpuWindow:
    """The CPU used between ``start`` and ``stop``."""

    def start(self) -> None:
        self._machine = machine_cpu_s()
        self._processes = process_cpu_s()
        self._wall = time.monotonic()

    def stop(self, top: int = 10) -> CpuUse:
        busy, steal, total = (now - then for now, then in zip(machine_cpu_s(), self._machine, strict=True))
        used = [(cpu - self._processes.get(pid, ("", 0.0))[1], name) for pid, (name, cpu) in process_cpu_s().items()]
        total = max(total, 1e-9)
        busiest = sorted(used, reverse=True)[:top]
        return CpuUse(time.monotonic() - self._wall, busy / total, steal / total, busiest)


def wait_until_quiet(busy_share: float = 0.25, window_s: float = 1.0, limit_s: float = 60.0) -> float:
    """Wait (at most limit_s) until the cores are at most busy_share busy over a window: work an earlier test left
    running (a JVM compiling, a child process) should not be timed as the app's. The seconds waited."""
    started = time.monotonic()
    while time.monotonic() - started < limit_s:
        before = machine_cpu_s()
        time.sleep(window_s)
        after = machine_cpu_s()
        if (after[0] - before[0]) / max(after[2] - before[2], 1e-9) <= busy_share:
            break
    return time.monotonic() - started
