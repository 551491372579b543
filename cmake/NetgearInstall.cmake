# Install rules: `cmake --install build --prefix P` (and the .deb, cmake/NetgearPackage.cmake)
# installs the library, the public headers (include/netgear/ and the generated version.hpp and
# export.hpp; never a header from src/), the CMake package netgear::netgear, netgear.pc and the CLI.
include(CMakePackageConfigHelpers)
if(NOT DEFINED NETGEAR_INSTALL_CMAKEDIR)  # where netgearConfig.cmake goes, relative to the prefix
  set(NETGEAR_INSTALL_CMAKEDIR ${CMAKE_INSTALL_LIBDIR}/cmake/netgear)
endif()

install(TARGETS netgear EXPORT netgearTargets
  ARCHIVE DESTINATION ${CMAKE_INSTALL_LIBDIR}
  LIBRARY DESTINATION ${CMAKE_INSTALL_LIBDIR}
  RUNTIME DESTINATION ${CMAKE_INSTALL_BINDIR}
  INCLUDES DESTINATION ${CMAKE_INSTALL_INCLUDEDIR})
install(DIRECTORY ${PROJECT_SOURCE_DIR}/include/netgear DESTINATION ${CMAKE_INSTALL_INCLUDEDIR}
  FILES_MATCHING PATTERN "*.hpp")
install(FILES ${NETGEAR_GENERATED_HEADERS} DESTINATION ${CMAKE_INSTALL_INCLUDEDIR}/netgear)
if(TARGET netgear_cli)
  install(TARGETS netgear_cli RUNTIME DESTINATION ${CMAKE_INSTALL_BINDIR})
endif()

# The CMake package: find_package(netgear) gives netgear::netgear.
install(EXPORT netgearTargets NAMESPACE netgear:: FILE netgearTargets.cmake
  DESTINATION ${NETGEAR_INSTALL_CMAKEDIR})
get_target_property(NETGEAR_LIBRARY_TYPE netgear TYPE)
if(NETGEAR_LIBRARY_TYPE STREQUAL "STATIC_LIBRARY")
  set(NETGEAR_STATIC ON)
else()
  set(NETGEAR_STATIC OFF)
endif()
configure_package_config_file(${PROJECT_SOURCE_DIR}/cmake/netgearConfig.cmake.in
  ${PROJECT_BINARY_DIR}/netgearConfig.cmake INSTALL_DESTINATION ${NETGEAR_INSTALL_CMAKEDIR})
# 0.x: only the same minor version is compatible (SemVer: anything may change before 1.0).
if(PROJECT_VERSION_MAJOR EQUAL 0)
  set(NETGEAR_COMPATIBILITY SameMinorVersion)
else()
  set(NETGEAR_COMPATIBILITY SameMajorVersion)
endif()
write_basic_package_version_file(${PROJECT_BINARY_DIR}/netgearConfigVersion.cmake
  VERSION ${PROJECT_VERSION} COMPATIBILITY ${NETGEAR_COMPATIBILITY})
install(FILES ${PROJECT_BINARY_DIR}/netgearConfig.cmake ${PROJECT_BINARY_DIR}/netgearConfigVersion.cmake
  ${PROJECT_SOURCE_DIR}/cmake/NetgearOpenCV.cmake DESTINATION ${NETGEAR_INSTALL_CMAKEDIR})

# pkg-config: netgear.pc, relocatable (the prefix is found from the file's own place). A static
# libnetgear.a needs its private dependencies on every link line, so they are in Requires (plain
# `pkg-config --libs netgear` lists them); for a shared one they are Requires.private.
set(NETGEAR_PC_REQUIRES "nlohmann_json >= 3.10")
set(NETGEAR_PC_PRIVATE "libzmq, libturbojpeg, spdlog, libssh")
if(NETGEAR_STATIC)
  string(APPEND NETGEAR_PC_REQUIRES ", ${NETGEAR_PC_PRIVATE}")
  set(NETGEAR_PC_REQUIRES_PRIVATE "")
else()
  set(NETGEAR_PC_REQUIRES_PRIVATE "${NETGEAR_PC_PRIVATE}")
endif()
# OpenCV: Debian's split packages ship no opencv4.pc, so name the headers and the library directly.
set(NETGEAR_PC_OPENCV_LIBS "-lopencv_core")
if(NETGEAR_OPENCV_core_LIBRARY)
  get_filename_component(netgear_opencv_libdir "${NETGEAR_OPENCV_core_LIBRARY}" DIRECTORY)
  if(NOT netgear_opencv_libdir IN_LIST CMAKE_CXX_IMPLICIT_LINK_DIRECTORIES)
    set(NETGEAR_PC_OPENCV_LIBS "-L${netgear_opencv_libdir} -lopencv_core")
  endif()
endif()
if(IS_ABSOLUTE "${CMAKE_INSTALL_LIBDIR}")
  set(NETGEAR_PC_PREFIX "${CMAKE_INSTALL_PREFIX}")
else()
  file(RELATIVE_PATH netgear_pc_up "/${CMAKE_INSTALL_LIBDIR}/pkgconfig" "/")
  string(REGEX REPLACE "/$" "" netgear_pc_up "${netgear_pc_up}")
  set(NETGEAR_PC_PREFIX "\${pcfiledir}/${netgear_pc_up}")
endif()
configure_file(${PROJECT_SOURCE_DIR}/cmake/netgear.pc.in ${PROJECT_BINARY_DIR}/netgear.pc @ONLY)
install(FILES ${PROJECT_BINARY_DIR}/netgear.pc DESTINATION ${CMAKE_INSTALL_LIBDIR}/pkgconfig)
