#!/usr/bin/env bash
# Runs the same RTMP recording loads against Reel and nginx-rtmp on this machine, in one
# invocation, and prints one table with the ratios Reel / nginx-rtmp (issue #6; BENCHMARKS.md).
#
# Both servers listen on loopback only and record to tmpfs (/dev/shm), as does Reel's data
# folder. Loads (each repeated REPEATS times, servers alternating who goes first):
#   1x fast      one stream, FAST_MB megabytes as fast as the server takes them
#   50x fast     fifty streams, FAST_MB megabytes in all
#   100x rt      RT_STREAMS streams at real-time pace for RT_SECONDS seconds of media
# After each run the server is stopped, every file it wrote is checked with ffprobe and
# flvmeta --check, and the files are deleted: tmpfs never holds more than one run's files.
#
# Settings (environment): REPEATS (3), FAST_MB (1000), FAST_STREAMS (50), RT_STREAMS (100),
# RT_SECONDS (40), KEEP=1 keeps the work folder, OUT=<file> also writes the table there.
set -euo pipefail
cd "$(dirname "$0")/.."
root="$(pwd)"

REPEATS="${REPEATS:-3}"
FAST_MB="${FAST_MB:-1000}"
FAST_STREAMS="${FAST_STREAMS:-50}"
RT_STREAMS="${RT_STREAMS:-100}"
RT_SECONDS="${RT_SECONDS:-40}"
FRAGMENT_SECONDS=30
load="python3 $root/bench/load.py"
started=$(date +%s)

say() { printf '[compare %4ss] %s\n' "$(($(date +%s) - started))" "$*" >&2; }

