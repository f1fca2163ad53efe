/* Signals in one thread: handlers through wasix-libc's __wasm_signal, ignore, defaults.
 * argv[1] picks how the program ends: "return", "abort", "term" (raise(SIGTERM) with the
 * default action), "kill" (raise(SIGKILL)). */
#include "t.h"
#include <pthread.h>
#include <signal.h>
#include <stdlib.h>
#include <unistd.h>

static volatile int got_usr1, got_usr2, got_alrm;
static void on_usr1(int s) { got_usr1 += s == SIGUSR1; }
static void on_usr2(int s) { got_usr2 += s == SIGUSR2; }

int main(int argc, char **argv) {
    const char *mode = argc > 1 ? argv[1] : "return";
    CHECK(signal(SIGUSR1, on_usr1) != SIG_ERR);
    CHECK(raise(SIGUSR1) == 0);
    CHECK(raise(SIGUSR1) == 0);
    printf("usr1 handled=%d\n", got_usr1);
    struct sigaction sa = {0};
    sa.sa_handler = on_usr2;
    CHECK(sigaction(SIGUSR2, &sa, NULL) == 0);
    CHECK(pthread_kill(pthread_self(), SIGUSR2) == 0);
    printf("usr2 handled=%d\n", got_usr2);
    CHECK(signal(SIGUSR1, SIG_IGN) == on_usr1);
    CHECK(raise(SIGUSR1) == 0);
    printf("usr1 after ignore=%d\n", got_usr1);
    CHECK(raise(SIGCHLD) == 0); /* default: ignored */
    CHECK(raise(SIGWINCH) == 0);
    printf("defaults ignored\n");
    fflush(stdout);
    if (!strcmp(mode, "abort")) abort();
    if (!strcmp(mode, "term")) raise(SIGTERM);
    if (!strcmp(mode, "kill")) raise(SIGKILL);
    printf("returned from %s\n", mode);
    return DONE();
}
