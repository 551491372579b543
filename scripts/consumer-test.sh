#!/usr/bin/env bash
# Uses NetGear from outside the project, the ways a user would (tests/consumer/), and runs the
# result: a send/recv program over ipc and over tcp on 127.0.0.1. Run by scripts/test.sh.
#   scripts/consumer-test.sh install BUILD   cmake --install BUILD into a temporary prefix, check the
#                                            installed files, build the consumer with find_package
#                                            and with pkg-config + a plain compiler line
#   scripts/consumer-test.sh deb BUILD       cpack a .deb from BUILD (configured with
#                                            -DCMAKE_INSTALL_PREFIX=/usr), check it with dpkg-deb,
#                                            apt-get install it, build both consumers against /usr,
#                                            remove it again
#   scripts/consumer-test.sh subproject      the consumer with NetGear as a subproject
#                                            (FetchContent), as a shared library; checks that
#                                            libnetgear.so exports only the public API
set -euo pipefail
cd "$(dirname "$0")/.."
src=$PWD
jobs=$(nproc)
work=$(mktemp -d /tmp/netgear-consumer.XXXXXX)
trap 'rm -rf "$work"' EXIT

SUDO=""
[ "$(id -u)" -ne 0 ] && SUDO="sudo"

run_consumer() {  # binary
  "$1"
  "$1" --tcp
}

# find_package(netgear) with CMAKE_PREFIX_PATH=$1 (empty: the system's default paths).
consumer_cmake() {  # prefix-or-empty, build-dir
  echo "-- consumer: find_package(netgear) ${1:-(system paths)}"
  cmake -S tests/consumer -B "$2" ${1:+-DCMAKE_PREFIX_PATH="$1"} >/dev/null
  cmake --build "$2" -j "$jobs" >/dev/null
  run_consumer "$2/consumer"
}

# pkg-config --cflags --libs netgear and a plain compiler line.
consumer_pkgconfig() {  # pkg-config-path-or-empty, output
  echo "-- consumer: c++ -std=c++20 main.cpp \$(pkg-config --cflags --libs netgear) ${1:+(PKG_CONFIG_PATH=$1)}"
  local flags
  flags=$(PKG_CONFIG_PATH="${1:-}" pkg-config --cflags --libs netgear)
  echo "   pkg-config: $flags"
  # shellcheck disable=SC2086
  c++ -std=c++20 tests/consumer/main.cpp $flags -o "$2" 2>"$2.log" || { cat "$2.log"; exit 1; }
  run_consumer "$2"
}

