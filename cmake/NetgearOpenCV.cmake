# Finds the OpenCV modules listed in NETGEAR_OPENCV_MODULES and makes sure a target opencv_<module>
# exists for each one found. Used by the build (NetgearDeps.cmake) and installed with the CMake
# package, where netgearConfig.cmake includes it to give a consumer the opencv_core target the
# exported netgear::netgear links.
#
# Debian's split -dev packages (libopencv-core-dev, ...) ship no CMake config, only the umbrella
# libopencv-dev does, and that pulls in hundreds of MB. Use the config when there is one, otherwise
# find the modules by hand and give them the same target names as OpenCV's own config.
# Sets NETGEAR_OPENCV_INCLUDE_DIR (the headers' folder) in both cases.
find_package(OpenCV QUIET COMPONENTS ${NETGEAR_OPENCV_MODULES})
if(OpenCV_FOUND)
  list(GET OpenCV_INCLUDE_DIRS 0 NETGEAR_OPENCV_INCLUDE_DIR)
else()
  find_path(NETGEAR_OPENCV_INCLUDE_DIR opencv2/core.hpp PATH_SUFFIXES opencv4)
  foreach(netgear_opencv_module IN LISTS NETGEAR_OPENCV_MODULES)
    find_library(NETGEAR_OPENCV_${netgear_opencv_module}_LIBRARY opencv_${netgear_opencv_module})
    if(NETGEAR_OPENCV_INCLUDE_DIR AND NETGEAR_OPENCV_${netgear_opencv_module}_LIBRARY
       AND NOT TARGET opencv_${netgear_opencv_module})
      add_library(opencv_${netgear_opencv_module} SHARED IMPORTED)
      set_target_properties(opencv_${netgear_opencv_module} PROPERTIES
        IMPORTED_LOCATION "${NETGEAR_OPENCV_${netgear_opencv_module}_LIBRARY}"
        INTERFACE_INCLUDE_DIRECTORIES "${NETGEAR_OPENCV_INCLUDE_DIR}")
    endif()
  endforeach()
  unset(netgear_opencv_module)
endif()
