#!/bin/sh
# A writable disk in $tmpdir/disk that implements every method of nbdkit-sh-plugin(1), for the
# sh and eval interop tests (run unchanged by nbdkit and jnbdkit). POSIX sh and coreutils only.
#
#   size=SIZE (the magic key: "sh disk.sh 1M")   threads=MODEL (default parallel)
#   fua= cache=            none|emulate|native (unset: the method is missing)
#   multi_conn= rotational= fast_zero= readonly=   1 true, 0 false (unset: missing)
#   block_size="MIN PREF MAX"                     map="OFF LEN TYPE;..." (extents; else all data)
#   log=FILE: each call's method and arguments are appended to FILE
set -e
disk=$tmpdir/disk
params=$tmpdir/params

param() { sed -n "s/^$1=//p" "$params" | tail -n 1; }
answer() {   # a boolean parameter as an exit status: 0 true, 3 false, 2 missing
    case "$(param "$1")" in
        1) exit 0 ;;
        0) exit 3 ;;
        *) exit 2 ;;
    esac
}

if [ "$1" != load ] && [ -f "$params" ] && log=$(param log) && [ -n "$log" ]; then
    echo "$*" >> "$log"
fi

case "$1" in
    load) : > "$params" ;;
    magic_config_key) echo size ;;
    config) echo "$2=$3" >> "$params" ;;
    config_complete)
        if [ -z "$(param size)" ]; then echo "EINVAL size= is required" >&2; exit 1; fi ;;
    thread_model) t=$(param threads); echo "${t:-parallel}" ;;
    get_ready) truncate -s "$(param size)" "$disk" ;;
    after_fork|preconnect|unload) ;;
    dump_plugin) echo "disk_sh=yes" ;;
    open)
        h=$(mktemp -d "$tmpdir/handle-XXXXXX")
        echo "$3" > "$h/export"
        echo "$h" ;;
    close) rm -rf "$2" ;;
    export_description) echo "disk.sh export '$(cat "$2/export")'" ;;
    get_size) stat -L -c %s "$disk" ;;
    block_size) b=$(param block_size); [ -n "$b" ] || exit 2; echo "$b" ;;
    can_write) case "$(param readonly)" in 1) exit 3 ;; *) exit 0 ;; esac ;;
    can_flush|can_trim|can_zero|can_extents) exit 0 ;;
    can_multi_conn) answer multi_conn ;;
    is_rotational) answer rotational ;;
    can_fast_zero) answer fast_zero ;;
    can_fua) m=$(param fua); [ -n "$m" ] || exit 2; echo "$m" ;;
    can_cache) m=$(param cache); [ -n "$m" ] || exit 2; echo "$m" ;;
    pread) dd if="$disk" skip="$4" count="$3" iflag=skip_bytes,count_bytes status=none ;;
    pwrite) dd of="$disk" seek="$4" conv=notrunc oflag=seek_bytes status=none ;;
    flush) sync "$disk" ;;
    trim) fallocate -p -o "$4" -l "$3" "$disk" ;;
    zero)
        case ",$5," in
            *,fast,*) echo "ENOTSUP no fast zero here" >&2; exit 1 ;;
        esac
        dd if=/dev/zero of="$disk" seek="$4" count="$3" iflag=count_bytes oflag=seek_bytes conv=notrunc status=none ;;
    extents)
        m=$(param map)
        if [ -n "$m" ]; then echo "$m" | tr ';' '\n'; else echo "0 $(stat -L -c %s "$disk")"; fi ;;
    cache) ;;
    *) exit 2 ;;
esac
