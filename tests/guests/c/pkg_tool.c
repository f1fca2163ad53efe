// A wasmer package's program (tests/suite/package.rs): prints its argv, the PKG_* variables
// of its environment, and the contents of every file named after `show`.
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

int main(int argc, char **argv) {
    for (int i = 0; i < argc; i++)
        printf("argv[%d]=%s\n", i, argv[i]);
    const char *vars[] = {"PKG_MODE", "PKG_EXTRA"};
    for (int i = 0; i < 2; i++) {
        const char *v = getenv(vars[i]);
        printf("%s=%s\n", vars[i], v ? v : "(unset)");
    }
    for (int i = 2; i < argc && argc > 1 && strcmp(argv[1], "show") == 0; i++) {
        FILE *f = fopen(argv[i], "r");
        if (!f) {
            printf("%s: cannot open\n", argv[i]);
            return 3;
        }
        char buf[256];
        size_t n;
        while ((n = fread(buf, 1, sizeof buf, f)) > 0)
            fwrite(buf, 1, n, stdout);
        fclose(f);
    }
    if (argc > 1 && strcmp(argv[1], "write") == 0) {
        FILE *f = fopen("/data/new.txt", "w");
        printf("write: %s\n", f ? "opened" : "refused");
        return f ? 4 : 0;
    }
    return 0;
}
