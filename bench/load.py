#!/usr/bin/env python3
"""reel-load: publishes N concurrent RTMP streams at a server and measures what it costs.

Loopback only. The stream is a generated H.264/AAC FLV (GOP 2 s, about 2.5 Mbit/s) whose
RTMP chunk stream is serialised once and sent by every connection, so the tool spends its
time in send(2), not in Python. Standard library only (Python 3.11).

Subcommands:
  source        make (or reuse) the cached source FLV and print its path
  reel-setup    create channels and running recording tasks on a Reel server (signed API)
  run           publish N streams, fast or at real-time pace; print one JSON result line
  table         read result lines and print the comparison table (Reel / nginx-rtmp)

`run` measures, from /proc, the server's CPU seconds per GB ingested (utime + stime of the
server process and its children), its RSS (idle, sampled while publishing, VmHWM), how far
each stream fell behind its real-time schedule, and for Reel the time from each unpublish
to its last fragment being listed by DescribeRecord and answering a HEAD of its playUrl.
"""

import argparse
import base64
import bisect
import errno
import fcntl
import hashlib
import hmac
import http.client
import json
import os
import queue
import random
import selectors
import socket
import statistics
import struct
import subprocess
import sys
import termios
import threading
import time
import urllib.parse

MAX_STREAMS = 200
MAX_SECONDS = 600
CHUNK_SIZE = 4096
CSID_CONTROL, CSID_COMMAND, CSID_AUDIO, CSID_DATA, CSID_VIDEO = 2, 3, 4, 5, 6
TYPE_SET_CHUNK_SIZE, TYPE_USER_CONTROL = 1, 4
TYPE_AUDIO, TYPE_VIDEO, TYPE_DATA_AMF0, TYPE_COMMAND_AMF0 = 8, 9, 18, 20
TIOCOUTQ = getattr(termios, "TIOCOUTQ", 0x5411)


def die(message):
    print(f"reel-load: {message}", file=sys.stderr)
    sys.exit(2)


# ---------------------------------------------------------------- AMF0 (the subset RTMP commands use)

def amf_encode(value):
    if value is None:
        return b"\x05"
    if isinstance(value, bool):
        return b"\x01" + (b"\x01" if value else b"\x00")
    if isinstance(value, (int, float)):
        return b"\x00" + struct.pack(">d", float(value))
    if isinstance(value, str):
        data = value.encode()
        return b"\x02" + struct.pack(">H", len(data)) + data
    if isinstance(value, dict):
        out = b"\x03"
        for key, item in value.items():
            name = key.encode()
            out += struct.pack(">H", len(name)) + name + amf_encode(item)
        return out + b"\x00\x00\x09"
    raise TypeError(f"cannot encode {type(value)} as AMF0")


def amf_decode(data, pos=0):
    """Returns (value, next position); raises ValueError on what it cannot read."""
    marker = data[pos]
    pos += 1
    if marker == 0x00:
        return struct.unpack_from(">d", data, pos)[0], pos + 8
    if marker == 0x01:
        return data[pos] != 0, pos + 1
    if marker == 0x02:
        (length,) = struct.unpack_from(">H", data, pos)
        return bytes(data[pos + 2:pos + 2 + length]).decode(errors="replace"), pos + 2 + length
    if marker == 0x0C:
        (length,) = struct.unpack_from(">I", data, pos)
        return bytes(data[pos + 4:pos + 4 + length]).decode(errors="replace"), pos + 4 + length
    if marker in (0x05, 0x06):
        return None, pos
    if marker in (0x03, 0x08):
        if marker == 0x08:
            pos += 4
        result = {}
        while True:
            (length,) = struct.unpack_from(">H", data, pos)
            pos += 2
            if length == 0 and data[pos] == 0x09:
                return result, pos + 1
            key = bytes(data[pos:pos + length]).decode(errors="replace")
            result[key], pos = amf_decode(data, pos + length)
    if marker == 0x0A:
        (count,) = struct.unpack_from(">I", data, pos)
        pos += 4
        items = []
        for _ in range(count):
            item, pos = amf_decode(data, pos)
            items.append(item)
        return items, pos
    if marker == 0x0B:
        return struct.unpack_from(">d", data, pos)[0], pos + 10
    raise ValueError(f"AMF0 marker {marker:#x} not handled")


def amf_decode_all(data):
    values, pos = [], 0
    while pos < len(data):
        value, pos = amf_decode(data, pos)
        values.append(value)
    return values


# ---------------------------------------------------------------- RTMP chunk stream

def basic_header(fmt, csid):
    assert 2 <= csid <= 63
    return bytes([(fmt << 6) | csid])


def chunk_message(csid, fmt, timestamp, type_id, stream_id, payload, chunk_size=CHUNK_SIZE):
    """One message as chunks: a fmt 0 or 1 header, then fmt 3 continuation chunks.

    `timestamp` is absolute for fmt 0 and the delta for fmt 1 (RTMP 1.0 §5.3.1.2).
    """
    assert 0 <= timestamp < 0xFFFFFF, "extended timestamps are not generated"
    length = len(payload)
    header = basic_header(fmt, csid) + timestamp.to_bytes(3, "big") + length.to_bytes(3, "big") + bytes([type_id])
    if fmt == 0:
        header += struct.pack("<I", stream_id)
    parts = [header, payload[:chunk_size]]
    continuation = basic_header(3, csid)
    for offset in range(chunk_size, length, chunk_size):
        parts.append(continuation)
        parts.append(payload[offset:offset + chunk_size])
    return b"".join(parts)


def command(name, transaction, *arguments, stream_id=0, csid=CSID_COMMAND):
    payload = amf_encode(name) + amf_encode(transaction) + b"".join(amf_encode(a) for a in arguments)
    return chunk_message(csid, 0, 0, TYPE_COMMAND_AMF0, stream_id, payload)


