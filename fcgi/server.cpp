#include "server.hpp"

#include <atomic>
#include <cerrno>
#include <chrono>
#include <condition_variable>
#include <csignal>
#include <cstdlib>
#include <cstring>
#include <exception>
#include <fcntl.h>
#include <mutex>
#include <poll.h>
#include <pthread.h>
#include <string>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/un.h>
#include <thread>
#include <unistd.h>
#include <vector>

#include <fcgiapp.h>

#include "db.hpp"
#include "handler.hpp"
#include "log.hpp"
#include "response.hpp"

namespace presence {

namespace {

constexpr int kBacklog = 256;
constexpr std::size_t kMaxDrainBytes = 64 * 1024;
constexpr std::size_t kWriteChunk = 1 << 20;
constexpr auto kDrainTimeout = std::chrono::seconds(30);

// Written by the signal handler, read by the main thread.
int g_signal_pipe_write = -1;
volatile std::sig_atomic_t g_signal = 0;

// Records the signal and wakes the main thread; async-signal-safe, keeps errno.
extern "C" void on_stop_signal(int signo)
{
    int saved = errno;
    g_signal = signo;
    char byte = 1;
    ssize_t ignored = ::write(g_signal_pipe_write, &byte, 1);
    (void)ignored;
    errno = saved;
}

// State the main thread and the workers share.
struct Shared {
    int listen_fd = -1;
    int stop_read_fd = -1;  // becomes readable (EOF) when the stop begins
    std::atomic<bool> stopping{false};
    std::atomic<int> accepting{0};  // threads about to take a new connection
    std::mutex mutex;
    std::condition_variable all_done;
    int running = 0;
    std::string conninfo;
    int deadline_ms = 0;
};

// A descriptive name for the signals the program stops on.
const char *signal_name(int signo)
{
    switch (signo) {
    case SIGTERM:
        return "SIGTERM";
    case SIGINT:
        return "SIGINT";
    default:
        return "signal";
    }
}

// Installs the stop handlers (no SA_RESTART, so a blocked read in the main thread returns)
// and ignores SIGPIPE and SIGUSR1; done before FCGX_Init, which then leaves them alone.
// Returns the read end of the pipe the handler writes to, or -1 with `error` set.
int install_signals(std::string &error)
{
    int fds[2];
    if (pipe2(fds, O_CLOEXEC) != 0) {
        error = std::string("pipe: ") + std::strerror(errno);
        return -1;
    }
    fcntl(fds[1], F_SETFL, fcntl(fds[1], F_GETFL) | O_NONBLOCK);
    g_signal_pipe_write = fds[1];

    struct sigaction stop {};
    stop.sa_handler = on_stop_signal;
    sigemptyset(&stop.sa_mask);
    stop.sa_flags = 0;
    struct sigaction ignore {};
    ignore.sa_handler = SIG_IGN;
    sigemptyset(&ignore.sa_mask);

    if (sigaction(SIGTERM, &stop, nullptr) != 0 || sigaction(SIGINT, &stop, nullptr) != 0 ||
        sigaction(SIGPIPE, &ignore, nullptr) != 0 || sigaction(SIGUSR1, &ignore, nullptr) != 0) {
        error = std::string("sigaction: ") + std::strerror(errno);
        return -1;
    }
    return fds[0];
}

// Makes `path` free for a new socket: nothing there, or a stale socket that nobody answers
// on (removed). Refuses a live socket and anything that is not a socket.
bool claim_socket_path(const std::string &path, std::string &error)
{
    sockaddr_un addr {};
    if (path.size() >= sizeof addr.sun_path) {
        error = "socket path is longer than " + std::to_string(sizeof addr.sun_path - 1) +
                " bytes: " + path;
        return false;
    }
    if (path.find(':') != std::string::npos) {
        error = "socket path must not contain ':' (libfcgi would take it for host:port): " +
                path;
        return false;
    }

    struct stat st {};
    if (lstat(path.c_str(), &st) != 0) {
        if (errno == ENOENT) {
            return true;
        }
        error = "cannot inspect " + path + ": " + std::strerror(errno);
        return false;
    }
    if (!S_ISSOCK(st.st_mode)) {
        error = path + " exists and is not a socket; not removing it";
        return false;
    }

    int probe = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);
    if (probe < 0) {
        error = std::string("socket: ") + std::strerror(errno);
        return false;
    }
    addr.sun_family = AF_UNIX;
    std::memcpy(addr.sun_path, path.data(), path.size());
    int rc = connect(probe, reinterpret_cast<sockaddr *>(&addr), sizeof addr);
    int connect_errno = errno;
    ::close(probe);
    if (rc == 0) {
        error = "another program is serving on " + path;
        return false;
    }
    if (connect_errno != ECONNREFUSED) {
        error = "cannot probe " + path + ": " + std::strerror(connect_errno);
        return false;
    }
    if (unlink(path.c_str()) != 0 && errno != ENOENT) {
        error = "cannot remove stale socket " + path + ": " + std::strerror(errno);
        return false;
    }
    LogLine("info", "stale_socket_removed").field("socket", path).emit();
    return true;
}

// What a thread waiting on a kept connection does next.
enum class Next {
    kRequest,  // the next request (or something libfcgi must look at) is there
    kClosed,   // nginx closed the connection (or it broke): close it and accept
    kYield,    // a new connection needs the thread: close the idle one and accept; this
               // thread is already counted in `accepting`
    kStop,
};

// How often a thread on an idle kept connection looks again whether another thread accepts.
constexpr int kIdleCheckMs = 100;

// True when `fd` has a byte to read; false at its end, on an error, or when nothing is there.
bool has_data(int fd)
{
    char byte;
    return recv(fd, &byte, 1, MSG_PEEK | MSG_DONTWAIT) > 0;
}

// Waits on the kept connection `fd` for its next request. An idle kept connection holds its
// thread only while no new connection waits for one: when a connection is pending on the
// listening socket and no other thread is about to accept, this thread claims the accept
// (one thread per turn) and gives the idle connection up. nginx drops a cached connection
// that the program closed, and retries on a new connection a request that met such a close.
Next await_next_request(int fd, Shared &shared)
{
    for (;;) {
        bool watch_listen = shared.accepting.load() == 0;
        pollfd fds[3] = {{fd, POLLIN, 0}, {shared.stop_read_fd, POLLIN, 0},
                         {shared.listen_fd, POLLIN, 0}};
        int n = poll(fds, watch_listen ? 3 : 2, kIdleCheckMs);
        if (n < 0) {
            if (errno == EINTR) {
                continue;
            }
            return Next::kRequest;  // let libfcgi find out what is wrong with the connection
        }
        if (fds[1].revents != 0) {
            return Next::kStop;
        }
        if (fds[0].revents != 0) {
            return has_data(fd) ? Next::kRequest : Next::kClosed;
        }
        if (watch_listen && fds[2].revents != 0) {
            // A request that arrived meanwhile is served, not dropped.
            if (has_data(fd)) {
                return Next::kRequest;
            }
            int none = 0;
            if (shared.accepting.compare_exchange_strong(none, 1)) {
                return Next::kYield;
            }
        }
    }
}

// Reads and discards the request body (a roster request has none), at most
// kMaxDrainBytes; past that the connection is not kept, so no leftover can confuse the
// next request on it. True when the input was read to its end without an error.
bool drain_input(FCGX_Request &req)
{
    char buf[4096];
    std::size_t total = 0;
    for (;;) {
        int n = FCGX_GetStr(buf, sizeof buf, req.in);
        if (n <= 0) {
            return FCGX_HasSeenEOF(req.in) != 0 && FCGX_GetError(req.in) == 0;
        }
        total += static_cast<std::size_t>(n);
        if (total >= kMaxDrainBytes) {
            req.keepConnection = 0;
            return false;
        }
    }
}

// Writes `data` to the request's output stream; false when the peer is gone.
bool put(FCGX_Request &req, std::string_view data)
{
    while (!data.empty()) {
        std::size_t n = data.size() < kWriteChunk ? data.size() : kWriteChunk;
        if (FCGX_PutStr(data.data(), static_cast<int>(n), req.out) < 0) {
            return false;
        }
        data.remove_prefix(n);
    }
    return true;
}

// Writes the head, and the body unless the request is HEAD.
void write_response(FCGX_Request &req, const Response &r, bool head_only, bool &started)
{
    std::string head = response_head(r);
    started = true;
    if (put(req, head) && !head_only) {
        put(req, r.body());
    }
}

// The one log line of a failed request. Never holds the token, the Authorization header
// or the query string.
void log_failed_request(const RequestParams &p, const Handled &h)
{
    int status = h.response.status;
    LogLine line(status >= 500 ? "error" : "info", "request");
    line.field("request_id", p.request_id.empty() ? "-" : p.request_id)
        .field("status", status)
        .field("method", p.method)
        .field("path", p.path)
        .field("reason", h.reason);
    if (!h.sqlstate.empty()) {
        line.field("sqlstate", h.sqlstate);
    }
    if (!h.db_message.empty()) {
        line.field("db_message", h.db_message);
    }
    line.emit();
}

// Answers one accepted request. Nothing thrown gets out: an exception becomes a 500 when
// no byte of the response was written yet, and a log line either way. True when the
// request's input was read to its end.
bool serve(FCGX_Request &req, PgRosterSource &db, ProblemWriter &problems)
{
    std::string request_id = "-";
    bool started = false;
    bool read_all = false;
    try {
        RequestParams p = collect_params(req.envp);
        if (!p.request_id.empty()) {
            request_id = p.request_id;
        }
        read_all = drain_input(req);
        Handled h = handle_request(p, db, problems);
        write_response(req, h.response, p.method == "HEAD", started);
        if (h.response.status >= 400) {
            log_failed_request(p, h);
        }
        return read_all;
    } catch (const std::exception &e) {
        LogLine("error", "request")
            .field("request_id", request_id)
            .field("status", 500)
            .field("reason", "unexpected exception")
            .field("error", e.what())
            .emit();
    } catch (...) {
        LogLine("error", "request")
            .field("request_id", request_id)
            .field("status", 500)
            .field("reason", "unexpected exception")
            .emit();
    }

    if (!started) {
        try {
            Response r = problem_response(problems, 500, detail::kInternal);
            write_response(req, r, false, started);
        } catch (...) {
            req.keepConnection = 0;
        }
    }
    return read_all;
}

// Ends the request. A connection nginx does not keep is closed at once when its input was
// read to the end. libfcgi's own close first shuts down the sending side and waits for the
// peer to close (poll, then read until EOF), which keeps a TCP reset from discarding a
// response while the client still sends; that wait costs every request one more sleep and
// wake-up of the thread. On a unix socket with nothing left unread there is no reset to
// fear: the response already sits in nginx's receive queue.
void finish(FCGX_Request &req, bool read_all)
{
    if (read_all && !req.keepConnection) {
        FCGX_Detach(&req);
    }
    FCGX_Finish_r(&req);
}

// One worker thread: its own database session, then accept, answer, finish, until the stop.
void worker_main(int index, Shared &shared)
{
    try {
        PgRosterSource db(shared.conninfo, index, shared.deadline_ms);
        ProblemWriter problems;
        db.open();

        FCGX_Request req;
        FCGX_InitRequest(&req, shared.listen_fd, 0);
        while (!shared.stopping.load()) {
            bool counted = false;
            if (req.ipcFd >= 0) {
                Next next = await_next_request(req.ipcFd, shared);
                if (next == Next::kStop) {
                    break;
                }
                if (next != Next::kRequest) {
                    // Nothing is left to read on it: closed at once (see finish()).
                    FCGX_Detach(&req);
                    FCGX_Free(&req, 1);
                    counted = next == Next::kYield;
                }
            }
            bool fresh = req.ipcFd < 0;
            if (fresh && !counted) {
                ++shared.accepting;
            }
            int rc = FCGX_Accept_r(&req);
            if (fresh) {
                --shared.accepting;
            }
            if (rc < 0) {
                if (shared.stopping.load()) {
                    break;
                }
                LogLine("error", "accept_failed")
                    .field("thread", index)
                    .field("error", std::strerror(-rc))
                    .emit();
                std::this_thread::sleep_for(std::chrono::milliseconds(200));
                continue;
            }
            finish(req, serve(req, db, problems));
        }
        FCGX_Finish_r(&req);
        FCGX_Free(&req, 1);
        db.close();
    } catch (const std::exception &e) {
        LogLine("error", "worker_failed").field("thread", index).field("error", e.what()).emit();
    } catch (...) {
        LogLine("error", "worker_failed").field("thread", index).emit();
    }

    std::lock_guard<std::mutex> lock(shared.mutex);
    if (--shared.running == 0) {
        shared.all_done.notify_all();
    }
}

// Blocks until a stop signal arrives; returns its number.
int wait_for_stop_signal(int signal_read_fd)
{
    for (;;) {
        char byte;
        ssize_t n = ::read(signal_read_fd, &byte, 1);
        if (n < 0 && errno == EINTR && g_signal == 0) {
            continue;
        }
        break;  // a byte, or an interrupted read after the handler ran, or a broken pipe
    }
    return g_signal != 0 ? static_cast<int>(g_signal) : SIGTERM;
}

}  // namespace

