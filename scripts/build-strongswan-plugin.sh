#!/bin/bash
# SPDX-License-Identifier: BSD-3-Clause
#
# Build and install the twamp-keys charon plugin (contrib/strongswan/,
# docs/strongswan.md) against Debian's own strongSwan source package.
#
#   scripts/build-strongswan-plugin.sh [--no-install]
#
# Exit status: 0 built (and installed), 2 something needed is unavailable
# (root, a package, the source package), 1 any other failure.
#
# Steps, each skipped when already done (a second run takes seconds):
#   1. strongSwan runtime packages (charon, swanctl, kernel-libipsec) and the
#      few build packages the plugin needs (dpkg-dev, libcap-dev, pkg-config).
#   2. a deb-src entry for deb.debian.org bookworm, then `apt-get source` of
#      the installed strongSwan version (falling back to the same upstream
#      version from bookworm when the security mirror has no source).
#   3. configure with Debian's flags that change struct layouts
#      (--enable-mediation --with-capabilities=libcap, debian/rules) to get
#      a config.h matching the installed charon; nothing of strongSwan
#      itself is compiled.
#   4. compile the plugin (contrib/strongswan/Makefile) and install it to
#      /usr/lib/ipsec/plugins with its strongswan.d snippet.
#
# Environment: TW_SWAN_BUILD (default /var/cache/twamp-dp/strongswan) is
# the build directory; it is never inside the git tree. TW_SWAN_OUT (default:
# the build directory) is where the plugin is compiled to: tests give their
# own with --no-install, so concurrent checkouts never share one .so.
set -euo pipefail

here=$(cd "$(dirname "$0")/.." && pwd)
build=${TW_SWAN_BUILD:-/var/cache/twamp-dp/strongswan}
install=1
[ "${1:-}" = "--no-install" ] && install=0

log() { echo "build-strongswan-plugin: $*"; }
die() { echo "build-strongswan-plugin: error: $*" >&2; exit 1; }
# exit 2: something to build with is unavailable (package, source, root);
# tests skip on 2 and fail on 1 (a real build error)
unavailable() { echo "build-strongswan-plugin: error: $*" >&2; exit 2; }

[ "$(id -u)" = 0 ] || unavailable "run as root (apt-get, /usr/lib/ipsec/plugins)"

apt_opts=(-y -o DPkg::Lock::Timeout=600)
export DEBIAN_FRONTEND=noninteractive

# ---- 1. packages -------------------------------------------------------
runtime=(strongswan-swanctl charon-systemd libcharon-extra-plugins)
buildpk=(dpkg-dev libcap-dev pkg-config gcc make)
missing=()
for p in "${runtime[@]}" "${buildpk[@]}"; do
	dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q 'ok installed' ||
		missing+=("$p")
