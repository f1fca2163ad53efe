/* Symlinks and directories on a host mount (argv[1]): create, read, follow, remove. */
#include "t.h"
#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

int main(int argc, char **argv) {
    if (argc < 2 || chdir(argv[1]) != 0) return 100;
    CHECK(mkdir("dir", 0755) == 0);
    int fd = open("dir/file", O_CREAT | O_WRONLY, 0644);
    CHECK(fd >= 0);
    CHECK(write(fd, "data\n", 5) == 5);
    close(fd);
    CHECK(symlink("dir/file", "link") == 0);
    char buf[64] = {0};
    CHECK(readlink("link", buf, sizeof buf) == 8);
    printf("readlink=%s\n", buf);
    struct stat st;
    CHECK(lstat("link", &st) == 0 && S_ISLNK(st.st_mode));
    CHECK(stat("link", &st) == 0 && S_ISREG(st.st_mode) && st.st_size == 5);
    fd = open("link", O_RDONLY);
    CHECK(fd >= 0);
    memset(buf, 0, sizeof buf);
    CHECK(read(fd, buf, sizeof buf) == 5);
    close(fd);
    printf("through link: %s", buf);
    CHECK(unlink("link") == 0);
    CHECK(unlink("dir/file") == 0);
    CHECK(rmdir("dir") == 0);
    return DONE();
}
