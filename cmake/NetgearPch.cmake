# NETGEAR_PRECOMPILE_HEADERS (off by default): the third-party headers that most files include
# (OpenCV's core, nlohmann/json, cppzmq, spdlog, GoogleTest, the standard library's) are parsed
# once per group of targets that compile with the same flags, not once per file: one precompiled
# header for the library, one the tests share (the netgear tool and the benchmarks have none: they
# are unity builds, one file each). scripts/test.sh turns it on in the sanitizer and fuzzing
# builds, where parsing those headers took 3-4 s of each file's 5-15 s (compile CPU of the
# AddressSanitizer build 683 -> 533 s). The normal build keeps it off, so that it still checks
# that every file includes what it uses (a precompiled header is included into every file of its
# targets).
# -Winvalid-pch makes a header that GCC cannot use (flags that differ) a warning, an error with
# -Werror, instead of a silently slower build.
option(NETGEAR_PRECOMPILE_HEADERS "Precompile the common third-party headers (faster sanitizer builds)" OFF)

# The headers most of the library's files include, directly or through the public headers.
set(NETGEAR_PCH_LIBRARY
  <algorithm> <atomic> <chrono> <cstdint> <cstring> <functional> <map> <memory> <mutex>
  <optional> <string> <string_view> <thread> <vector>
  <opencv2/core.hpp> <nlohmann/json.hpp> <zmq.hpp> <zmq_addon.hpp> <spdlog/logger.h>)

# netgear_precompile(TARGET HEADERS...): TARGET precompiles HEADERS (when the option is on).
function(netgear_precompile target)
  if(NETGEAR_PRECOMPILE_HEADERS)
    target_precompile_headers(${target} PRIVATE ${ARGN})
    target_compile_options(${target} PRIVATE -Winvalid-pch)
  endif()
endfunction()

# netgear_precompile_reuse(TARGET FROM): TARGET uses FROM's precompiled header; both must compile
# with the same flags (-Winvalid-pch says when they do not).
function(netgear_precompile_reuse target from)
  if(NETGEAR_PRECOMPILE_HEADERS)
    target_precompile_headers(${target} REUSE_FROM ${from})
    target_compile_options(${target} PRIVATE -Winvalid-pch)
  endif()
endfunction()
