/* stream: write SIZE MiB sequentially in 64 KiB chunks, then read it all back
 * (default 256). */
#include "common.h"
#include <fcntl.h>
#include <unistd.h>

static char buf[64 * 1024];

int main(int argc, char **argv) {
    long mib = arg_size(argc, argv, 256);
    char path[4096];
    snprintf(path, sizeof path, "%s/stream.out", arg_dir(argc, argv));
    int fd = open(path, O_RDWR | O_CREAT | O_TRUNC, 0644);
    if (fd < 0) die("open");
    for (size_t i = 0; i < sizeof buf; i++) buf[i] = (char)i;
    long chunks = mib * 16;
    for (long i = 0; i < chunks; i++)
        if (write(fd, buf, sizeof buf) != (ssize_t)sizeof buf) die("write");
    if (lseek(fd, 0, SEEK_SET) != 0) die("lseek");
    unsigned long sum = 0;
    ssize_t r;
    long total = 0;
    while ((r = read(fd, buf, sizeof buf)) > 0) {
        sum += (unsigned char)buf[r - 1];
        total += r;
    }
    if (r < 0) die("read");
    close(fd);
    if (total != chunks * (long)sizeof buf) {
        fprintf(stderr, "read %ld bytes, wrote %ld\n", total, chunks * (long)sizeof buf);
        return 1;
    }
    return sum == 0 ? 1 : 0;
}
