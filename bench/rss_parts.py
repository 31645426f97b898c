"""What a command's resident memory is made of at its peak: anonymous or file-backed, and by mapping.

Usage:
  CLUSTERKG_BUFFER_POOL_MB=3072 .venv/bin/python bench/rss_parts.py -- \
      .venv/bin/python bench/ingest.py --child embedded_pipeline --scale 150

It runs the command, reads /proc/PID/status every ``--every`` seconds (RSS, anonymous, file-backed: RssFile and
RssShmem, a tmpfs file's) and, each time RSS passes its highest yet by 30 MB, /proc/PID/smaps summed by mapping (a
file's name, [heap], [anon]). It prints the parts at the peak, a line every ``--print-every`` seconds, and the
command's last output line (bench/ingest.py's figures). Sampling misses short spikes: the kernel's own high-water
mark (VmHWM) is printed beside it.
"""

from __future__ import annotations

import argparse
import collections
import logging
import subprocess
import tempfile
import time
from pathlib import Path

from common import status_figures

log = logging.getLogger("bench.rss_parts")


def _file_backed(figures: dict[str, int]) -> int:
    """Mapped files' pages: RssFile, and RssShmem for a file on a tmpfs (as TMPDIR may be)."""
    return figures.get("RssFile", 0) + figures.get("RssShmem", 0)


def by_mapping(pid: int) -> collections.Counter[str]:
    """Resident MB by mapping: a file's name, or [heap], [stack], [anon] for the unnamed."""
    parts: collections.Counter[str] = collections.Counter()
    name = "[anon]"
    for line in Path(f"/proc/{pid}/smaps").read_text().splitlines():
        fields = line.split()
        if fields and "-" in fields[0] and not fields[0].endswith(":"):  # a mapping's header line
            name = fields[5].rsplit("/", 1)[-1] if len(fields) > 5 else "[anon]"
        elif fields[:1] == ["Rss:"]:
            parts[name] += int(fields[1]) >> 10
    return parts


def watch(child: subprocess.Popen[str], every: float, print_every: float) -> None:
    """Samples the child until it exits; logs its peak and the peak's parts."""
    started = time.monotonic()
    peak: dict[str, int] = {"VmRSS": 0}
    parts: collections.Counter[str] = collections.Counter()
    at, last_printed, high_water = 0.0, -print_every, 0
    while child.poll() is None:
        try:
            figures = status_figures(child.pid)
            now = time.monotonic() - started
            high_water = figures["VmHWM"]
            if figures["VmRSS"] > peak["VmRSS"] + 30:
                peak, parts, at = figures, by_mapping(child.pid), now
            elif figures["VmRSS"] > peak["VmRSS"]:
                peak = figures
            if now - last_printed >= print_every:
                line = "%6.0f s  RSS %5d MB = anonymous %5d + file-backed %5d"
                log.info(line, now, figures["VmRSS"], figures["RssAnon"], _file_backed(figures))
                last_printed = now
        except (FileNotFoundError, ProcessLookupError, KeyError):  # it exited between poll and read
            break
        time.sleep(every)
    log.info(
        "peak sampled at %.0f s: RSS %d MB = anonymous %d + file-backed %d; the kernel's high-water mark: %d MB",
        at, peak.get("VmRSS", 0), peak.get("RssAnon", 0), _file_backed(peak), high_water,
    )  # fmt: skip
    for name, mb in parts.most_common(8):
        log.info("  %6d MB  %s", mb, name)


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--every", type=float, default=0.25, help="seconds between samples")
    parser.add_argument("--print-every", type=float, default=10.0)
    parser.add_argument("command", nargs=argparse.REMAINDER)
    args = parser.parse_args()
    logging.basicConfig(level=logging.INFO, format="%(message)s")
    command = args.command[1:] if args.command[:1] == ["--"] else args.command
    # the output waits in a file: a pipe could fill while nobody reads it
    with tempfile.TemporaryFile(mode="w+", encoding="utf-8") as output_file:
        child = subprocess.Popen(command, stdout=output_file, stderr=subprocess.DEVNULL, text=True)
        watch(child, args.every, args.print_every)
        child.wait()
        output_file.seek(0)
        output = output_file.read()
    log.info("exit %s; last line: %s", child.returncode, (output.strip().splitlines() or [""])[-1])


if __name__ == "__main__":
    main()
