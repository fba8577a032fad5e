# Every external dependency comes from Debian. A missing one stops configuration with the name of
# the apt package that provides it.
find_package(PkgConfig QUIET)

function(ringmq_missing what package)
  message(FATAL_ERROR "ringmq: ${what} not found. Install it with: apt-get install ${package}")
endfunction()

if(NOT PkgConfig_FOUND)
  ringmq_missing("pkg-config" "pkg-config")
endif()
find_package(Threads REQUIRED)

pkg_check_modules(URING QUIET IMPORTED_TARGET liburing)
if(NOT URING_FOUND)
  ringmq_missing("liburing" "liburing-dev")
endif()

find_package(TBB QUIET CONFIG)
if(NOT TBB_FOUND)
  ringmq_missing("Intel TBB" "libtbb-dev")
endif()

find_package(OpenSSL QUIET)
if(NOT OPENSSL_FOUND)
  ringmq_missing("OpenSSL" "libssl-dev")
endif()

pkg_check_modules(JEMALLOC QUIET IMPORTED_TARGET jemalloc)
if(NOT JEMALLOC_FOUND)
  ringmq_missing("jemalloc" "libjemalloc-dev")
endif()

find_package(CLI11 QUIET CONFIG)
if(NOT CLI11_FOUND)
  ringmq_missing("CLI11" "libcli11-dev")
endif()

find_package(fmt QUIET CONFIG)
if(NOT fmt_FOUND)
  ringmq_missing("fmt" "libfmt-dev")
endif()

if(RINGMQ_TESTS)
  find_package(GTest QUIET)
  if(NOT GTest_FOUND)
    ringmq_missing("GoogleTest" "libgtest-dev libgmock-dev")
  endif()
endif()

if(RINGMQ_BENCH)
  find_package(benchmark QUIET CONFIG)
  if(NOT benchmark_FOUND)
    ringmq_missing("Google Benchmark" "libbenchmark-dev")
  endif()
endif()
