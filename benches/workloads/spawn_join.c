/* spawn_join: pthread_create + pthread_join SIZE times, one thread at a time. */
#include "common.h"
#include <pthread.h>

static void *noop(void *a) { return a; }

int main(int argc, char **argv) {
    long n = arg_size(argc, argv, 2000);
    for (long i = 0; i < n; i++) {
        pthread_t t;
        void *r;
        if (pthread_create(&t, 0, noop, (void *)i) != 0) die("pthread_create");
        if (pthread_join(t, &r) != 0 || (long)r != i) die("pthread_join");
    }
    return 0;
}
