/* poll0: a poll with no fds and a zero timeout, SIZE times (default 200,000). On WASI,
 * libc turns it into poll_oneoff with one relative clock subscription of 0 ns. */
#include "common.h"
#include <poll.h>

int main(int argc, char **argv) {
    long n = arg_size(argc, argv, 200000);
    for (long i = 0; i < n; i++)
        if (poll(NULL, 0, 0) != 0) die("poll");
    return 0;
}
