/* openstat: open + fstat + close of an existing file, SIZE times (default 100,000). */
#include "common.h"
#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

int main(int argc, char **argv) {
    long n = arg_size(argc, argv, 100000);
    char path[4096];
    snprintf(path, sizeof path, "%s/openstat.file", arg_dir(argc, argv));
    int fd = open(path, O_WRONLY | O_CREAT | O_TRUNC, 0644);
    if (fd < 0 || write(fd, "data", 4) != 4) die("create");
    close(fd);
    long total = 0;
    for (long i = 0; i < n; i++) {
        fd = open(path, O_RDONLY);
        if (fd < 0) die("open");
        struct stat st;
        if (fstat(fd, &st) != 0) die("fstat");
        total += st.st_size;
        close(fd);
    }
    return total == 4 * n ? 0 : 1;
}
