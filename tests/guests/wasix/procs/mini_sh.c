/* A tiny stand-in for /bin/sh, enough for system() and popen(): `sh -c "exit N"` exits N,
 * `sh -c "echo WORDS"` prints WORDS and a newline; anything else is reported on stderr
 * and exits 2. Plain wasix-libc, no asyncify needed. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

int main(int argc, char **argv) {
    if (argc != 3 || strcmp(argv[1], "-c") != 0) {
        fprintf(stderr, "mini_sh: usage: sh -c COMMAND (argc=%d)\n", argc);
        return 2;
    }
    const char *c = argv[2];
    while (*c == ' ') c++;
    if (!strncmp(c, "exit", 4) && (c[4] == ' ' || c[4] == 0)) return atoi(c + 4) & 0xff;
    if (!strncmp(c, "echo", 4) && (c[4] == ' ' || c[4] == 0)) {
        const char *w = c[4] ? c + 5 : c + 4;
        printf("%s\n", w);
        return 0;
    }
    fprintf(stderr, "mini_sh: unsupported command: %s\n", c);
    return 2;
}
