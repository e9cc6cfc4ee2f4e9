#!/bin/sh
# Export listing for the interop tests: format=NAMES|INTERLEAVED|NAMES+DESCRIPTIONS|bare
# (bare: no format line), default=NAME for default_export (unset: missing).
params=$tmpdir/params
param() { sed -n "s/^$1=//p" "$params" | tail -n 1; }
case "$1" in
    load) : > "$params" ;;
    config) echo "$2=$3" >> "$params" ;;
    list_exports)
        case "$(param format)" in
            NAMES) printf 'NAMES\nalpha\nbeta\ngamma\n' ;;
            INTERLEAVED) printf 'INTERLEAVED\nalpha\nthe first\nbeta\nthe second\ngamma\n' ;;
            NAMES+DESCRIPTIONS) printf 'NAMES+DESCRIPTIONS\nalpha\nbeta\nfirst\nsecond\n' ;;
            bare) printf 'alpha\nbeta\n' ;;
            *) exit 2 ;;
        esac ;;
    default_export) d=$(param default); [ -n "$d" ] || exit 2; echo "$d" ;;
    open) echo "$3" ;;
    export_description) echo "export $2" ;;
    get_size) case "$2" in alpha) echo 1M ;; beta) echo 2M ;; *) echo 3M ;; esac ;;
    pread) dd if=/dev/zero count="$3" iflag=count_bytes status=none ;;
    *) exit 2 ;;
esac
