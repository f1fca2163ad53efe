/* contended8: 8 threads add SIZE increments in total to one counter under one mutex. */
#include "common.h"
#include <pthread.h>

static pthread_mutex_t mu = PTHREAD_MUTEX_INITIALIZER;
static long counter, per_thread;

static void *work(void *a) {
    (void)a;
    for (long i = 0; i < per_thread; i++) {
        pthread_mutex_lock(&mu);
        counter++;
        pthread_mutex_unlock(&mu);
    }
    return 0;
}

int main(int argc, char **argv) {
    long n = arg_size(argc, argv, 2000000);
    per_thread = n / 8;
    pthread_t t[8];
    for (int i = 0; i < 8; i++)
        if (pthread_create(&t[i], 0, work, 0) != 0) die("pthread_create");
    for (int i = 0; i < 8; i++) pthread_join(t[i], 0);
    return counter == per_thread * 8 ? 0 : 1;
}
