/* p1_proc: proc_exit and proc_raise, chosen by argv[1]:
 *   exit N      prints a line, then proc_exit(N) directly (no libc atexit path); the host
 *               process must exit with N. Nothing after proc_exit may run.
 *   raise0      proc_raise(0) (no signal) returns success, as kill(pid, 0) does.
 *   raise SIG   proc_raise(SIG): WASI leaves the outcome open; wasix-compat applies the
 *               signal's POSIX default action (the test asserts which). The program prints
 *               what came back if the call returns.
 * proc_raise is absent from current wasi-libc headers, so it is imported by hand. */
#include "check.h"

__attribute__((import_module("wasi_snapshot_preview1"), import_name("proc_raise")))
uint16_t raw_proc_raise(uint8_t sig);

int main(int argc, char **argv) {
    if (argc < 2) {
        fprintf(stderr, "usage: p1_proc exit N | raise0 | raise SIG\n");
        return 2;
    }
    if (strcmp(argv[1], "exit") == 0 && argc >= 3) {
        unsigned code = (unsigned)strtoul(argv[2], NULL, 10);
        pass("proc_exit.before", "%u", code);
        fflush(stdout);
        __wasi_proc_exit(code);
        /* Unreachable. */
        pass("proc_exit.returned", "BUG");
        return 99;
    }
    if (strcmp(argv[1], "raise0") == 0) {
        uint16_t e = raw_proc_raise(0);
        CHECK_ERRNO("proc_raise.none", e, OK);
        return check_done();
    }
    if (strcmp(argv[1], "raise") == 0 && argc >= 3) {
        uint8_t sig = (uint8_t)atoi(argv[2]);
        pass("proc_raise.before", "%u", sig);
        fflush(stdout);
        uint16_t e = raw_proc_raise(sig);
        pass("proc_raise.returned", "%s", errno_name(e));
        return check_done();
    }
    if (strcmp(argv[1], "main_return") == 0) {
        pass("main.return", "%d", 7);
        return 7; /* libc turns this into proc_exit(7) */
    }
    fprintf(stderr, "unknown mode %s\n", argv[1]);
    return 2;
}