# -- peers: nginx with the RTMP module, ffmpeg/ffprobe, flvmeta (Debian packages)
packages=()
command -v nginx >/dev/null 2>&1 || packages+=(nginx)
dpkg -s libnginx-mod-rtmp >/dev/null 2>&1 || packages+=(libnginx-mod-rtmp)
command -v ffmpeg >/dev/null 2>&1 || packages+=(ffmpeg)
command -v flvmeta >/dev/null 2>&1 || packages+=(flvmeta)
command -v python3 >/dev/null 2>&1 || packages+=(python3)
command -v curl >/dev/null 2>&1 || packages+=(curl)
if [ ${#packages[@]} -gt 0 ]; then
    say "installing ${packages[*]}"
    SUDO=""
    [ "$(id -u)" -eq 0 ] || SUDO="sudo"
    $SUDO apt-get update -qq
    DEBIAN_FRONTEND=noninteractive $SUDO apt-get install -y -qq --no-install-recommends "${packages[@]}" >/dev/null
fi
rtmp_module="$(dpkg -L libnginx-mod-rtmp | grep '/ngx_rtmp_module\.so$' | head -n 1)"
[ -n "$rtmp_module" ] || { echo "compare.sh: ngx_rtmp_module.so not found" >&2; exit 1; }

# -- Reel, release build
say "building reel (release)"
swift build -c release --product reel >&2
reel="$(swift build -c release --show-bin-path)/reel"

# -- the source stream (generated once, cached outside the project)
$load source >/dev/null

# -- work folder on tmpfs; everything started here is stopped on exit
work="$(mktemp -d /dev/shm/reel-bench.XXXXXX)"
chmod 755 "$work"
reel_pid=""
nginx_pid=""
cleanup() {
    local status=$?
    [ -n "$reel_pid" ] && kill "$reel_pid" 2>/dev/null && wait "$reel_pid" 2>/dev/null || true
    [ -n "$nginx_pid" ] && kill "$nginx_pid" 2>/dev/null && wait "$nginx_pid" 2>/dev/null || true
    if [ "${KEEP:-0}" = 1 ]; then say "kept $work"; else rm -rf "$work"; fi
    exit $status
}
trap cleanup EXIT
trap 'exit 130' INT TERM

free_port() { python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])'; }
reel_http="$(free_port)"
reel_rtmp="$(free_port)"
nginx_rtmp="$(free_port)"
while [ "$reel_rtmp" = "$reel_http" ] || [ "$nginx_rtmp" = "$reel_http" ] || [ "$nginx_rtmp" = "$reel_rtmp" ]; do
    nginx_rtmp="$(free_port)"; reel_rtmp="$(free_port)"
done

# -- Reel: data folder on tmpfs, fragments cut at 30 s of media like nginx's record_interval
export REEL_SECRET_ID="AKIDbench$(head -c 8 /dev/urandom | od -An -tx1 | tr -d ' \n')"
export REEL_SECRET_KEY="$(head -c 24 /dev/urandom | od -An -tx1 | tr -d ' \n')"
start_reel() {
    "$reel" serve --data "$work/reel-data" --bind 127.0.0.1 --http-port "$reel_http" --rtmp-port "$reel_rtmp" \
        --max-fragment-duration "$FRAGMENT_SECONDS" --log-level notice >>"$work/reel.log" 2>&1 &
    reel_pid=$!
    for _ in $(seq 1 300); do
        curl -fsS "http://127.0.0.1:$reel_http/healthz" >/dev/null 2>&1 && break
        kill -0 "$reel_pid" 2>/dev/null || { cat "$work/reel.log" >&2; exit 1; }
        sleep 0.1
    done
    curl -fsS "http://127.0.0.1:$reel_http/healthz" >/dev/null
    sleep 1  # the scheduler, started last, resumes the running tasks
}
stop_reel() {  # graceful (SIGTERM): open fragments close before it exits
    kill "$reel_pid" 2>/dev/null || true
    wait "$reel_pid" 2>/dev/null || true
    reel_pid=""
}
endpoint="http://127.0.0.1:$reel_http/v2/index.php"

# -- nginx-rtmp: one worker process, its own prefix and config, one application per load
mkdir -p "$work/nginx/logs" "$work/nginx/rec/fast1" "$work/nginx/rec/fastN" "$work/nginx/rec/rt"
chmod -R 777 "$work/nginx/rec"  # the worker runs as nobody when started as root
application() {
    printf '    application %s { live on; record all; record_path %s; record_unique on; record_interval %ss; }\n' \
        "$1" "$work/nginx/rec/$1" "$FRAGMENT_SECONDS"
}
cat >"$work/nginx/nginx.conf" <<EOF
load_module $rtmp_module;
worker_processes 1;
pid $work/nginx/nginx.pid;
error_log $work/nginx/logs/error.log warn;
events { worker_connections 1024; }
rtmp {
  server {
    listen 127.0.0.1:$nginx_rtmp;
    chunk_size 4096;
$(application fast1)
$(application fastN)
$(application rt)
  }
}
EOF
start_nginx() {
    nginx -p "$work/nginx" -c "$work/nginx/nginx.conf" -g 'daemon off;' >>"$work/nginx/logs/stdout.log" 2>&1 &
    nginx_pid=$!
    for _ in $(seq 1 50); do
        [ -s "$work/nginx/nginx.pid" ] && python3 -c 'import socket,sys; socket.create_connection(("127.0.0.1", int(sys.argv[1])), 1)' \
            "$nginx_rtmp" 2>/dev/null && break
        kill -0 "$nginx_pid" 2>/dev/null || { cat "$work/nginx/logs/"* >&2; exit 1; }
        sleep 0.1
    done
}
stop_nginx() {  # SIGQUIT: graceful; recordings are closed
    kill -QUIT "$nginx_pid" 2>/dev/null || true
    wait "$nginx_pid" 2>/dev/null || true
    nginx_pid=""
}
# Each load runs on freshly started servers, so no run inherits another's memory.
start_reel
start_nginx
say "reel (http $reel_http, rtmp $reel_rtmp) and nginx (rtmp $nginx_rtmp) running; work $work"

# -- one channel with a running recording task per stream; nginx gets the same stream names
channels=$((1 + FAST_STREAMS + RT_STREAMS))
$load reel-setup --endpoint "$endpoint" --count "$channels" --out "$work/targets.json"

check() {  # check <server> <load> <path>: prints server, load, PASS or FAIL, path, reason
    local reason="" errors
    case "$3" in
        *.flv) ;;
        *) reason="not a finished .flv" ;;
    esac
    if [ -z "$reason" ]; then
        errors="$(ffprobe -v error -i "$3" 2>&1 >/dev/null)" || reason="ffprobe failed"
        [ -z "$reason" ] && [ -n "$errors" ] && reason="ffprobe: $(printf '%s' "$errors" | head -n 1)"
    fi
    if [ -z "$reason" ]; then
        errors="$(flvmeta --check "$3" 2>&1)" || reason="flvmeta --check failed"
        if [ -z "$reason" ] && ! printf '%s\n' "$errors" | grep -q '^0 error(s)'; then reason="flvmeta: errors"; fi
    fi
    if [ -z "$reason" ]; then printf '%s\t%s\tPASS\t%s\n' "$1" "$2" "$3"; else printf '%s\t%s\tFAIL\t%s\t%s\n' "$1" "$2" "$3" "$reason"; fi
}
export -f check
# Checks the files the server wrote in the run just ended, then deletes them, so tmpfs holds
# at most one run's recordings. (Filling tmpfs run after run made every later run about twice
# as expensive for both servers on the virtual machine of BENCHMARKS.md: fresh memory pages.)
# Reel's files are its library (<data>/library/<xx>/<yy>/<vid>.flv) and whatever is left
# where fragments are staged (a .part file there was never finished, and fails). Its store
# keeps the rows: the next start finds their files missing and says so in its log.
check_and_remove() {  # check_and_remove <server> <load name>
    local server=$1 name=$2 folders
    if [ "$server" = reel ]; then folders=("$work/reel-data/library" "$work/reel-data/fragments"); else folders=("$work/nginx/rec"); fi
    find "${folders[@]}" -type f 2>/dev/null | sort | while IFS= read -r path; do
        printf '%s\n%s\n%s\n' "$server" "$name" "$path"
    done | xargs -d '\n' -n 3 -P 2 bash -c 'check "$@"' _ >>"$work/checks.tsv" || true
    find "${folders[@]}" -type f -delete 2>/dev/null || true
}