class ChunkReader:
    """Decodes what a server sends (fmt 0–3, 1–3 byte csids, extended timestamps, Set Chunk Size)."""

    def __init__(self):
        self.buffer = bytearray()
        self.chunk_size = 128
        self.streams = {}  # csid -> [timestamp, length, type, stream id, partial payload, extended]

    def feed(self, data):
        self.buffer += data
        messages = []
        while True:
            message = self._next()
            if message is None:
                return messages
            if message[0] == TYPE_SET_CHUNK_SIZE:
                self.chunk_size = struct.unpack(">I", message[2][:4])[0] & 0x7FFFFFFF
            messages.append(message)

    def _next(self):
        data = self.buffer
        if not data:
            return None
        fmt, csid, pos = data[0] >> 6, data[0] & 0x3F, 1
        if csid == 0:
            if len(data) < 2:
                return None
            csid, pos = 64 + data[1], 2
        elif csid == 1:
            if len(data) < 3:
                return None
            csid, pos = 64 + data[1] + 256 * data[2], 3
        header_length = (11, 7, 3, 0)[fmt]
        if len(data) < pos + header_length:
            return None
        state = self.streams.setdefault(csid, [0, 0, 0, 0, bytearray(), False])
        timestamp_field = None
        if fmt <= 2:
            timestamp_field = int.from_bytes(data[pos:pos + 3], "big")
        if fmt <= 1:
            length = int.from_bytes(data[pos + 3:pos + 6], "big")
            type_id = data[pos + 6]
        if fmt == 0:
            stream_id = struct.unpack_from("<I", data, pos + 7)[0]
        pos += header_length
        extended = timestamp_field == 0xFFFFFF if timestamp_field is not None else state[5]
        if extended:
            if len(data) < pos + 4:
                return None
            pos += 4
        if fmt <= 1:
            state[1], state[2] = length, type_id
        if fmt == 0:
            state[3] = stream_id
        state[5] = extended
        remaining = state[1] - len(state[4])
        take = min(remaining, self.chunk_size)
        if len(data) < pos + take:
            return None
        state[4] += data[pos:pos + take]
        del data[:pos + take]
        if len(state[4]) < state[1]:
            return None
        payload, state[4] = bytes(state[4]), bytearray()
        return state[2], state[3], payload


# ---------------------------------------------------------------- the source FLV

def cache_dir():
    base = os.environ.get("REEL_BENCH_CACHE") or os.path.join(
        os.environ.get("XDG_CACHE_HOME") or os.path.expanduser("~/.cache"), "reel-bench")
    os.makedirs(base, exist_ok=True)
    return base


def source_path(seconds):
    return os.path.join(cache_dir(), f"source-720p30-2500k-gop2-{seconds}s.flv")


def make_source(seconds):
    """The generated test stream: testsrc2 + a sine, x264 GOP 60 frames at 30 fps, ~2.5 Mbit/s."""
    path = source_path(seconds)
    if os.path.exists(path):
        return path
    partial = path + f".{os.getpid()}.tmp"
    arguments = [
        "ffmpeg", "-hide_banner", "-loglevel", "error", "-y",
        "-f", "lavfi", "-i", "testsrc2=size=1280x720:rate=30",
        "-f", "lavfi", "-i", "sine=frequency=440:sample_rate=48000",
        "-t", str(seconds),
        "-c:v", "libx264", "-preset", "veryfast", "-pix_fmt", "yuv420p",
        "-b:v", "2300k", "-maxrate", "2300k", "-bufsize", "4600k",
        "-g", "60", "-keyint_min", "60", "-sc_threshold", "0",
        "-c:a", "aac", "-b:a", "128k", "-ac", "2",
        "-f", "flv", partial,
    ]
    print(f"reel-load: generating {path} (once; cached)", file=sys.stderr)
    subprocess.run(arguments, check=True)
    os.replace(partial, path)
    return path


def read_flv(path):
    """Returns the tags as (type, timestamp ms, payload)."""
    with open(path, "rb") as handle:
        data = handle.read()
    if data[:3] != b"FLV":
        die(f"{path} is not an FLV file")
    pos = struct.unpack(">I", data[5:9])[0] + 4
    tags = []
    while pos + 11 <= len(data):
        tag_type = data[pos] & 0x1F
        size = int.from_bytes(data[pos + 1:pos + 4], "big")
        timestamp = int.from_bytes(data[pos + 4:pos + 7], "big") | (data[pos + 7] << 24)
        payload = data[pos + 11:pos + 11 + size]
        if len(payload) < size:
            break
        tags.append((tag_type, timestamp, payload))
        pos += 11 + size + 4
    return tags


def is_sequence_header(tag_type, payload):
    if tag_type == TYPE_VIDEO:
        return len(payload) > 1 and payload[0] & 0x0F == 7 and payload[1] == 0
    if tag_type == TYPE_AUDIO:
        return len(payload) > 1 and payload[0] >> 4 == 10 and payload[1] == 0
    return False


