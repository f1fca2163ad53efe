/* How a single-threaded wasix-libc program ends: argv[1] = exit | _exit | return |
 * pthread_exit, argv[2] = the code. atexit handlers run for exit and return only. */
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

static void bye(void) { printf("atexit ran\n"); }

int main(int argc, char **argv) {
    const char *how = argc > 1 ? argv[1] : "return";
    int code = argc > 2 ? atoi(argv[2]) : 0;
    atexit(bye);
    printf("ending by %s %d\n", how, code);
    fflush(stdout);
    if (!strcmp(how, "exit")) exit(code);
    if (!strcmp(how, "_exit")) _exit(code);
    if (!strcmp(how, "pthread_exit")) pthread_exit((void *)(long)code);
    return code;
}
