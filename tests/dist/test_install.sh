#!/usr/bin/env bash
#  What `cmake --install` gives an operator: the programs, the scheme, the
#  examples, the units, the service user, the commented config and the man
#  pages; the installed daemon starts with the installed config and scheme,
#  answers the installed client, reloads on SIGHUP and stops on SIGTERM.
#  The units pass systemd-analyze verify and rate "OK" (exposure 2.0 at most) in
#  systemd-analyze security. The man pages carry every option of --help.
#  Usage: test_install.sh SOURCE_DIR BUILD_DIR
source "$(dirname "$0")/lib.sh"
source_dir=$1
build=$2

root="$cf_dist_tmp/root"
DESTDIR="$root" cmake --install "$build" >"$cf_dist_tmp/install.log" \
    || cf_dist_fail "cmake --install"
prefix=$(sed -n 's/^CMAKE_INSTALL_PREFIX:PATH=//p' "$build/CMakeCache.txt")
sysconf=$(sed -n 's/^CMAKE_INSTALL_SYSCONFDIR:PATH=//p' "$build/CMakeCache.txt")
case "$sysconf" in /*) ;; *) sysconf="$prefix/$sysconf" ;; esac
for file in bin/certflowd bin/certflow-worker bin/certflow bin/certflow-register \
        share/certflow/scheme.json share/certflow/examples/application.json \
        share/certflow/examples/staff/AUD001.json \
        lib/systemd/system/certflowd.service \
        lib/systemd/system/certflow-worker@.service \
        lib/systemd/system/certflow-register.service \
        lib/sysusers.d/certflow.conf share/doc/certflow/README.md \
        share/man/man8/certflowd.8 share/man/man1/certflow.1 \
        share/man/man1/certflow-worker.1 share/man/man8/certflow-register.8; do
    [ -s "$root$prefix/$file" ] || cf_dist_fail "not installed: $prefix/$file"
done
[ -s "$root$sysconf/certflow/certflowd.cfg" ] \
    || cf_dist_fail "not installed: $sysconf/certflow/certflowd.cfg"
cmp -s "$root$prefix/share/certflow/scheme.json" \
    "$source_dir/examples/scheme.json" || cf_dist_fail "scheme differs"
grep -q "ExecStart=$prefix/bin/certflowd run" \
    "$root$prefix/lib/systemd/system/certflowd.service" \
    || cf_dist_fail "the unit does not start $prefix/bin/certflowd"

#  The installed programs, with the installed config and scheme
cf_dist_start "$root$prefix/bin" "$root$sysconf/certflow" \
    "$root$prefix/share/certflow"
cf_dist_stop

#  The units, as this tree's copies (same text, programs that exist)
units="$build/dist-test"
cp "$units/certflow-worker@.service" "$cf_dist_tmp/certflow-worker@intake.service"
systemd-analyze verify --man=no "$units/certflowd.service" \
    "$cf_dist_tmp/certflow-worker@intake.service" "$units/certflow-register.service" >"$cf_dist_tmp/verify-units.log" 2>&1 \
    || cf_dist_fail "systemd-analyze verify: $(cat "$cf_dist_tmp/verify-units.log")"
[ -s "$cf_dist_tmp/verify-units.log" ] \
    && cf_dist_fail "systemd-analyze verify warns: $(cat "$cf_dist_tmp/verify-units.log")"
for unit in "$units/certflowd.service" "$cf_dist_tmp/certflow-worker@intake.service" \
        "$units/certflow-register.service"; do
    systemd-analyze security --offline=yes --threshold=20 "$unit" \
        >"$cf_dist_tmp/security.log" 2>&1 \
        || cf_dist_fail "$unit is exposed: $(grep Overall "$cf_dist_tmp/security.log")"
done

#  Man pages: every option of --help is in the page, and man renders it
#  without a warning
for page in man8/certflowd.8:certflowd man1/certflow-worker.1:certflow-worker \
        man1/certflow.1:certflow man8/certflow-register.8:certflow-register; do
    file="$root$prefix/share/man/${page%%:*}"
    program="$root$prefix/bin/${page##*:}"
    text=$(MANWIDTH=200 man --warnings -l "$file" 2>"$cf_dist_tmp/man.log")
    [ -s "$cf_dist_tmp/man.log" ] && cf_dist_fail "man warns on $file: $(cat "$cf_dist_tmp/man.log")"
    for option in $("$program" --help | grep -o -- '--[a-z][a-z-]*' | sort -u); do
        grep -q -- "$option" <<<"$text" || cf_dist_fail "$file lacks $option"
    done
done
echo "1 passed, 0 failed"
