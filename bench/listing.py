#!/usr/bin/env python3
"""reel-listing: GetVodRecordFiles, DescribeRecordList and DescribeRecord latency with a
million fragments in the store (issue 6's listing target: p99 under 20 ms).

Starts `reel serve` once on an empty data folder so it creates its schema, stops it, fills
the SQLite store with N fragments of one channel and one task (30-minute fragments, rows
written with the sqlite3 shell the same way the store's tally migration counts them), starts
it again and times signed API calls over one keep-alive connection: first pages, deep pages
and time ranges. Prints p50/p99/max per call kind, in milliseconds.
"""

import argparse
import json
import os
import re
import signal
import sqlite3
import statistics
import subprocess
import sys
import tempfile
import time

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from load import ReelAPI  # noqa: E402

CHANNEL = "16093104850681751595"
STREAM = "1000_7864df5a292f11e6b91fa4dcbef5e35a"
T0 = 1_700_000_000_000  # ms
STEP = 1_800_000  # 30 minutes


def serve(reel, data):
    """Starts the server; its log goes to <data>.log (read here for the port, never a pipe that fills)."""
    log_path = data + ".log"
    log = open(log_path, "a")
    offset = log.tell()
    process = subprocess.Popen(
        [reel, "serve", "--data", data, "--http-port", "0", "--rtmp-port", "0", "--bind", "127.0.0.1",
         "--api-timezone", "UTC"],
        stdout=subprocess.DEVNULL, stderr=log)
    deadline = time.time() + 300
    while time.time() < deadline:
        with open(log_path) as reader:
            reader.seek(offset)
            for line in reader:
                match = re.search(r"http\.port=(\d+)", line)
                if match and "reel is serving" in line:
                    return process, int(match.group(1))
        if process.poll() is not None:
            break
        time.sleep(0.1)
    process.kill()
    raise SystemExit("reel did not start; see " + log_path)


def stop(process):
    process.send_signal(signal.SIGTERM)
    process.wait(timeout=120)


def fill(database, count):
    connection = sqlite3.connect(database)
    connection.executescript(f"""
        INSERT INTO channel (id, name, describe, outputSourceType, playerPassword, sourceName, sourceType,
            streamId, outputRates, watermarkId, status, createdAt)
        VALUES ('{CHANNEL}', 'big', NULL, 1, NULL, 'cam', 1, '{STREAM}', '0', NULL, 0, 1700000000);
        INSERT INTO recordTask (id, channelId, startTime, endTime, status, createdAt)
        VALUES (1, '{CHANNEL}', 1700000000, 1800000000, 2, 1700000000);
        WITH RECURSIVE n(i) AS (SELECT 0 UNION ALL SELECT i + 1 FROM n WHERE i < {count - 1})
        INSERT INTO fragment (fileId, vid, taskId, channelId, startTime, endTime, duration, size, path, recovered)
        SELECT printf('%020d', i), printf('1000_%032x', i), 1, '{CHANNEL}', {T0} + i * {STEP},
               {T0} + i * {STEP} + 1799000, 1799000, 100000000,
               printf('library/%02x/%02x/1000_%032x.flv', i % 256, i / 256 % 256, i), 0 FROM n;
        UPDATE recordTask SET fragmentCount = (SELECT COUNT(*) FROM fragment WHERE taskId = recordTask.id);
        INSERT INTO fragmentDay (channelId, day, count)
        SELECT channelId, startTime / 86400000, COUNT(*) FROM fragment GROUP BY 1, 2;
    """)
    connection.commit()
    connection.close()


def utc(ms):
    return time.strftime("%Y-%m-%d %H:%M:%S", time.gmtime(ms / 1000))


def measure(api, calls, rounds):
    results = {}
    for name, (action, parameters, check) in calls.items():
        for _ in range(5):  # warm the page cache and the connection
            api.call(action, **parameters())
        timings = []
        for _ in range(rounds):
            started = time.perf_counter()
            answer = api.call(action, **parameters())
            timings.append((time.perf_counter() - started) * 1000)
            check(answer)
        timings.sort()
        results[name] = {
            "p50": statistics.median(timings),
            "p99": timings[min(len(timings) - 1, int(len(timings) * 0.99))],
            "max": timings[-1],
        }
    return results


def main():
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--reel", required=True, help="the reel binary (release build)")
    parser.add_argument("--fragments", type=int, default=1_000_000)
    parser.add_argument("--rounds", type=int, default=200)
    options = parser.parse_args()

    with tempfile.TemporaryDirectory(prefix="reel-listing-", dir="/dev/shm" if os.path.isdir("/dev/shm") else None) as work:
        data = os.path.join(work, "data")  # its log, <data>.log, is removed with the folder
        process, _ = serve(options.reel, data)
        stop(process)
        started = time.time()
        fill(os.path.join(data, "reel.sqlite"), options.fragments)
        print(f"filled {options.fragments} fragments in {time.time() - started:.1f} s", file=sys.stderr)
        credentials = json.load(open(os.path.join(data, "credentials.json")))
        process, port = serve(options.reel, data)
        try:
            api = ReelAPI(f"http://127.0.0.1:{port}/v2/index.php", credentials["secretId"], credentials["secretKey"])
            n = options.fragments
            last = T0 + (n - 1) * STEP
            import random
            rng = random.Random(7)

            def total(expected):
                def check(answer):
                    got = answer.get("totalCount")
                    if expected is not None and int(got) != expected:
                        raise SystemExit(f"totalCount {got}, expected {expected}")
                return check

            def window():
                # A random week-long window: 336 fragments.
                start = T0 + rng.randrange(0, max(1, n - 400)) * STEP
                return {"channelId": CHANNEL, "startTime": utc(start), "endTime": utc(start + 7 * 86_400_000)}

            calls = {
                "GetVodRecordFiles, all, first page": (
                    "GetVodRecordFiles", lambda: {"channelId": CHANNEL, "startTime": utc(T0), "pageSize": "20"}, total(n)),
                "GetVodRecordFiles, one week, first page": ("GetVodRecordFiles", window, total(336)),
                "GetVodRecordFiles, all, page 1000": (
                    "GetVodRecordFiles",
                    lambda: {"channelId": CHANNEL, "startTime": utc(T0), "pageSize": "20", "pageNum": "1000"}, total(n)),
                "GetVodRecordFiles, last week, last page": (
                    "GetVodRecordFiles",
                    lambda: {"channelId": CHANNEL, "startTime": utc(last - 7 * 86_400_000 + 1), "pageSize": "100",
                             "pageNum": "4"}, total(None)),
                "DescribeRecordList": ("DescribeRecordList", lambda: {"channelId": CHANNEL}, lambda a: None),
                "DescribeRecord, first page": (
                    "DescribeRecord", lambda: {"channelId": CHANNEL, "taskId": "1", "pageSize": "20"}, total(n)),
            }
            results = measure(api, calls, options.rounds)
        finally:
            stop(process)
    print(f"| call ({options.fragments:,} fragments, {options.rounds} calls each) | p50 ms | p99 ms | max ms |")
    print("| --- | --- | --- | --- |")
    for name, r in results.items():
        print(f"| {name} | {r['p50']:.2f} | {r['p99']:.2f} | {r['max']:.2f} |")


if __name__ == "__main__":
    main()
