#!/usr/bin/env bash
#  The .deb: built with cpack from a tree configured for /usr (only the
#  programs and man pages are built), it holds the programs, units, config
#  (a conffile), user and maintainer scripts, depends on what it links; its
#  postinst makes the user and enables certflowd and its postrm purges the
#  unit's state (run against stubs of the system's tools); and unpacked into
#  a temporary root its programs start, answer, reload and stop.
#  Usage: test_deb.sh SOURCE_DIR BUILD_DIR
source "$(dirname "$0")/lib.sh"
source_dir=$1
build=$2

tree="$build/deb"
cmake -S "$source_dir" -B "$tree" -DCMAKE_INSTALL_PREFIX=/usr \
    -DCMAKE_BUILD_TYPE=RelWithDebInfo -DCMAKE_SKIP_INSTALL_ALL_DEPENDENCY=ON \
    >"$cf_dist_tmp/configure.log" || cf_dist_fail "configure for /usr"
cmake --build "$tree" -j "$(nproc)" --target certflowd certflow-worker \
    certflow-cli man >"$cf_dist_tmp/build.log" 2>&1 || cf_dist_fail "build"
rm -f "$tree"/certflow_*.deb
(cd "$tree" && cpack -G DEB) >"$cf_dist_tmp/cpack.log" 2>&1 \
    || cf_dist_fail "cpack: $(tail -5 "$cf_dist_tmp/cpack.log")"
deb=$(ls "$tree"/certflow_*.deb)

info=$(dpkg-deb --info "$deb")
for needed in "Package: certflow" "libzmq5" "libczmq4" "liblmdb0" "systemd" \
        "libcairo2" "libpango" "libqrencode4" "fonts-noto-cjk" \
        "postinst" "prerm" "postrm" "conffiles"; do
    grep -q "$needed" <<<"$info" || cf_dist_fail "the package lacks $needed"
done
[ "$(dpkg-deb --ctrl-tarfile "$deb" | tar -xO ./conffiles)" = \
    /etc/certflow/certflowd.cfg ] || cf_dist_fail "certflowd.cfg is no conffile"
for script in postinst prerm postrm; do
    dpkg-deb --ctrl-tarfile "$deb" | tar -xO "./$script" | sh -n \
        || cf_dist_fail "$script is not valid sh"
done

#  The maintainer scripts' logic, with the system's tools replaced by stubs
#  that record how they were called (this machine is not changed)
stubs="$cf_dist_tmp/stubs"
mkdir -p "$stubs"
for tool in getent systemd-sysusers adduser deb-systemd-helper \
        deb-systemd-invoke systemctl; do
    printf '#!/bin/sh\necho "%s $*" >>"%s/calls"\n[ "%s" != getent ]\n' \
        "$tool" "$cf_dist_tmp" "$tool" >"$stubs/$tool"
    chmod +x "$stubs/$tool"
done
for script in postinst prerm postrm; do
    dpkg-deb --ctrl-tarfile "$deb" | tar -xO "./$script" >"$cf_dist_tmp/$script"
done
PATH="$stubs:$PATH" sh "$cf_dist_tmp/postinst" configure \
    || cf_dist_fail "postinst configure failed"
PATH="$stubs:$PATH" sh "$cf_dist_tmp/prerm" remove || cf_dist_fail "prerm failed"
PATH="$stubs:$PATH" sh "$cf_dist_tmp/postrm" purge || cf_dist_fail "postrm failed"
for call in "getent passwd certflow" \
        "systemd-sysusers /usr/lib/sysusers.d/certflow.conf" \
        "deb-systemd-helper enable certflowd.service" \
        "deb-systemd-helper purge certflowd.service"; do
    grep -qxF "$call" "$cf_dist_tmp/calls" \
        || cf_dist_fail "the maintainer scripts did not run: $call ($(cat "$cf_dist_tmp/calls"))"
done

root="$cf_dist_tmp/root"
dpkg-deb -x "$deb" "$root"
for file in usr/bin/certflowd usr/bin/certflow-worker usr/bin/certflow \
        etc/certflow/certflowd.cfg usr/share/certflow/scheme.json \
        usr/lib/systemd/system/certflowd.service \
        usr/lib/systemd/system/certflow-worker@.service \
        usr/lib/sysusers.d/certflow.conf usr/share/man/man8/certflowd.8; do
    [ -s "$root/$file" ] || cf_dist_fail "the package lacks /$file"
done
grep -q "ExecStart=/usr/bin/certflowd run" \
    "$root/usr/lib/systemd/system/certflowd.service" \
    || cf_dist_fail "the packaged unit does not start /usr/bin/certflowd"
grep -q "CERTFLOW_CONFIG=/etc/certflow/certflowd.cfg" \
    "$root/usr/lib/systemd/system/certflowd.service" \
    || cf_dist_fail "the packaged unit does not read /etc/certflow/certflowd.cfg"

cf_dist_start "$root/usr/bin" "$root/etc/certflow" "$root/usr/share/certflow"
cf_dist_stop
echo "1 passed, 0 failed"
