// A side module: uses the main module's data and functions, has a constructor.
#include <stdio.h>
extern int shared_counter;
extern const char *main_greeting;
int a_value = 7;
static int ready;
__attribute__((constructor)) static void a_init(void) {
    ready = 1;
    printf("liba constructor (counter %d)\n", shared_counter);
}
int a_add(int (*cb)(int), int v) {
    shared_counter += ready;
    return cb(v) + a_value;
}
void *a_self(void) { return (void *)a_add; }
const char *a_greeting(void) { return main_greeting; }
