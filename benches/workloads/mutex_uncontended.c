/* mutex_uncontended: SIZE lock/unlock pairs of a mutex no other thread touches. */
#include "common.h"
#include <pthread.h>

int main(int argc, char **argv) {
    long n = arg_size(argc, argv, 20000000);
    pthread_mutex_t mu;
    pthread_mutex_init(&mu, 0);
    volatile long c = 0;
    for (long i = 0; i < n; i++) {
        pthread_mutex_lock(&mu);
        c++;
        pthread_mutex_unlock(&mu);
    }
    return c == n ? 0 : 1;
}