done
if [ ${#missing[@]} -gt 0 ]; then
	log "installing ${missing[*]}"
	apt-get "${apt_opts[@]}" update -qq || true
	apt-get "${apt_opts[@]}" install -qq "${missing[@]}" >/dev/null ||
		unavailable "cannot install ${missing[*]}"
fi
# charon-systemd starts a charon on install where systemd runs; the tests
# run their own per-namespace instances and do not need it.

ver=$(dpkg-query -W -f='${Version}' strongswan-libcharon)
upstream=${ver%%-*}
upstream=${upstream#*:}
src=$build/strongswan-$upstream
stamp=$build/.twamp-stamp

# ---- 2. source ------------------------------------------------------------
mkdir -p "$build" || unavailable "cannot create $build"
if [ ! -f "$src/configure" ]; then
	srcl=/etc/apt/sources.list.d/twamp-dp-src.sources
	if ! grep -rqs '^Types:.*deb-src' /etc/apt/sources.list.d/ &&
	   ! grep -qs '^deb-src ' /etc/apt/sources.list; then
		log "adding deb-src entries ($srcl)"
		cat >"$srcl" <<'EOF'
# Added by twamp-dp scripts/build-strongswan-plugin.sh (strongSwan source
# for the twamp-keys charon plugin).
Types: deb-src
URIs: http://deb.debian.org/debian
Suites: bookworm bookworm-updates
Components: main
Signed-By: /usr/share/keyrings/debian-archive-keyring.gpg

Types: deb-src
URIs: http://deb.debian.org/debian-security
Suites: bookworm-security
Components: main
Signed-By: /usr/share/keyrings/debian-archive-keyring.gpg
EOF
		apt-get "${apt_opts[@]}" update -qq ||
			unavailable "apt-get update failed after adding $srcl"
	fi
	log "fetching strongswan $ver source into $build"
	if ! (cd "$build" && apt-get "${apt_opts[@]}" source -qq "strongswan=$ver" \
		>"$build/source.log" 2>&1); then
		# the security mirror may lack the source: try the other versions
		# with the same upstream version, newest first (Debian revisions
		# of one upstream version differ by patches, not struct layouts)
		ok=0
		for alt in $(apt-cache showsrc strongswan 2>/dev/null |
		      awk -v u="$upstream" '/^Version:/ { v = $2; s = v; sub(/^[0-9]+:/, "", s);
		             if (index(s, u "-") == 1) print v }' | sort -uVr); do
			[ "$alt" = "$ver" ] && continue
			log "source $ver unavailable, trying $alt (same upstream $upstream)"
			if (cd "$build" && apt-get "${apt_opts[@]}" source -qq "strongswan=$alt" \
				>>"$build/source.log" 2>&1); then
				ok=1
				break
			fi
		done
		[ $ok = 1 ] || unavailable "no strongswan $upstream source available (see $build/source.log)"
	fi
	[ -f "$src/configure" ] || die "unpacked source not found at $src"
fi

# ---- 3. configure (config.h only) -------------------------------------------
# The flags of debian/rules that change headers and struct layouts: ME
# (mediation) adds members to ike_sa_t, peer_cfg_t, task and payload types;
# capabilities select the libcap code. The rest only select plugins, which
# need not be built here.
conf=(--prefix=/usr --sysconfdir=/etc --libdir=/usr/lib --libexecdir=/usr/lib
      --enable-mediation --with-capabilities=libcap
      --disable-defaults --enable-charon --enable-ikev1 --enable-ikev2
      --enable-swanctl --enable-kernel-libipsec --disable-gmp --disable-static)
want="$ver ${conf[*]}"
grep -q -- "--enable-mediation" "$src/debian/rules" ||
	die "debian/rules no longer has --enable-mediation: recheck the flags"
grep -q -- "--with-capabilities=libcap" "$src/debian/rules" ||
	die "debian/rules no longer has --with-capabilities=libcap: recheck the flags"
if [ ! -f "$src/config.h" ] || [ "$(cat "$stamp" 2>/dev/null)" != "$want" ]; then
	log "configuring (config.h with Debian's layout flags)"
	(cd "$src" && ./configure "${conf[@]}" >"$build/configure.log" 2>&1) ||
		die "configure failed (see $build/configure.log)"
	for d in ME CAPABILITIES_LIBCAP; do
		grep -q "^#define $d " "$src/config.h" || die "config.h lacks $d"
	done
	echo "$want" >"$stamp"
fi

# ---- 4. plugin ----------------------------------------------------------------
out=${TW_SWAN_OUT:-$build}
mkdir -p "$out" || die "cannot create $out"
make -s -C "$here/contrib/strongswan" SWAN_SRC="$src" O="$out" ||
	die "compiling the plugin failed"
so=$out/libstrongswan-twamp-keys.so
log "built $so"
[ "$install" = 1 ] || exit 0

dst=/usr/lib/ipsec/plugins/libstrongswan-twamp-keys.so
if ! cmp -s "$so" "$dst"; then
	install -m 0644 "$so" "$dst"
	log "installed $dst"
fi
tmpl=/usr/share/strongswan/templates/config/plugins/twamp-keys.conf
install -D -m 0644 "$here/contrib/strongswan/twamp-keys.conf" "$tmpl"
conf_d=/etc/strongswan.d/charon/twamp-keys.conf
if [ ! -f "$conf_d" ]; then
	install -D -m 0644 "$here/contrib/strongswan/twamp-keys.conf" "$conf_d"
	log "installed $conf_d (edit socket/children there)"
fi
