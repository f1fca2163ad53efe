/* mmap of a file and anonymous memory (wasix-libc's emulated mman). */
#include "t.h"
#include <fcntl.h>
#include <sys/mman.h>
#include <unistd.h>

int main(void) {
    int fd = open("/tmp/m.bin", O_CREAT | O_RDWR | O_TRUNC, 0644);
    CHECK(fd >= 0);
    const char msg[] = "mapped file contents";
    CHECK(write(fd, msg, sizeof msg) == (ssize_t)sizeof msg);
    char *p = mmap(NULL, sizeof msg, PROT_READ, MAP_PRIVATE, fd, 0);
    CHECK(p != MAP_FAILED);
    if (p != MAP_FAILED) {
        printf("mmap: %s\n", p);
        CHECK(munmap(p, sizeof msg) == 0);
    }
    close(fd);
    char *anon = mmap(NULL, 1 << 16, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
    CHECK(anon != MAP_FAILED);
    if (anon != MAP_FAILED) {
        int zero = 1;
        for (int i = 0; i < 1 << 16; i++) zero &= anon[i] == 0;
        printf("anon zeroed=%d\n", zero);
        memset(anon, 7, 1 << 16);
        CHECK(munmap(anon, 1 << 16) == 0);
    }
    CHECK(unlink("/tmp/m.bin") == 0);
    return DONE();
}
