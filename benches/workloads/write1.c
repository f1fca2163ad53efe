/* write1: SIZE one-byte write()s to a file (default 1,000,000). */
#include "common.h"
#include <fcntl.h>
#include <unistd.h>

int main(int argc, char **argv) {
    long n = arg_size(argc, argv, 1000000);
    char path[4096];
    snprintf(path, sizeof path, "%s/write1.out", arg_dir(argc, argv));
    int fd = open(path, O_WRONLY | O_CREAT | O_TRUNC, 0644);
    if (fd < 0) die("open");
    for (long i = 0; i < n; i++)
        if (write(fd, "x", 1) != 1) die("write");
    close(fd);
    return 0;
}
