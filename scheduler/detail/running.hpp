#pragma once
// The running loop of this thread, for the runtime's hot paths (initial-exec TLS: one load).
namespace spindle {
class Loop;
}
namespace spindle::detail {
extern constinit thread_local Loop* t_running_loop __attribute__((tls_model("initial-exec")));
}