results="$work/results.jsonl"
: >"$results"
: >"$work/checks.tsv"
run() {  # run <server> <load name> <first target> <app> <load options...>
    local server=$1 name=$2 first=$3 app=$4
    shift 4
    if [ "$server" = reel ]; then
        stop_reel
        start_reel
        $load run --targets "$work/targets.json" --first "$first" --server-pid "$reel_pid" --label reel \
            --load-name "$name" "$@" >>"$results" || say "reel $name: some streams failed (see errors in the results)"
        stop_reel
    else
        stop_nginx
        start_nginx
        $load run --targets "$work/targets.json" --first "$first" --server-pid "$nginx_pid" --label nginx \
            --load-name "$name" --app "$app" --port "$nginx_rtmp" "$@" >>"$results" \
            || say "nginx $name: some streams failed (see errors in the results)"
        stop_nginx
    fi
    check_and_remove "$server" "$name"
}
say "idle CPU of each server (10 s)"
$load idle --server-pid "$reel_pid" --label reel --seconds 10 >"$work/idle-reel.jsonl" &
idle_pid=$!
$load idle --server-pid "$nginx_pid" --label nginx --seconds 10 >>"$results"
wait "$idle_pid"
cat "$work/idle-reel.jsonl" >>"$results"
per_stream_mb=$(( (FAST_MB + FAST_STREAMS - 1) / FAST_STREAMS ))
for repeat in $(seq 1 "$REPEATS"); do
    order="reel nginx"
    [ $((repeat % 2)) -eq 0 ] && order="nginx reel"
    for server in $order; do
        say "repeat $repeat: $server, 1 stream fast (${FAST_MB} MB)"
        run "$server" "1x fast" 0 fast1 --streams 1 --pace fast --megabytes "$FAST_MB"
    done
    for server in $order; do
        say "repeat $repeat: $server, $FAST_STREAMS streams fast (${per_stream_mb} MB each)"
        run "$server" "${FAST_STREAMS}x fast" 1 fastN --streams "$FAST_STREAMS" --pace fast --megabytes "$per_stream_mb"
    done
    for server in $order; do
        say "repeat $repeat: $server, $RT_STREAMS streams real-time (${RT_SECONDS} s)"
        if [ "$server" = reel ]; then
            run reel "${RT_STREAMS}x real-time" $((1 + FAST_STREAMS)) rt --streams "$RT_STREAMS" --pace realtime \
                --seconds "$RT_SECONDS" --reel-endpoint "$endpoint"
        else
            run nginx "${RT_STREAMS}x real-time" $((1 + FAST_STREAMS)) rt --streams "$RT_STREAMS" --pace realtime \
                --seconds "$RT_SECONDS"
        fi
    done
done

# -- every file each server wrote, checked after its run
say "$(grep -c PASS "$work/checks.tsv" || true) of $(wc -l <"$work/checks.tsv") files pass"
grep FAIL "$work/checks.tsv" | head -n 10 >&2 || true

# -- the table
{
    echo "Reel $(git -C "$root" describe --always --dirty 2>/dev/null || echo '?') vs $(nginx -v 2>&1 | sed 's/^nginx version: //') with libnginx-mod-rtmp $(dpkg-query -W -f '${Version}' libnginx-mod-rtmp)"
    echo "$(nproc) cores, $(grep -m1 'model name' /proc/cpuinfo | sed 's/.*: //'), kernel $(uname -r), $(swift --version 2>/dev/null | head -n 1)"
    echo "repeats: $REPEATS; medians [min–max]; fragments every $FRAGMENT_SECONDS s; recording to tmpfs; took $(($(date +%s) - started)) s"
    echo
    $load table "$results" --checks "$work/checks.tsv"
} | tee "${OUT:-/dev/null}"
if [ -n "${OUT:-}" ]; then cp "$results" "$OUT.results.jsonl"; cp "$work/checks.tsv" "$OUT.checks.tsv"; fi