class Serialised:
    """The chunk stream of the source, serialised once for message stream `stream_id`.

    `prologue` carries @setDataFrame/onMetaData and the sequence headers. The media tags are
    serialised twice: `first` (fmt 0 on each csid's first message, absolute timestamps) for
    the first pass, and `next` (fmt 1 deltas only) for every later pass, whose timestamps
    continue `period` ms after the previous pass, so a stream can loop the source for as long
    as it needs without re-serialising or repeating sequence headers.
    """

    def __init__(self, tags, stream_id):
        csid_of = {TYPE_AUDIO: CSID_AUDIO, TYPE_VIDEO: CSID_VIDEO, TYPE_DATA_AMF0: CSID_DATA}
        prologue = []
        media = []
        for tag_type, timestamp, payload in tags:
            if tag_type == TYPE_DATA_AMF0:
                values = amf_decode_all(payload)
                if values and values[0] == "onMetaData":
                    payload = amf_encode("@setDataFrame") + payload
                prologue.append(chunk_message(CSID_DATA, 0, 0, TYPE_DATA_AMF0, stream_id, payload))
            elif is_sequence_header(tag_type, payload):
                prologue.append(chunk_message(csid_of[tag_type], 0, 0, tag_type, stream_id, payload))
            elif tag_type in (TYPE_AUDIO, TYPE_VIDEO):
                media.append((tag_type, timestamp, payload))
        if not media:
            die("the source has no media tags")
        base = media[0][1]
        media = [(t, ts - base, p) for t, ts, p in media]
        first_ts, last_ts, deltas = {}, {}, {}
        for tag_type, timestamp, _ in media:
            if tag_type in last_ts:
                deltas.setdefault(tag_type, []).append(timestamp - last_ts[tag_type])
            first_ts.setdefault(tag_type, timestamp)
            last_ts[tag_type] = timestamp
        self.period = max(
            last_ts[t] - first_ts[t] + int(statistics.median(deltas.get(t, [33]))) + first_ts[t] for t in last_ts)
        self.prologue = b"".join(prologue)
        first_parts, next_parts, self.ends, self.timestamps = [], [], [], []
        seen, previous, offset = set(), {}, 0
        for tag_type, timestamp, payload in media:
            csid = csid_of[tag_type]
            if tag_type not in seen:
                seen.add(tag_type)
                first = chunk_message(csid, 0, timestamp, tag_type, stream_id, payload)
                wrap = self.period + timestamp - last_ts[tag_type]
                following = chunk_message(csid, 1, wrap, tag_type, stream_id, payload)
            else:
                first = following = chunk_message(csid, 1, timestamp - previous[tag_type], tag_type, stream_id, payload)
            previous[tag_type] = timestamp
            first_parts.append(first)
            next_parts.append(following)
            offset += len(first)
            self.ends.append(offset)  # tag ends; `next` differs only in a few header bytes
            self.timestamps.append(timestamp)
        self.first = b"".join(first_parts)
        self.next = b"".join(next_parts)
        # Offsets in `next` can differ from `first` (fmt 1 headers are 4 bytes shorter).
        self.next_ends, offset = [], 0
        for part in next_parts:
            offset += len(part)
            self.next_ends.append(offset)
        self.media_bytes_per_pass = len(self.next)


# ---------------------------------------------------------------- one publishing connection

