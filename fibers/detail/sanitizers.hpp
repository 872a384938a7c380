#pragma once
// Which sanitizer this translation unit is built with, for GCC and clang alike: GCC defines
// __SANITIZE_ADDRESS__ / __SANITIZE_THREAD__, clang (before 16) only answers __has_feature. The
// fiber switch's ASan and TSan annotations are compiled in by these two macros, so a clang build
// that missed them would switch stacks behind the sanitizer's back.
#if defined(__SANITIZE_ADDRESS__)
#define SPINDLE_ASAN 1
#elif defined(__has_feature)
#if __has_feature(address_sanitizer)
#define SPINDLE_ASAN 1
#endif
#endif
#ifndef SPINDLE_ASAN
#define SPINDLE_ASAN 0
#endif

#if defined(__SANITIZE_THREAD__)
#define SPINDLE_TSAN 1
#elif defined(__has_feature)
#if __has_feature(thread_sanitizer)
#define SPINDLE_TSAN 1
#endif
#endif
#ifndef SPINDLE_TSAN
#define SPINDLE_TSAN 0
#endif
