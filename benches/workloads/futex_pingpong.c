/* futex_pingpong: SIZE round trips between two threads handing a turn back and forth
 * through a mutex and a condition variable (each hand-off is a futex wait and wake). */
#include "common.h"
#include <pthread.h>

static pthread_mutex_t mu = PTHREAD_MUTEX_INITIALIZER;
static pthread_cond_t cv = PTHREAD_COND_INITIALIZER;
static int turn;
static long rounds;

static void *pong(void *a) {
    (void)a;
    for (long i = 0; i < rounds; i++) {
        pthread_mutex_lock(&mu);
        while (turn != 1) pthread_cond_wait(&cv, &mu);
        turn = 0;
        pthread_cond_signal(&cv);
        pthread_mutex_unlock(&mu);
    }
    return 0;
}

int main(int argc, char **argv) {
    rounds = arg_size(argc, argv, 50000);
    pthread_t t;
    if (pthread_create(&t, 0, pong, 0) != 0) die("pthread_create");
    for (long i = 0; i < rounds; i++) {
        pthread_mutex_lock(&mu);
        turn = 1;
        pthread_cond_signal(&cv);
        while (turn != 0) pthread_cond_wait(&cv, &mu);
        pthread_mutex_unlock(&mu);
    }
    pthread_join(t, 0);
    return 0;
}
