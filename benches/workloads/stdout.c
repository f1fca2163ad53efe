/* stdout: write SIZE MiB to standard output in 64 KiB chunks (default 256). */
#include "common.h"
#include <unistd.h>

static char buf[64 * 1024];

int main(int argc, char **argv) {
    long mib = arg_size(argc, argv, 256);
    memset(buf, 'o', sizeof buf);
    for (long i = 0; i < mib * 16; i++) {
        size_t off = 0;
        while (off < sizeof buf) {
            ssize_t w = write(1, buf + off, sizeof buf - off);
            if (w <= 0) die("write");
            off += (size_t)w;
        }
    }
    return 0;
}