# The public headers installed, and nothing else: include/netgear/*.hpp plus the generated two.
check_headers() {  # include-dir
  local want got
  want=$( (cd include/netgear && ls ./*.hpp | sed 's|^\./||'; echo export.hpp; echo version.hpp) | sort)
  got=$(cd "$1/netgear" && find . -type f | sed 's|^\./||' | sort)
  if [ "$want" != "$got" ]; then
    echo "installed headers differ from the public ones:"; diff <(echo "$want") <(echo "$got") || true
    exit 1
  fi
  echo "-- installed headers: $(echo "$got" | tr '\n' ' ')"
}

case "${1:-}" in
  install)
    build=${2:?build dir}
    prefix=$work/prefix
    echo "-- cmake --install $build --prefix $prefix"
    cmake --install "$build" --prefix "$prefix" >/dev/null
    libdir=$(dirname "$(find "$prefix" -name 'libnetgear.*' | head -1)")
    check_headers "$prefix/include"
    for f in "$libdir/cmake/netgear/netgearConfig.cmake" "$libdir/cmake/netgear/netgearConfigVersion.cmake" \
             "$libdir/pkgconfig/netgear.pc" "$prefix/bin/netgear"; do
      [ -f "$f" ] || { echo "missing: $f"; exit 1; }
    done
    "$prefix/bin/netgear" --version
    consumer_cmake "$prefix" "$work/cmake"
    consumer_pkgconfig "$libdir/pkgconfig" "$work/pkgconfig"
    ;;
  deb)
    build=${2:?build dir}
    echo "-- cpack (DEB) in $build"
    rm -f "$build"/netgear_*.deb
    (cd "$build" && cpack -G DEB >/dev/null)
    deb=$(ls "$build"/netgear_*_*.deb)
    echo "-- $deb"
    dpkg-deb --info "$deb"
    contents=$(dpkg-deb --contents "$deb" | awk '{print $6}')
    for f in ./usr/bin/netgear ./usr/include/netgear/netgear.hpp ./usr/include/netgear/version.hpp \
             ./usr/include/netgear/export.hpp 'libnetgear\.' 'cmake/netgear/netgearConfig\.cmake' \
             'cmake/netgear/netgearConfigVersion\.cmake' 'pkgconfig/netgear\.pc'; do
      grep -q -- "$f" <<<"$contents" || { echo "not in the package: $f"; exit 1; }
    done
    depends=$(dpkg-deb --field "$deb" Depends)
    for p in libc6 libzmq5 libopencv-core; do  # from dpkg-shlibdeps (the CLI's libraries)
      grep -q "$p" <<<"$depends" || { echo "Depends lacks $p: $depends"; exit 1; }
    done
    if [[ "$(dpkg-query -W -f='${Status}' netgear 2>/dev/null || true)" == *"install ok installed"* ]]; then
      echo "netgear is already installed on this machine: not replacing it"; exit 1
    fi
    trap '$SUDO apt-get remove -y -qq -o DPkg::Lock::Timeout=300 netgear >/dev/null || true; rm -rf "$work"' EXIT
    echo "-- apt-get install $deb"
    cp "$deb" "$work/"
    $SUDO env DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends \
      -o DPkg::Lock::Timeout=300 "$work/$(basename "$deb")" >/dev/null
    /usr/bin/netgear --version
    consumer_cmake "" "$work/cmake-usr"
    consumer_pkgconfig "" "$work/pkgconfig-usr"
    ;;
  subproject)
    echo "-- consumer: FetchContent_MakeAvailable(netgear) from this checkout, BUILD_SHARED_LIBS=ON"
    # No build type: no optimisation, the quickest build of the library.
    cmake -S tests/consumer -B "$work/sub" -DNETGEAR_SOURCE_DIR="$src" -DBUILD_SHARED_LIBS=ON \
      >/dev/null
    cmake --build "$work/sub" -j "$jobs" >/dev/null
    lib=$(find "$work/sub" -name "libnetgear.so.*.*.*" | head -1)
    [ -n "$lib" ] || { echo "no versioned libnetgear.so"; exit 1; }
    echo "-- $(basename "$lib"), soname $(objdump -p "$lib" | awk '/SONAME/ {print $2}')"
    # Not `ldd | grep -q`: grep -q leaves at the first match, ldd's next write gets SIGPIPE, and
    # pipefail turns that into a failure (it did, once, on a fresh machine).
    deps=$(ldd "$work/sub/consumer")
    grep -q libnetgear.so <<<"$deps" || { echo "the consumer does not load libnetgear.so:"; echo "$deps"; exit 1; }
    # Only the public API is exported: no symbol of the library's internal namespaces.
    internal=$(nm -D --defined-only -C "$lib" | grep -E 'netgear::(config|wire|codec|net|link|engine)::' \
               | grep -v -E 'typeinfo|vtable' || true)
    if [ -n "$internal" ]; then
      echo "libnetgear.so exports internal symbols:"; echo "$internal" | head -20; exit 1
    fi
    echo "-- exported: $(nm -D --defined-only -C "$lib" | grep -c ' netgear::') netgear:: symbols, none internal"
    run_consumer "$work/sub/consumer"
    ;;
  *)
    echo "usage: scripts/consumer-test.sh install BUILD | deb BUILD | subproject" >&2; exit 2 ;;
esac
