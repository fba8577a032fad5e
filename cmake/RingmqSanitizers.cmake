# RINGMQ_SANITIZE=address -> ASan + UBSan; RINGMQ_SANITIZE=thread -> TSan. Applied globally so
# every library and test in the build is instrumented the same way.
if(RINGMQ_SANITIZE STREQUAL "address")
  add_compile_options(-fsanitize=address,undefined -fno-sanitize-recover=undefined
                      -fno-omit-frame-pointer)
  add_link_options(-fsanitize=address,undefined)
elseif(RINGMQ_SANITIZE STREQUAL "thread")
  add_compile_options(-fsanitize=thread -fno-omit-frame-pointer)
  add_link_options(-fsanitize=thread)
elseif(NOT RINGMQ_SANITIZE STREQUAL "")
  message(FATAL_ERROR "RINGMQ_SANITIZE must be empty, 'address' or 'thread', not '${RINGMQ_SANITIZE}'")
endif()

# RINGMQ_FUZZ=ON with clang: every target gets libFuzzer's coverage instrumentation, so the fuzz
# targets (tests/fuzz, linked with -fsanitize=fuzzer) see the branches of the libraries they drive.
if(RINGMQ_FUZZ AND CMAKE_CXX_COMPILER_ID STREQUAL "Clang")
  add_compile_options(-fsanitize=fuzzer-no-link)
endif()
