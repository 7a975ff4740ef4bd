// Implementation of the C API in include/GnuplotBridge.h over gnuplot-iostream.
#include "GnuplotBridge.h"

#include <gnuplot-iostream.h>

#include <pthread.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include <cstring>
#include <fstream>
#include <sstream>
#include <string>

namespace {

/// A string as one single-quoted POSIX shell word.
std::string shellQuote(const std::string &text) {
    std::string out = "'";
    for (char c : text) {
        if (c == '\'') out += "'\\''"; else out += c;
    }
    return out + "'";
}

/// A string as a single-quoted gnuplot string literal ('' stands for a quote).
std::string gnuplotQuote(const std::string &text) {
    std::string out = "'";
    for (char c : text) {
        if (c == '\'') out += "''"; else out += c;
    }
    return out + "'";
}

void copyMessage(const std::string &text, char *buffer, size_t capacity) {
    if (buffer == nullptr || capacity == 0) return;
    size_t n = text.size() < capacity - 1 ? text.size() : capacity - 1;
    std::memcpy(buffer, text.data(), n);
    buffer[n] = '\0';
}

std::string readFile(const std::string &path) {
    std::ifstream in(path, std::ios::binary);
    if (!in) return "";
    std::ostringstream content;
    content << in.rdbuf();
    return content.str();
}

std::string trimmed(const std::string &text) {
    size_t begin = text.find_first_not_of(" \t\r\n");
    if (begin == std::string::npos) return "";
    size_t end = text.find_last_not_of(" \t\r\n");
    return text.substr(begin, end - begin + 1);
}

/// A private temporary folder for one run's error file and marker; removed on destruction.
struct TemporaryFolder {
    std::string path;
    TemporaryFolder() {
        const char *base = getenv("TMPDIR");
        std::string pattern = std::string(base && base[0] ? base : "/tmp") + "/monge-gnuplot-XXXXXX";
        std::string buffer = pattern;
        if (mkdtemp(&buffer[0]) == nullptr) throw std::runtime_error("cannot create a temporary folder from " + pattern);
        path = buffer;
    }
    ~TemporaryFolder() {
        unlink((path + "/stderr.txt").c_str());
        unlink((path + "/ok").c_str());
        rmdir(path.c_str());
    }
};

/// Blocks SIGPIPE in the calling thread while alive: writing to a gnuplot that is missing or has
/// exited then fails with EPIPE instead of killing the process. A SIGPIPE raised meanwhile is
/// consumed before the old mask is restored (it is thread-directed, so no other thread sees it).
struct SigpipeBlocker {
    sigset_t pipeSet, previous;
    bool wasBlocked = false;
    SigpipeBlocker() {
        sigemptyset(&pipeSet);
        sigaddset(&pipeSet, SIGPIPE);
        pthread_sigmask(SIG_BLOCK, &pipeSet, &previous);
        wasBlocked = sigismember(&previous, SIGPIPE) == 1;
    }
    ~SigpipeBlocker() {
        if (!wasBlocked) {
            sigset_t pending;
            sigpending(&pending);
            if (sigismember(&pending, SIGPIPE) == 1) {
                struct timespec zero = {0, 0};
                sigtimedwait(&pipeSet, nullptr, &zero);
            }
        }
        pthread_sigmask(SIG_SETMASK, &previous, nullptr);
    }
};

int runScript(const char *gnuplot, const char *preamble, const char *scriptPath, char *message, size_t capacity) {
    if (gnuplot == nullptr || gnuplot[0] == '\0' || scriptPath == nullptr) {
        copyMessage("no gnuplot executable or script given", message, capacity);
        return 1;
    }
    TemporaryFolder folder;
    const std::string errorPath = folder.path + "/stderr.txt";
    const std::string markerPath = folder.path + "/ok";
    {
        SigpipeBlocker blocker;
        // gnuplot's stdout and stderr both go to the error file; stdin is our pipe.
        Gnuplot gp(shellQuote(gnuplot) + " > " + shellQuote(errorPath) + " 2>&1");
        if (preamble != nullptr) gp << preamble << "\n";
        gp << "load " << gnuplotQuote(scriptPath) << "\n";
        // gnuplot reading a pipe carries on after an error, so the marker is guarded.
        gp << "if (GPVAL_ERRNO == 0) { set print " << gnuplotQuote(markerPath) << "; print 'ok'; unset print }\n";
        gp << "exit\n";
        gp.flush();
    }  // ~Gnuplot flushes and waits for gnuplot to exit (pclose).
    const std::string output = trimmed(readFile(errorPath));
    if (trimmed(readFile(markerPath)) == "ok") {
        copyMessage(output, message, capacity);
        return 0;
    }
    copyMessage(output.empty() ? "gnuplot exited without running the script and without an error message" : output,
                message, capacity);
    return 1;
}

int version(const char *gnuplot, char *buffer, size_t capacity) {
    if (gnuplot == nullptr || gnuplot[0] == '\0') {
        copyMessage("no gnuplot executable given", buffer, capacity);
        return 1;
    }
    const std::string command = shellQuote(gnuplot) + " --version 2>&1 < /dev/null";
    FILE *pipe = popen(command.c_str(), "r");
    if (pipe == nullptr) {
        copyMessage(std::string("cannot start a shell: ") + std::strerror(errno), buffer, capacity);
        return 1;
    }
    std::string output;
    char chunk[256];
    size_t n;
    while ((n = fread(chunk, 1, sizeof chunk, pipe)) > 0) output.append(chunk, n);
    const int status = pclose(pipe);
    output = trimmed(output);
    const bool ok = status != -1 && WIFEXITED(status) && WEXITSTATUS(status) == 0
        && output.compare(0, 7, "gnuplot") == 0;
    if (!ok && output.empty()) output = "`" + std::string(gnuplot) + " --version` failed (status " + std::to_string(status) + ")";
    copyMessage(output, buffer, capacity);
    return ok ? 0 : 1;
}

}  // namespace

extern "C" int gb_run_script(const char *gnuplot, const char *preamble, const char *script_path,
                             char *message, size_t capacity) {
    try {
        return runScript(gnuplot, preamble, script_path, message, capacity);
    } catch (const std::exception &error) {
        copyMessage(std::string("gnuplot bridge: ") + error.what(), message, capacity);
    } catch (...) {
        copyMessage("gnuplot bridge: unknown C++ exception", message, capacity);
    }
    return 1;
}

extern "C" int gb_version(const char *gnuplot, char *version_buffer, size_t capacity) {
    try {
        return version(gnuplot, version_buffer, capacity);
    } catch (const std::exception &error) {
        copyMessage(std::string("gnuplot bridge: ") + error.what(), version_buffer, capacity);
    } catch (...) {
        copyMessage("gnuplot bridge: unknown C++ exception", version_buffer, capacity);
    }
    return 1;
}
