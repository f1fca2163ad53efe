/* Shared by the benchmark workloads: each builds natively and for wasm32-wasi from the
 * same source. argv[1] is the size; argv[2], where used, a directory to work in. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

__attribute__((unused)) static long arg_size(int argc, char **argv, long dflt) {
    return argc > 1 ? atol(argv[1]) : dflt;
}

__attribute__((unused)) static const char *arg_dir(int argc, char **argv) {
    if (argc < 3) {
        fprintf(stderr, "usage: %s SIZE DIR\n", argv[0]);
        exit(2);
    }
    return argv[2];
}

__attribute__((unused)) static void die(const char *what) {
    perror(what);
    exit(1);
}