int run_server(const Options &options)
{
    std::string error;
    int signal_read_fd = install_signals(error);
    if (signal_read_fd < 0) {
        LogLine("error", "start_failed").field("error", error).emit();
        return 1;
    }
    if (FCGX_Init() != 0) {
        LogLine("error", "start_failed").field("error", "FCGX_Init failed").emit();
        return 1;
    }
    if (!claim_socket_path(options.socket_path, error)) {
        LogLine("error", "start_failed").field("error", error).emit();
        return 1;
    }

    // 0660: the umask decides a unix socket's mode.
    mode_t old_umask = umask(0117);
    int listen_fd = FCGX_OpenSocket(options.socket_path.c_str(), kBacklog);
    umask(old_umask);
    struct stat created {};
    if (listen_fd < 0 || lstat(options.socket_path.c_str(), &created) != 0) {
        LogLine("error", "start_failed")
            .field("socket", options.socket_path)
            .field("error", std::string("cannot listen: ") + std::strerror(errno))
            .emit();
        return 1;
    }

    int stop_fds[2];
    if (pipe2(stop_fds, O_CLOEXEC) != 0) {
        LogLine("error", "start_failed").field("error", std::strerror(errno)).emit();
        unlink(options.socket_path.c_str());
        return 1;
    }

    Shared shared;
    shared.listen_fd = listen_fd;
    shared.stop_read_fd = stop_fds[0];
    shared.conninfo = options.conninfo;
    shared.deadline_ms = options.deadline_ms;

    LogLine("info", "start")
        .field("pid", static_cast<long long>(getpid()))
        .field("socket", options.socket_path)
        .field("threads", options.threads)
        .emit();

    // Workers never see the stop signals: an interrupted read inside libfcgi would break the
    // request it belongs to. The main thread alone takes them.
    sigset_t stop_set, old_set;
    sigemptyset(&stop_set);
    sigaddset(&stop_set, SIGTERM);
    sigaddset(&stop_set, SIGINT);
    pthread_sigmask(SIG_BLOCK, &stop_set, &old_set);

    std::vector<std::thread> workers;
    int exit_status = 0;
    for (int i = 0; i < options.threads; ++i) {
        try {
            {
                std::lock_guard<std::mutex> lock(shared.mutex);
                ++shared.running;
            }
            workers.emplace_back(worker_main, i, std::ref(shared));
        } catch (const std::exception &e) {
            std::lock_guard<std::mutex> lock(shared.mutex);
            --shared.running;
            LogLine("error", "start_failed").field("error", e.what()).emit();
            exit_status = 1;
            break;
        }
    }
    pthread_sigmask(SIG_SETMASK, &old_set, nullptr);

    if (exit_status == 0) {
        int signo = wait_for_stop_signal(signal_read_fd);
        LogLine("info", "stop").field("signal", signal_name(signo)).emit();
    }

    // Stop accepting: shutdown() wakes every thread blocked in accept(), closing the write
    // end of the stop pipe wakes those waiting on a kept connection.
    shared.stopping.store(true);
    ::close(stop_fds[1]);
    shutdown(listen_fd, SHUT_RDWR);

    bool drained;
    {
        std::unique_lock<std::mutex> lock(shared.mutex);
        drained = shared.all_done.wait_for(lock, kDrainTimeout,
                                           [&] { return shared.running == 0; });
    }

    // Remove the socket only if it still is the one this process created.
    struct stat now {};
    if (lstat(options.socket_path.c_str(), &now) == 0 && now.st_dev == created.st_dev &&
        now.st_ino == created.st_ino) {
        unlink(options.socket_path.c_str());
    }

    if (!drained) {
        LogLine("error", "stop_timeout")
            .field("seconds", static_cast<long long>(kDrainTimeout.count()))
            .emit();
        std::_Exit(1);
    }
    for (std::thread &t : workers) {
        t.join();
    }
    ::close(listen_fd);
    ::close(stop_fds[0]);
    LogLine("info", "stopped").field("exit_status", exit_status).emit();
    return exit_status;
}

}  // namespace presence
