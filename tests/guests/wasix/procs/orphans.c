/* The root ends while its children still run: three children block reading a pipe nobody
 * writes to, one computes in a bounded loop that outlasts any test. The root prints and
 * returns 0 at once; the run must end then (its processes end with it). */
#include <stdio.h>
#include <unistd.h>

int main(void) {
    int p[2];
    if (pipe(p) != 0) return 1;
    for (int i = 0; i < 4; i++) {
        fflush(stdout);
        pid_t c = fork();
        if (c < 0) { printf("fork failed\n"); return 2; }
        if (c == 0) {
            if (i == 3) {
                volatile unsigned long x = 0;
                for (unsigned long k = 0; k < 20000000000UL; k++) x += k;
                _exit((int)(x & 1));
            }
            char b;
            read(p[0], &b, 1);
            _exit(0);
        }
    }
    printf("root returns with 4 children running\n");
    return 0;
}
