// The FastCGI server: listening socket, worker threads, signals and the graceful stop.
#pragma once

#include "options.hpp"

namespace presence {

// Serves until SIGTERM or SIGINT, then stops accepting, lets in-flight requests finish,
// closes the database connections and removes the socket. Returns the exit status: 0 after
// a graceful stop, 1 when the server could not start.
int run_server(const Options &options);

}  // namespace presence
