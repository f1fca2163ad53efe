// `diff` determinism guest: prints the realtime and monotonic clocks twice and 16 random
// bytes. With --fake-clock and --seed every run prints the same.
#include <stdio.h>
#include <time.h>
#include <wasi/api.h>

static void show(const char *name, clockid_t id) {
    struct timespec t;
    clock_gettime(id, &t);
    printf("%s %lld.%09ld\n", name, (long long)t.tv_sec, t.tv_nsec);
}

int main(void) {
    show("realtime", CLOCK_REALTIME);
    show("monotonic", CLOCK_MONOTONIC);
    show("realtime", CLOCK_REALTIME);
    unsigned char r[16];
    if (__wasi_random_get(r, sizeof r) != 0)
        return 1;
    printf("random ");
    for (unsigned i = 0; i < sizeof r; i++)
        printf("%02x", r[i]);
    printf("\n");
    return 0;
}
