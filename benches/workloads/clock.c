/* clock: clock_gettime(CLOCK_MONOTONIC) SIZE times (default 5,000,000). */
#include "common.h"
#include <time.h>

int main(int argc, char **argv) {
    long n = arg_size(argc, argv, 5000000);
    struct timespec ts;
    unsigned long acc = 0;
    for (long i = 0; i < n; i++) {
        if (clock_gettime(CLOCK_MONOTONIC, &ts) != 0) die("clock_gettime");
        acc += (unsigned long)ts.tv_nsec;
    }
    return acc == 1 ? 1 : 0;
}
