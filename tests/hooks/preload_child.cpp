// Run by test_preload.cpp under LD_PRELOAD=libspindle_hooks.so: a spindle program that is not
// linked with the hooks. Its blocking read parks only if the preloaded shim found its runtime;
// otherwise it blocks the thread, and the alarm (argv[1] seconds, default 20) ends the process.
#include <unistd.h>

#include <cstdio>
#include <cstdlib>
#include <string>

#include <spindle.hpp>

int main(int argc, char** argv) {
  alarm(argc > 1 ? static_cast<unsigned>(std::atoi(argv[1])) : 20);  // seconds before giving up
  std::string out;
  // FIFO whatever SPINDLE_SEED says: the reader must read before the writer writes, so that
  // without the hooks its read blocks the thread.
  spindle::run(spindle::RunOptions{.clock = spindle::ClockKind::virtual_time,
                                   .autojump_threshold = std::chrono::milliseconds(5),
                                   .schedule = spindle::Schedule::fifo()},
               [&] {
                 out += spindle::hooks_active() ? "hooks on" : "hooks off";
                 int fds[2];
                 if (pipe(fds) != 0) return;
                 auto reader = spindle::spawn([&] {
                   char buf[8];
                   const ssize_t n = read(fds[0], buf, sizeof buf);
                   out += ", read " + std::to_string(n);
                 });
                 auto writer = spindle::spawn([&] {
                   usleep(100'000);
                   out += write(fds[1], "hello", 5) == 5 ? ", wrote" : ", write failed";
                 });
                 reader.join();
                 writer.join();
               });
  std::printf("%s\n", out.c_str());
}
