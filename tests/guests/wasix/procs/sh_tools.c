/* External commands for the dash tests (tests/suite/dash.rs), one program that acts by the
 * name it runs under (argv[0]'s last component), as busybox does. Plain wasix-libc.
 *
 *   cat [FILE...]   copies the files (stdin without any) to stdout
 *   upper           copies stdin to stdout in upper case
 *   lines           prints the number of newlines on stdin (`wc -l`)
 *   args ARG...     prints argc-1, then each argument in brackets on one line
 *   status N        exits N
 */
#include <ctype.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static int copy(FILE *in, int up) {
    int c;
    while ((c = getc(in)) != EOF) putchar(up ? toupper(c) : c);
    return ferror(in) ? 1 : 0;
}

int main(int argc, char **argv) {
    const char *name = strrchr(argv[0], '/') ? strrchr(argv[0], '/') + 1 : argv[0];
    if (!strcmp(name, "cat")) {
        if (argc == 1) return copy(stdin, 0);
        for (int i = 1; i < argc; i++) {
            FILE *f = fopen(argv[i], "r");
            if (!f) {
                fprintf(stderr, "cat: %s: cannot open\n", argv[i]);
                return 1;
            }
            copy(f, 0);
            fclose(f);
        }
        return 0;
    }
    if (!strcmp(name, "upper")) return copy(stdin, 1);
    if (!strcmp(name, "lines")) {
        long n = 0;
        int c;
        while ((c = getchar()) != EOF) n += c == '\n';
        printf("%ld\n", n);
        return 0;
    }
    if (!strcmp(name, "args")) {
        printf("%d", argc - 1);
        for (int i = 1; i < argc; i++) printf(" [%s]", argv[i]);
        printf("\n");
        return 0;
    }
    if (!strcmp(name, "status")) return argc > 1 ? atoi(argv[1]) : 0;
    fprintf(stderr, "sh_tools: unknown name %s\n", name);
    return 2;
}
