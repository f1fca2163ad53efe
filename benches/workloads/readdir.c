/* readdir: list DIR/entries (prepared by the harness with 10,000 files) SIZE times
 * (default 20). */
#include "common.h"
#include <dirent.h>

int main(int argc, char **argv) {
    long n = arg_size(argc, argv, 20);
    char path[4096];
    snprintf(path, sizeof path, "%s/entries", arg_dir(argc, argv));
    long seen = 0;
    for (long i = 0; i < n; i++) {
        DIR *d = opendir(path);
        if (!d) die("opendir");
        struct dirent *e;
        while ((e = readdir(d)) != NULL) seen += e->d_name[0] != '.';
        closedir(d);
    }
    printf("%ld\n", seen / n);
    return 0;
}
