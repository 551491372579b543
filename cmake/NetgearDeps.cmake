# Locates the project's dependencies. All of them are Debian 12 packages (scripts/install-deps.sh).
find_package(cppzmq REQUIRED)
find_package(nlohmann_json 3.10 REQUIRED)
find_package(spdlog REQUIRED)
find_package(libjpeg-turbo REQUIRED)

# OpenCV: Debian's split -dev packages (libopencv-core-dev, ...) ship no CMake config, only the
# umbrella libopencv-dev does, and that pulls in hundreds of MB. Use the config when there is one,
# otherwise find the few modules we need by hand and give them the same target names.
set(NETGEAR_OPENCV_MODULES core imgproc imgcodecs videoio highgui)
find_package(OpenCV QUIET COMPONENTS ${NETGEAR_OPENCV_MODULES})
if(NOT OpenCV_FOUND)
  find_path(NETGEAR_OPENCV_INCLUDE_DIR opencv2/core.hpp PATH_SUFFIXES opencv4 REQUIRED)
  foreach(module IN LISTS NETGEAR_OPENCV_MODULES)
    find_library(NETGEAR_OPENCV_${module}_LIBRARY opencv_${module})
    if(NETGEAR_OPENCV_${module}_LIBRARY AND NOT TARGET opencv_${module})
      add_library(opencv_${module} SHARED IMPORTED)
      set_target_properties(opencv_${module} PROPERTIES
        IMPORTED_LOCATION "${NETGEAR_OPENCV_${module}_LIBRARY}"
        INTERFACE_INCLUDE_DIRECTORIES "${NETGEAR_OPENCV_INCLUDE_DIR}")
    endif()
  endforeach()
  if(NOT TARGET opencv_core)
    message(FATAL_ERROR "OpenCV core not found: run scripts/install-deps.sh (libopencv-core-dev)")
  endif()
endif()

find_package(CLI11 CONFIG QUIET)
find_package(GTest QUIET)
find_package(benchmark QUIET)
