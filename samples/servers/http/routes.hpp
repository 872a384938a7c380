#pragma once
// http_server's routes: `/` → "Hello, World!", `/delay/<ms>` → the same after sleeping that long
// (an in-flight request for graceful-shutdown checks), anything else → 404. Any method; HEAD gets
// the same headers without the body (the session drops it).
#include "http_session.hpp"

namespace httpd {

Response hello_routes(const Request& req);

}  // namespace httpd