class Publisher:
    """One RTMP publish: handshake, connect, createStream, publish, media, unpublish."""

    def __init__(self, index, url, plan, options, source_tags, serialised_cache, now):
        parsed = urllib.parse.urlsplit(url)
        if parsed.scheme != "rtmp" or parsed.hostname not in ("127.0.0.1", "localhost", "::1"):
            die(f"{url}: only rtmp:// URLs on loopback are allowed")
        path = parsed.path.lstrip("/")
        app, _, name = path.partition("/")
        if not app or not name:
            die(f"{url}: expected rtmp://host:port/app/name")
        self.index = index
        self.host, self.port = parsed.hostname, parsed.port or 1935
        self.app = app
        self.stream_name = name + ("?" + parsed.query if parsed.query else "")
        self.tc_url = f"rtmp://{parsed.hostname}:{self.port}/{app}"
        self.plan = plan  # (passes, last pass tag count)
        self.options = options
        self.source_tags = source_tags
        self.serialised_cache = serialised_cache
        self.state = "idle"
        self.start_at = now
        self.sock = None
        self.outgoing = bytearray()  # control bytes sent before or between media messages
        self.incoming = bytearray()
        self.reader = ChunkReader()
        self.sent_bytes = 0
        self.stream_id = None
        self.data = None
        self.pass_index = 0
        self.pass_offset = 0
        self.pass_tag = 0  # next tag of the current pass to finish
        self.publish_at = None
        self.max_lag = 0.0
        self.unpublish_at = None
        self.closed_at = None
        self.error = None
        self.pending_pongs = []
        self.media_ms_sent = 0
        self.drain_deadline = None

    # -- plan helpers

    def _pass_buffer(self):
        return self.data.first if self.pass_index == 0 else self.data.next

    def _pass_ends(self):
        return self.data.ends if self.pass_index == 0 else self.data.next_ends

    def _pass_tag_count(self):
        passes, last_count = self.plan
        return last_count if self.pass_index == passes - 1 else len(self.data.ends)

    def media_done(self):
        return self.pass_index >= self.plan[0]

    # -- socket events

    def connect(self, selector):
        self.sock = socket.socket(socket.AF_INET6 if ":" in self.host else socket.AF_INET, socket.SOCK_STREAM)
        self.sock.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
        if self.options.pace == "realtime":
            # A small send buffer, so a server that stops reading shows up as lag within
            # a fraction of a second instead of hiding in megabytes of kernel buffers.
            self.sock.setsockopt(socket.SOL_SOCKET, socket.SO_SNDBUF, 64 * 1024)
        self.sock.setblocking(False)
        try:
            self.sock.connect((self.host, self.port))
        except BlockingIOError:
            pass
        c1 = struct.pack(">II", int(time.time()) & 0xFFFFFFFF, 0) + random.randbytes(1528)
        self.outgoing += b"\x03" + c1
        self.state = "handshake"
        self.registered_events = selectors.EVENT_READ | selectors.EVENT_WRITE
        selector.register(self.sock, self.registered_events, self)

    def on_readable(self, now):
        try:
            data = self.sock.recv(65536)
        except (BlockingIOError, InterruptedError):
            return
        except OSError as error:
            return self.fail(f"recv: {error}", now)
        if not data:
            if self.state in ("draining", "closing"):
                return self.finish(now)
            return self.fail(f"server closed the connection in state {self.state}", now)
        if self.state == "handshake":
            self.incoming += data
            if len(self.incoming) < 1 + 1536 * 2:
                return
            s1 = bytes(self.incoming[1:1537])
            rest = bytes(self.incoming[1 + 1536 * 2:])
            self.incoming.clear()
            self.outgoing += s1  # C2 echoes S1
            self.outgoing += chunk_message(CSID_CONTROL, 0, 0, TYPE_SET_CHUNK_SIZE, 0, struct.pack(">I", CHUNK_SIZE))
            self.outgoing += command("connect", 1, {
                "app": self.app, "type": "nonprivate", "flashVer": "FMLE/3.0 (compatible; reel-load)",
                "tcUrl": self.tc_url,
            })
            self.state = "connecting"
            data = rest
        for type_id, stream_id, payload in self.reader.feed(data):
            self.on_message(type_id, stream_id, payload, now)

    def on_message(self, type_id, stream_id, payload, now):
        if type_id == TYPE_USER_CONTROL and len(payload) >= 6 and struct.unpack(">H", payload[:2])[0] == 6:
            pong = struct.pack(">H", 7) + payload[2:6]
            self.pending_pongs.append(chunk_message(CSID_CONTROL, 0, 0, TYPE_USER_CONTROL, 0, pong))
            return
        if type_id != TYPE_COMMAND_AMF0:
            return
        try:
            values = amf_decode_all(payload)
        except (ValueError, IndexError, struct.error):
            return
        name = values[0] if values else None
        if name == "_error" or (name == "onStatus" and self.state != "publishing" and len(values) > 3
                                 and isinstance(values[3], dict)
                                 and values[3].get("level") == "error"):
            return self.fail(f"server refused: {values}", now)
        if self.state == "connecting" and name == "_result" and values[1] == 1:
            self.outgoing += command("releaseStream", 2, None, self.stream_name)
            self.outgoing += command("FCPublish", 3, None, self.stream_name)
            self.outgoing += command("createStream", 4, None)
            self.state = "creating"
        elif self.state == "creating" and name == "_result" and values[1] == 4:
            self.stream_id = int(values[3])
            if self.stream_id not in self.serialised_cache:
                self.serialised_cache[self.stream_id] = Serialised(self.source_tags, self.stream_id)
            self.data = self.serialised_cache[self.stream_id]
            self.outgoing += command("publish", 5, None, self.stream_name, "live",
                                     stream_id=self.stream_id, csid=8)
            self.state = "awaiting-publish"
        elif self.state == "awaiting-publish" and name == "onStatus":
            info = values[3] if len(values) > 3 and isinstance(values[3], dict) else {}
            if info.get("code") == "NetStream.Publish.Start":
                self.outgoing += self.data.prologue
                self.publish_at = now
                self.state = "publishing"

    def on_writable(self, now):
        try:
            if self.outgoing:
                sent = self.sock.send(self.outgoing)
                del self.outgoing[:sent]
                self.sent_bytes += sent
                if self.outgoing:
                    return
            if self.state != "publishing":
                return
            self._send_media(now)
        except (BlockingIOError, InterruptedError):
            return
        except OSError as error:
            if error.errno in (errno.EAGAIN,):
                return
            self.fail(f"send: {error}", now)

    def _send_media(self, now):
        realtime = self.options.pace == "realtime"
        media_now = (now - self.publish_at) * 1000.0
        while not self.media_done():
            buffer, ends = self._pass_buffer(), self._pass_ends()
            count = self._pass_tag_count()
            pass_base_ms = self.pass_index * self.data.period
            due = bisect.bisect_right(self.data.timestamps, media_now - pass_base_ms, 0, count) if realtime else count
            if realtime and self.pass_tag < due:
                # How late the oldest due, unsent tag is: the stream's lag behind real time.
                lag = media_now - (pass_base_ms + self.data.timestamps[self.pass_tag])
                self.max_lag = max(self.max_lag, lag)
            limit = ends[due - 1] if due else 0
            if self.pending_pongs:
                # Control messages go in between media messages: stop at the next tag end.
                if self.pass_offset == (ends[self.pass_tag - 1] if self.pass_tag else 0):
                    self.outgoing += b"".join(self.pending_pongs)
                    self.pending_pongs.clear()
                    return
                limit = min(limit, ends[self.pass_tag])
            if limit > self.pass_offset:
                end = min(limit, self.pass_offset + (1 << 20))
                want = end - self.pass_offset
                sent = self.sock.send(memoryview(buffer)[self.pass_offset:end])
                self.pass_offset += sent
                self.sent_bytes += sent
                self.pass_tag = bisect.bisect_right(ends, self.pass_offset, 0, count)
                if self.pass_tag:
                    self.media_ms_sent = pass_base_ms + self.data.timestamps[self.pass_tag - 1]
                if sent < want:
                    return  # the socket is full
                if end < limit:
                    continue
            if self.pass_tag >= count:
                self.pass_index += 1
                self.pass_offset = 0
                self.pass_tag = 0
                continue
            return
        if self.pending_pongs:  # every media message is out: control messages may follow
            self.outgoing += b"".join(self.pending_pongs)
            self.pending_pongs.clear()
        if not self.outgoing:
            self.state = "draining"
            self.drain_deadline = now + 30

    def interest(self):
        """Writes are awaited only while something is ready to go: no busy polling."""
        if self.state == "done":
            return 0
        write = bool(self.outgoing) or self.state == "handshake" or (
            self.state == "publishing" and self.options.pace == "fast")
        return selectors.EVENT_READ | (selectors.EVENT_WRITE if write else 0)

    def poll_drain(self, now):
        """Unpublishes once the kernel has handed every media byte to the server."""
        if self.state != "draining" or self.outgoing:
            return
        queued = struct.unpack("i", fcntl.ioctl(self.sock.fileno(), TIOCOUTQ, b"\0\0\0\0"))[0]
        if queued > 0 and now < self.drain_deadline:
            return
        message = (command("FCUnpublish", 6, None, self.stream_name.split("?")[0])
                   + command("deleteStream", 7, None, self.stream_id))
        try:
            self.sock.send(message)
            self.sent_bytes += len(message)
        except OSError as error:
            return self.fail(f"send deleteStream: {error}", now)
        self.unpublish_at = time.monotonic()
        # Half-close: the server reads deleteStream, then end of file; we read until it closes,
        # so nothing unread turns our close into a reset.
        try:
            self.sock.shutdown(socket.SHUT_WR)
        except OSError:
            pass
        self.state = "closing"
        self.close_deadline = now + 2

    def poll_close(self, now):
        if self.state == "closing" and now >= self.close_deadline:
            self.finish(now)

    def fail(self, message, now):
        self.error = message
        self.finish(now)

    def finish(self, now):
        if self.state == "done":
            return
        self.state = "done"
        self.closed_at = now
        self.selector_unregister()

    def selector_unregister(self):
        try:
            self.selector.unregister(self.sock)
        except (KeyError, ValueError):
            pass
        self.sock.close()


