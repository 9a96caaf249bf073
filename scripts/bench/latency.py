#!/usr/bin/python3
"""Reads a tray app log written with DEALWATCH_LOG=debug and prints how long
each page with new events took to reach the window and the pop-up server.

    scripts/bench/latency.py APP_LOG

It pairs every "page received" line that carried items with the first
"rows sent to the window", "sending a pop-up" and "pop-up sent" lines after
it, and counts the "looking up" lines of name look-ups in between. The times are the log lines' own timestamps (tracing's UTC time, in
microseconds), so all three steps are measured inside the app's process.
"""
import re
import statistics
import sys
from datetime import datetime

ANSI = re.compile(r"\x1b\[[0-9;]*m")
LINE = re.compile(r"^(\S+Z)\s+DEBUG\s+(.*)$")


def timestamp(text):
    # Python before 3.11 reads at most 6 fractional digits and no "Z".
    return datetime.fromisoformat(text.rstrip("Z")[:26]).timestamp()


def read_lines(path):
    with open(path, encoding="utf-8", errors="replace") as log:
        for raw in log:
            match = LINE.match(ANSI.sub("", raw).strip())
            if match:
                yield timestamp(match.group(1)), match.group(2)


def describe(name, values):
    if not values:
        return f"{name}: no samples"
    values = sorted(values)
    p90 = values[min(len(values) - 1, int(round(0.9 * (len(values) - 1))))]
    return (
        f"{name}: median {statistics.median(values):.1f} ms, p90 {p90:.1f} ms, "
        f"min {values[0]:.1f} ms, max {values[-1]:.1f} ms ({len(values)} pages)"
    )


STEPS = {
    "rows sent to the window": "rows sent to the window",
    "sending a pop-up": "pop-up handed to D-Bus",
    "pop-up sent": "pop-up acknowledged by the server",
}


def main():
    if len(sys.argv) != 2:
        sys.exit("usage: latency.py APP_LOG")
    lines = list(read_lines(sys.argv[1]))

    # Each series is split by whether the app looked up names (users,
    # stages, contacts, ...) on the Core API before it sent the row, because
    # those requests are spaced 200 ms apart and dominate when they happen.
    series = {}
    dbus_call = []
    for index, (received_at, message) in enumerate(lines):
        items = re.search(r"\bitems=(\d+)", message)
        if not message.startswith("page received") or not items or items.group(1) == "0":
            continue
        found = {}
        lookups = 0
        for at, later in lines[index + 1 :]:
            if later.startswith("page received") and re.search(r"\bitems=[1-9]", later):
                break
            if later.startswith("looking up") and "rows sent to the window" not in found:
                lookups += 1
            for key in STEPS:
                if later.startswith(key) and key not in found:
                    found[key] = (at, later)
        group = "with name look-ups" if lookups else "names cached"
        for key, (at, _) in found.items():
            series.setdefault((key, group), []).append(1000 * (at - received_at))
        if "pop-up sent" in found:
            elapsed = re.search(r"elapsed_us=(\d+)", found["pop-up sent"][1])
            if elapsed:
                dbus_call.append(int(elapsed.group(1)) / 1000)

    for group in ("names cached", "with name look-ups"):
        for key, label in STEPS.items():
            print(describe(f"{group}: page received -> {label}", series.get((key, group), [])))
    print(describe("Notify call on D-Bus (elapsed_us)", dbus_call))


if __name__ == "__main__":
    main()
