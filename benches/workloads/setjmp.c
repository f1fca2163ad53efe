/* setjmp: setjmp, then longjmp back from three frames down; SIZE times. Under WASIX each
 * setjmp and each longjmp is an asyncify unwind and rewind of the stack. */
#include "common.h"
#include <setjmp.h>

static jmp_buf env;
static volatile long depth_reached;

__attribute__((noinline)) static void down(int d, long v) {
    depth_reached = d;
    if (d == 3) longjmp(env, (int)(v & 0xffff) + 1);
    down(d + 1, v);
}

int main(int argc, char **argv) {
    long n = arg_size(argc, argv, 20000);
    long sum = 0;
    for (long i = 0; i < n; i++) {
        int r = setjmp(env);
        if (r == 0) down(1, i);
        sum += r;
    }
    if (depth_reached != 3 || sum == 0) die("setjmp");
    return 0;
}