# ---------------------------------------------------------------- /proc metrics

CLOCK_TICKS = os.sysconf("SC_CLK_TCK")


def process_tree(pid):
    children = {}
    for entry in os.listdir("/proc"):
        if entry.isdigit():
            try:
                with open(f"/proc/{entry}/stat") as handle:
                    fields = handle.read().rsplit(")", 1)[1].split()
                children.setdefault(int(fields[1]), []).append(int(entry))
            except OSError:
                pass
    tree, todo = [], [pid]
    while todo:
        current = todo.pop()
        tree.append(current)
        todo.extend(children.get(current, []))
    return tree


def cpu_seconds(pids):
    total = 0
    for pid in pids:
        try:
            with open(f"/proc/{pid}/stat") as handle:
                fields = handle.read().rsplit(")", 1)[1].split()
            total += int(fields[11]) + int(fields[12])  # utime, stime
        except OSError:
            pass
    return total / CLOCK_TICKS


def memory_kib(pids, field):
    total = 0
    for pid in pids:
        try:
            with open(f"/proc/{pid}/status") as handle:
                for line in handle:
                    if line.startswith(field + ":"):
                        total += int(line.split()[1])
        except OSError:
            pass
    return total


def wait_until_quiet(pids, limit=20.0, window=0.3, ticks=2, idle_rate=0.0):
    """Waits until the server uses less than `ticks` clock ticks in `window` seconds beyond
    its idle rate (CPU seconds per second with nothing published)."""
    deadline = time.monotonic() + limit
    previous = cpu_seconds(pids)
    while time.monotonic() < deadline:
        time.sleep(window)
        current = cpu_seconds(pids)
        if current - previous < ticks / CLOCK_TICKS + idle_rate * window:
            return True
        previous = current
    return False


# ---------------------------------------------------------------- the Reel API (signed, spec §3)

class ReelAPI:
    def __init__(self, endpoint, secret_id, secret_key):
        parsed = urllib.parse.urlsplit(endpoint)
        self.host, self.port, self.path = parsed.hostname, parsed.port or 80, parsed.path or "/v2/index.php"
        self.secret_id, self.secret_key = secret_id, secret_key
        self.connection = None

    def signed_query(self, action, parameters):
        pairs = [("Action", action), ("Region", "gz"), ("Timestamp", str(int(time.time()))),
                 ("Nonce", str(random.randint(1, 2**32 - 1))), ("SecretId", self.secret_id)]
        pairs += list(parameters.items())
        # Names with "_" sign as ".", sorted after the change; values raw (spec §3).
        signed = sorted(((name.replace("_", "."), value) for name, value in pairs), key=lambda p: p[0].encode())
        text = "GET" + self.host + "/v2/index.php?" + "&".join(f"{n}={v}" for n, v in signed)
        digest = hmac.new(self.secret_key.encode(), text.encode(), hashlib.sha1).digest()
        pairs.append(("Signature", base64.b64encode(digest).decode()))
        return urllib.parse.urlencode(pairs, quote_via=urllib.parse.quote, safe="")

    def request(self, method, path, attempts=3):
        for attempt in range(attempts):
            try:
                if self.connection is None:
                    self.connection = http.client.HTTPConnection(self.host, self.port, timeout=30)
                self.connection.request(method, path)
                response = self.connection.getresponse()
                body = response.read()
                return response.status, body
            except (OSError, http.client.HTTPException):
                if self.connection:
                    self.connection.close()
                self.connection = None
                if attempt == attempts - 1:
                    raise
        raise AssertionError("unreachable")

    def call(self, action, **parameters):
        status, body = self.request("GET", self.path + "?" + self.signed_query(action, parameters))
        answer = json.loads(body)
        if answer.get("code") != 0:
            raise RuntimeError(f"{action} failed: HTTP {status} {answer}")
        return answer


def availability_worker(api, jobs, results, poll_interval):
    """For each unpublished stream: poll DescribeRecord until the last fragment is listed, then HEAD it."""
    while True:
        job = jobs.get()
        if job is None:
            return
        index, channel_id, task_id, unpublish_at, media_ms, known = job
        deadline = unpublish_at + 30
        result = {"stream": index, "listed_ms": None, "playable_ms": None}
        try:
            while time.monotonic() < deadline:
                answer = api.call("DescribeRecord", channelId=channel_id, taskId=task_id, pageSize="100")
                files = [f for f in answer.get("fileSet", []) if f.get("vid") not in known]
                # The fragment holding the end of this publish: listed once the publish's
                # fragments add up to what was sent (less a GOP for the cut boundaries).
                if files and sum(float(f.get("duration", 0)) for f in files) * 1000 >= media_ms - 2500:
                    result["listed_ms"] = (time.monotonic() - unpublish_at) * 1000
                    newest = max(files, key=lambda f: (f.get("startTime", ""), f.get("vid", "")))
                    play = urllib.parse.urlsplit(newest["playUrl"])
                    while time.monotonic() < deadline:
                        status, _ = api.request("HEAD", play.path)
                        if status == 200:
                            result["playable_ms"] = (time.monotonic() - unpublish_at) * 1000
                            break
                        time.sleep(poll_interval)
                    break
                time.sleep(poll_interval)
        except Exception as error:  # reported in the result, never raised out of the thread
            result["error"] = str(error)
        results.append(result)


# ---------------------------------------------------------------- subcommands

def load_targets(path, count):
    with open(path) as handle:
        targets = json.load(handle)
    if isinstance(targets, dict):
        targets = targets["streams"]
    if len(targets) < count:
        die(f"{path} lists {len(targets)} streams; {count} asked for")
    return targets[:count]


def percentile(values, fraction):
    if not values:
        return None
    ordered = sorted(values)
    rank = max(0, min(len(ordered) - 1, int(round(fraction * len(ordered) + 0.5)) - 1))
    return ordered[rank]


