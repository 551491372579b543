# A Debian package with CPack: `cpack --config build/CPackConfig.cmake` (or `cmake --build build
# --target package`) in a build configured with -DCMAKE_INSTALL_PREFIX=/usr makes
# netgear_<version>_<arch>.deb: the library, the headers, the CMake package, netgear.pc and the CLI.
# Depends: the shared libraries the CLI (and a shared libnetgear) load, from dpkg-shlibdeps, plus
# the -dev packages that a program built against the package needs (the headers include
# nlohmann/json and OpenCV; a static libnetgear.a links ZeroMQ, TurboJPEG, spdlog and libssh).
set(CPACK_GENERATOR DEB)
set(CPACK_PACKAGE_NAME netgear)
set(CPACK_PACKAGE_VENDOR "NetGear C++")
set(CPACK_PACKAGE_CONTACT "NetGear C++ maintainers <netgear-cpp@localhost>")
set(CPACK_PACKAGE_DESCRIPTION_SUMMARY "${PROJECT_DESCRIPTION}")
set(CPACK_PACKAGE_VERSION "${PROJECT_VERSION}")
set(CPACK_PACKAGING_INSTALL_PREFIX /usr)
set(CPACK_DEBIAN_FILE_NAME DEB-DEFAULT)  # netgear_<version>_<arch>.deb
set(CPACK_DEBIAN_PACKAGE_SECTION libdevel)
set(CPACK_DEBIAN_PACKAGE_SHLIBDEPS ON)   # dpkg-shlibdeps (dpkg-dev)
set(CPACK_STRIP_FILES ON)               # the CLI (and a shared library) without debug info
set(netgear_deb_depends "libopencv-core-dev, nlohmann-json3-dev (>= 3.10)")
if(NETGEAR_STATIC)
  string(APPEND netgear_deb_depends ", cppzmq-dev, libzmq3-dev, libturbojpeg0-dev, libspdlog-dev, libssh-dev")
endif()
set(CPACK_DEBIAN_PACKAGE_DEPENDS "${netgear_deb_depends}")  # shlibdeps' list is added to this
if(NOT CMAKE_INSTALL_PREFIX STREQUAL "/usr")
  message(STATUS "netgear: the .deb installs into /usr; configure with -DCMAKE_INSTALL_PREFIX=/usr "
    "for Debian's multiarch library folder (now: ${CMAKE_INSTALL_LIBDIR})")
endif()
include(CPack)
