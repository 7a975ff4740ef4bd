// GnuplotBridge: runs gnuplot script files through gnuplot-iostream, behind a plain C API.
//
// gnuplot-iostream opens a pipe to gnuplot but reports neither a missing gnuplot nor gnuplot's
// own errors. These functions do: stderr goes to a temporary file, and a success marker is
// written by gnuplot only when the script ran without error; both are checked back in C.
#ifndef GNUPLOT_BRIDGE_H
#define GNUPLOT_BRIDGE_H

#include <stddef.h>

#ifdef __cplusplus
extern "C" {
#endif

/// Runs gnuplot (`gnuplot`: an executable name looked up in PATH, or a path) on the script file
/// `script_path` (absolute, or relative to the process's working directory), after sending the
/// gnuplot commands `preamble` (may be NULL; e.g. `cd '…'; outfile = '…'`).
///
/// Returns 0 when gnuplot ran the whole script without error; then `message` holds any warnings
/// gnuplot printed (possibly empty). Returns 1 when gnuplot is missing, failed to start, or the
/// script raised an error; then `message` holds gnuplot's error output. `message` is always
/// NUL-terminated and truncated to `capacity` bytes. Never throws; safe to call from several
/// threads at once (each call has its own gnuplot process and temporary files).
int gb_run_script(const char *gnuplot, const char *preamble, const char *script_path,
                  char *message, size_t capacity);

/// Runs `gnuplot --version`. Returns 0 and the version line (e.g. "gnuplot 5.4 patchlevel 4")
/// in `version` when it works; 1 and the shell's or gnuplot's output otherwise.
int gb_version(const char *gnuplot, char *version, size_t capacity);

#ifdef __cplusplus
}
#endif

#endif