def command_run(options):
    if not 1 <= options.streams <= MAX_STREAMS:
        die(f"--streams is 1 to {MAX_STREAMS}")
    if options.seconds is not None and not 0 < options.seconds <= MAX_SECONDS:
        die(f"--seconds is at most {MAX_SECONDS}")
    source = make_source(options.source_seconds)
    tags = read_flv(source)
    cache = {1: Serialised(tags, 1)}
    data = cache[1]
    # The plan: how many passes over the source, and how many tags of the last one.
    if options.megabytes is not None:
        budget = options.megabytes * 1_000_000 - len(data.prologue)
        passes = max(1, -(-budget // data.media_bytes_per_pass))
        last_budget = budget - (passes - 1) * data.media_bytes_per_pass
        ends = data.ends if passes == 1 else data.next_ends
        last_count = min(len(ends), bisect.bisect_left(ends, last_budget) + 1)
    else:
        media_ms = (options.seconds or 40) * 1000
        passes = max(1, -(-media_ms // data.period))
        last_count = max(1, bisect.bisect_left(data.timestamps, media_ms - (passes - 1) * data.period))
    last_ts = (passes - 1) * data.period + data.timestamps[last_count - 1]
    if options.seconds is None and options.pace == "realtime":
        die("--pace realtime needs --seconds")
    if last_ts / 1000 > MAX_SECONDS * 20:
        die("the plan is too long")
    targets = load_targets(options.targets, options.first + options.streams)[options.first:]
    urls = [t["url"] if isinstance(t, dict) else t for t in targets]
    if options.app:
        # Same stream names, another server: rtmp://host:port/<app>/<name> (query dropped).
        urls = [f"rtmp://127.0.0.1:{options.port}/{options.app}/{t['streamId']}" for t in targets]

    server = process_tree(options.server_pid) if options.server_pid else []
    idle_rate = 0.0
    if server:
        # The idle rate: timers and housekeeping, so that "quiet" means quiet for this server.
        before, started = cpu_seconds(server), time.monotonic()
        time.sleep(1.0)
        idle_rate = (cpu_seconds(server) - before) / (time.monotonic() - started)
        wait_until_quiet(server, limit=10, idle_rate=idle_rate)
    rss_idle = memory_kib(server, "VmRSS")
    cpu_before = cpu_seconds(server)
    tool_before = os.times()

    api, jobs, availability, workers = None, None, [], []
    if options.reel_endpoint and options.pace == "realtime":
        jobs = queue.Queue()
        known = {}
        setup_api = ReelAPI(options.reel_endpoint, os.environ["REEL_SECRET_ID"], os.environ["REEL_SECRET_KEY"])
        for target in targets:  # fragments of earlier runs are not this run's
            answer = setup_api.call("DescribeRecord", channelId=target["channelId"], taskId=target["taskId"],
                                    pageSize="100")
            known[target["streamId"]] = {f["vid"] for f in answer.get("fileSet", [])}
        for _ in range(options.pollers):
            worker_api = ReelAPI(options.reel_endpoint, os.environ["REEL_SECRET_ID"], os.environ["REEL_SECRET_KEY"])
            thread = threading.Thread(target=availability_worker,
                                      args=(worker_api, jobs, availability, options.poll_interval / 1000),
                                      daemon=True)
            thread.start()
            workers.append(thread)

    start = time.monotonic()
    selector = selectors.EpollSelector()
    publishers = []
    for index, url in enumerate(urls):
        publisher = Publisher(index, url, (passes, last_count), options, tags, cache,
                              start + index * options.ramp / max(1, len(urls)))
        publisher.selector = selector
        publishers.append(publisher)
    pending = list(publishers)
    queued_jobs = set()
    rss_samples = []  # (time, live streams, RSS KiB)
    next_sample = start
    deadline = start + options.ramp + (last_ts / 1000 if options.pace == "realtime" else 0) + options.timeout
    tick = options.tick / 1000 if options.pace == "realtime" else 0.05
    while True:
        now = time.monotonic()
        while pending and pending[0].start_at <= now:
            pending.pop(0).connect(selector)
        for key, events in selector.select(timeout=tick):
            publisher = key.data
            if events & selectors.EVENT_READ:
                publisher.on_readable(now)
            if publisher.state != "done" and events & selectors.EVENT_WRITE:
                publisher.on_writable(now)
        now = time.monotonic()
        live = 0
        for publisher in publishers:
            if publisher.state == "publishing" and options.pace == "realtime":
                publisher.on_writable(now)  # paced sends are due by the clock, not by the socket
            if publisher.sock is not None and publisher.state != "done":
                wanted = publisher.interest()
                if wanted != publisher.registered_events:
                    selector.modify(publisher.sock, wanted, publisher)
                    publisher.registered_events = wanted
            if publisher.state == "draining":
                publisher.poll_drain(now)
            if publisher.state == "closing":
                publisher.poll_close(now)
            if publisher.state in ("publishing", "draining"):
                live += 1
            if (jobs is not None and publisher.unpublish_at is not None and publisher.index not in queued_jobs
                    and publisher.error is None):
                queued_jobs.add(publisher.index)
                target = targets[publisher.index]
                jobs.put((publisher.index, target["channelId"], target["taskId"], publisher.unpublish_at,
                          publisher.media_ms_sent, known[target["streamId"]]))
        if server and now >= next_sample:
            rss_samples.append((now - start, live, memory_kib(server, "VmRSS")))
            next_sample = now + 0.1
        if not pending and all(p.state == "done" for p in publishers):
            break
        if now > deadline:
            for publisher in publishers:
                if publisher.state != "done":
                    publisher.fail(f"timed out in state {publisher.state}", now)
            break
    end = time.monotonic()
    if jobs is not None:
        for _ in workers:
            jobs.put(None)
        for thread in workers:
            thread.join(timeout=40)
    if server:
        wait_until_quiet(server, idle_rate=idle_rate)
    cpu_after = cpu_seconds(server)
    tool_after = os.times()
    rss_after = memory_kib(server, "VmRSS")

    sent = sum(p.sent_bytes for p in publishers)
    errors = [f"stream {p.index}: {p.error}" for p in publishers if p.error]
    all_live = [rss for _, live, rss in rss_samples if live == len(publishers)]
    lags = [p.max_lag for p in publishers]
    # From the first publish to the last unpublish: the time the bytes took to go over.
    published = [p for p in publishers if p.unpublish_at and p.publish_at]
    publish_span = (
        max(p.unpublish_at for p in published) - min(p.publish_at for p in published) if published else end - start
    )
    listed = [a["listed_ms"] for a in availability if a.get("listed_ms") is not None]
    playable = [a["playable_ms"] for a in availability if a.get("playable_ms") is not None]
    result = {
        "server": options.label,
        "load": options.load_name or f"{options.streams}x{options.pace}",
        "streams": options.streams,
        "pace": options.pace,
        "bytes_sent": sent,
        "media_seconds_per_stream": last_ts / 1000,
        "wall_seconds": end - start,
        "throughput_mb_s": sent / 1e6 / max(1e-9, publish_span),
        "server_cpu_seconds": cpu_after - cpu_before,
        "cpu_s_per_gb": (cpu_after - cpu_before) / (sent / 1e9) if sent else None,
        "tool_cpu_seconds": (tool_after.user + tool_after.system) - (tool_before.user + tool_before.system),
        "rss_idle_mib": rss_idle / 1024,
        "rss_peak_mib": max((r for _, _, r in rss_samples), default=0) / 1024,
        "rss_after_mib": rss_after / 1024,
        "vm_hwm_mib": memory_kib(server, "VmHWM") / 1024,
        "rss_all_live_mib": statistics.median(all_live) / 1024 if all_live else None,
        "rss_growth_per_stream_mib": (statistics.median(all_live) - rss_idle) / 1024 / len(publishers)
        if all_live else None,
        "max_lag_ms": max(lags, default=0),
        "p99_lag_ms": percentile(lags, 0.99),
        "streams_behind": sum(1 for lag in lags if lag > options.behind_ms),
        "behind_threshold_ms": options.behind_ms,
        "available_listed_p50_ms": percentile(listed, 0.5),
        "available_listed_p99_ms": percentile(listed, 0.99),
        "available_p50_ms": percentile(playable, 0.5),
        "available_p99_ms": percentile(playable, 0.99),
        "available_count": len(playable),
        "availability_errors": [a for a in availability if a.get("playable_ms") is None][:5],
        "errors": errors[:10],
        "error_count": len(errors),
    }
    print(json.dumps(result), flush=True)
    if not options.quiet:
        print(f"reel-load: {result['server']} {result['load']}: {sent / 1e9:.3f} GB in {end - start:.1f} s, "
              f"server CPU {result['server_cpu_seconds']:.2f} s ({result['cpu_s_per_gb'] or 0:.3f} s/GB), "
              f"tool CPU {result['tool_cpu_seconds']:.2f} s, peak RSS {result['rss_peak_mib']:.0f} MiB, "
              f"max lag {result['max_lag_ms']:.0f} ms, behind {result['streams_behind']}, "
              f"available p99 {result['available_p99_ms']}, errors {len(errors)}", file=sys.stderr)
    return 1 if errors else 0


def command_idle(options):
    """The server's CPU while nothing is published: its timers and housekeeping."""
    server = process_tree(options.server_pid)
    before = cpu_seconds(server)
    time.sleep(options.seconds)
    spent = cpu_seconds(server) - before
    print(json.dumps({"server": options.label, "load": "idle", "pace": "idle",
                      "cpu_s_per_min": spent * 60 / options.seconds,
                      "rss_idle_mib": memory_kib(server, "VmRSS") / 1024}), flush=True)


def command_reel_setup(options):
    api = ReelAPI(options.endpoint, os.environ["REEL_SECRET_ID"], os.environ["REEL_SECRET_KEY"])
    streams = []
    start = time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime(time.time() - 60))
    for index in range(options.count):
        answer = api.call("CreateLVBChannel", channelName=f"{options.prefix}{index}", outputSourceType="3",
                          **{"sourceList.1.name": "cam", "sourceList.1.type": "1"})
        channel_id = answer["channel_id"]
        url = answer["channelInfo"]["upstream_address"]
        task = api.call("CreateRecord", channelId=channel_id, startTime=start)
        stream_id = urllib.parse.urlsplit(url).path.rsplit("/", 1)[1]
        streams.append({"channelId": channel_id, "taskId": task["task_id"], "url": url, "streamId": stream_id})
    deadline = time.monotonic() + 30
    for stream in streams:  # the scheduler starts each task: wait until it runs
        while True:
            answer = api.call("DescribeRecordList", channelId=stream["channelId"])
            tasks = answer.get("taskList") or answer.get("taskSet") or answer.get("data") or []
            running = [t for t in tasks if str(t.get("id", t.get("task_id"))) == str(stream["taskId"])
                       and int(t.get("status", 0)) == 1]
            if running:
                break
            if time.monotonic() > deadline:
                die(f"task {stream['taskId']} of channel {stream['channelId']} is not running: {answer}")
            time.sleep(0.1)
    with open(options.out, "w") as handle:
        json.dump({"streams": streams}, handle, indent=1)
    print(f"reel-load: {len(streams)} channels with running recording tasks in {options.out}", file=sys.stderr)


def median_range(values, digits):
    values = [v for v in values if v is not None]
    if not values:
        return "n/a", None
    middle = statistics.median(values)
    if len(values) == 1:
        return f"{middle:.{digits}f}", middle
    return f"{middle:.{digits}f} [{min(values):.{digits}f}–{max(values):.{digits}f}]", middle


def command_table(options):
    results = []
    for path in options.results:
        with open(path) as handle:
            for line in handle:
                line = line.strip()
                if line.startswith("{"):
                    results.append(json.loads(line))
    validation = {}  # server -> load -> counts
    if options.checks:
        with open(options.checks) as handle:
            for line in handle:
                fields = line.rstrip("\n").split("\t")
                if len(fields) >= 3:
                    counts = validation.setdefault(fields[0], {}).setdefault(fields[1], {"files": 0, "pass": 0})
                    counts["files"] += 1
                    counts["pass"] += fields[2] == "PASS"
    loads = []
    for result in results:
        if result["load"] not in loads:
            loads.append(result["load"])
    rows = []

    def row(load, label, key, digits):
        cells = []
        medians = []
        for server in ("reel", "nginx"):
            values = [r.get(key)
                      for r in results if r["server"] == server and r["load"] == load]
            text, middle = median_range(values, digits)
            cells.append(text)
            medians.append(middle)
        ratio = "n/a"
        if medians[0] is not None and medians[1]:
            ratio = f"{medians[0] / medians[1]:.2f}"
        rows.append((load, label, cells[0], cells[1], ratio))

    for load in loads:
        if load == "idle":
            row(load, "server CPU s per minute, nothing published", "cpu_s_per_min", 3)
            row(load, "RSS MiB at the start", "rss_idle_mib", 1)
            continue
        realtime = any(r["pace"] == "realtime" for r in results if r["load"] == load)
        row(load, "server CPU s per GB ingested+recorded", "cpu_s_per_gb", 3)
        if not realtime:
            row(load, "throughput MB/s (tool → server)", "throughput_mb_s", 0)
        row(load, "load tool CPU s (for scale)", "tool_cpu_seconds", 2)
        row(load, "peak RSS MiB", "rss_peak_mib", 1)
        if realtime:
            row(load, "RSS growth per live stream MiB", "rss_growth_per_stream_mib", 2)
            row(load, "streams behind (> 1 s late)", "streams_behind", 0)
            row(load, "max lag ms", "max_lag_ms", 0)
            row(load, "available (listed) p50 ms", "available_listed_p50_ms", 1)
            row(load, "available (listed+HEAD) p99 ms", "available_p99_ms", 1)
        row(load, "publish errors", "error_count", 0)
        if validation:
            cells = []
            for server in ("reel", "nginx"):
                counts = validation.get(server, {}).get(load)
                cells.append(f"{counts['pass']}/{counts['files']} pass" if counts else "n/a")
            rows.append((load, "files written / passing ffprobe+flvmeta", cells[0], cells[1], ""))
    widths = [max(len(str(r[i])) for r in rows + [("load", "metric", "Reel", "nginx-rtmp", "Reel/nginx")])
              for i in range(5)]
    header = ("load", "metric", "Reel", "nginx-rtmp", "Reel/nginx")
    print("| " + " | ".join(str(h).ljust(w) for h, w in zip(header, widths)) + " |")
    print("|" + "|".join("-" * (w + 2) for w in widths) + "|")
    for r in rows:
        print("| " + " | ".join(str(c).ljust(w) for c, w in zip(r, widths)) + " |")


def main():
    parser = argparse.ArgumentParser(prog="reel-load", description=__doc__.split("\n\n")[0])
    sub = parser.add_subparsers(dest="command", required=True)
    p = sub.add_parser("source", help="make or reuse the cached source FLV; print its path")
    p.add_argument("--source-seconds", type=int, default=30)
    p = sub.add_parser("reel-setup", help="create channels with running recording tasks on Reel")
    p.add_argument("--endpoint", required=True, help="http://127.0.0.1:PORT/v2/index.php")
    p.add_argument("--count", type=int, required=True)
    p.add_argument("--prefix", default="bench-")
    p.add_argument("--out", required=True, help="JSON file of streams to write")
    p = sub.add_parser("run", help="publish N streams and measure the server")
    p.add_argument("--targets", required=True, help="JSON from reel-setup (or a list of rtmp:// URLs)")
    p.add_argument("--streams", type=int, required=True, help=f"1 to {MAX_STREAMS}")
    p.add_argument("--pace", choices=("fast", "realtime"), default="fast")
    p.add_argument("--seconds", type=int, help="media seconds per stream")
    p.add_argument("--megabytes", type=int, help="megabytes per stream (fast loads)")
    p.add_argument("--app", help="publish to rtmp://127.0.0.1:PORT/APP/<streamId> instead of the targets' URLs")
    p.add_argument("--port", type=int, default=1935)
    p.add_argument("--server-pid", type=int, help="the server process (its children are counted too)")
    p.add_argument("--label", default="server")
    p.add_argument("--load-name")
    p.add_argument("--ramp", type=float, default=2.0, help="seconds over which connections start")
    p.add_argument("--timeout", type=float, default=120.0, help="seconds allowed beyond the media duration")
    p.add_argument("--behind-ms", type=float, default=1000.0, help="lag that counts as falling behind")
    p.add_argument("--reel-endpoint", help="measure fragment availability through this Reel API endpoint")
    p.add_argument("--pollers", type=int, default=8)
    p.add_argument("--poll-interval", type=float, default=2.0, help="milliseconds between DescribeRecord polls")
    p.add_argument("--tick", type=float, default=40.0, help="milliseconds between paced sends (real-time)")
    p.add_argument("--first", type=int, default=0, help="skip this many streams of the targets")
    p.add_argument("--source-seconds", type=int, default=30)
    p.add_argument("--quiet", action="store_true")
    p = sub.add_parser("idle", help="measure the server's CPU while idle")
    p.add_argument("--server-pid", type=int, required=True)
    p.add_argument("--label", required=True)
    p.add_argument("--seconds", type=float, default=10.0)
    p = sub.add_parser("table", help="print the comparison table from result files")
    p.add_argument("results", nargs="+")
    p.add_argument("--checks", help="TSV of file checks: server, load, PASS or FAIL, path")
    options = parser.parse_args()
    if options.command == "source":
        print(make_source(options.source_seconds))
    elif options.command == "reel-setup":
        command_reel_setup(options)
    elif options.command == "run":
        if (options.seconds is None) == (options.megabytes is None):
            die("give --seconds or --megabytes")
        sys.exit(command_run(options))
    elif options.command == "idle":
        command_idle(options)
    elif options.command == "table":
        command_table(options)


if __name__ == "__main__":
    main()
