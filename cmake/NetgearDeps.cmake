# Locates the project's dependencies. All of them are Debian 12 packages (scripts/install-deps.sh).
# The library's own ones are also found again by the installed netgearConfig.cmake
# (cmake/netgearConfig.cmake.in): keep the two lists in step.
find_package(cppzmq REQUIRED)
find_package(nlohmann_json 3.10 REQUIRED)
find_package(spdlog REQUIRED)
find_package(libjpeg-turbo REQUIRED)
find_package(libssh 0.9 REQUIRED)  # the SSH tunnel (libssh-dev); target `ssh`

set(NETGEAR_OPENCV_MODULES core imgproc imgcodecs videoio highgui)
include(NetgearOpenCV)
if(NOT TARGET opencv_core)
  message(FATAL_ERROR "OpenCV core not found: run scripts/install-deps.sh (libopencv-core-dev)")
endif()

find_package(CLI11 CONFIG QUIET)
find_package(GTest QUIET)
find_package(benchmark QUIET)
