// WASIX contexts (wasix/context.h): one behaviour per mode (argv[1]), each printing what
// it saw. Built with wasix-libc, `--asyncify` (and once without, for ENOTSUP).
#include <errno.h>
#include <setjmp.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <wasix/context.h>

static wasix_context_id_t a, b, c;
static int counter;

static void create(wasix_context_id_t *id, void (*f)(void)) {
    if (wasix_context_create(id, f) != 0) {
        printf("create=-1 errno=%d\n", errno);
        exit(1);
    }
}

static void to(wasix_context_id_t id) {
    if (wasix_context_switch(id) != 0) {
        printf("switch(%llu)=-1 errno=%d\n", (unsigned long long)id, errno);
        exit(1);
    }
}

// ---- pingpong: main -> A -> B -> main, three rounds ----
static void ping(void) {
    for (int i = 0;; i++) {
        printf("A%d\n", i);
        to(b);
    }
}
static void pong(void) {
    for (int i = 0;; i++) {
        printf("B%d\n", i);
        to(wasix_context_main);
    }
}
static int pingpong(void) {
    create(&a, ping);
    create(&b, pong);
    for (int i = 0; i < 3; i++) {
        printf("main%d\n", i);
        to(a);
    }
    printf("end\n");
    return 0;
}

// ---- counter: the context counts its resumptions ----
static void count(void) {
    for (;;) {
        to(wasix_context_main);
        counter++;
    }
}
static int counting(void) {
    create(&a, count);
    for (int i = 0; i < 5; i++)
        to(a);
    printf("counter=%d\n", counter);
    return 0;
}

// ---- three: three contexts, each entered once, in order ----
static void one(void) { printf("one\n"); to(wasix_context_main); }
static void two(void) { printf("two\n"); to(wasix_context_main); }
static void three(void) { printf("three\n"); to(wasix_context_main); }
static int threes(void) {
    create(&a, one);
    create(&b, two);
    create(&c, three);
    to(a);
    to(b);
    to(c);
    printf("ids %llu %llu %llu main %llu\n", (unsigned long long)a, (unsigned long long)b,
           (unsigned long long)c, (unsigned long long)wasix_context_main);
    return 0;
}

// ---- errors ----
static void idle(void) {
    for (;;)
        to(wasix_context_main);
}
static int deleted(void) {
    create(&a, idle);
    to(a);
    printf("destroy=%d\n", wasix_context_destroy(a));
    int r = wasix_context_switch(a);
    printf("switch to deleted=%d errno=%d\n", r, errno);
    r = wasix_context_switch(12345);
    printf("switch to unknown=%d errno=%d\n", r, errno);
    printf("switch to self=%d\n", wasix_context_switch(wasix_context_main));
    return 0;
}

static void destroyer(void) {
    int r = wasix_context_destroy(a);
    printf("destroy self=%d errno=%d\n", r, errno);
    r = wasix_context_destroy(wasix_context_main);
    printf("destroy main from a context=%d errno=%d\n", r, errno);
    printf("switch to self=%d\n", wasix_context_switch(a));
    to(wasix_context_main);
}
static int destroys(void) {
    int r = wasix_context_destroy(wasix_context_main);
    printf("destroy main=%d errno=%d\n", r, errno);
    create(&a, destroyer);
    to(a);
    create(&b, idle);
    printf("destroy never run=%d\n", wasix_context_destroy(b));
    printf("destroy twice=%d\n", wasix_context_destroy(b));
    printf("destroy after run=%d\n", wasix_context_destroy(a));
    printf("destroy unknown=%d\n", wasix_context_destroy(999));
    return 0;
}

static void returns(void) { printf("entry returns\n"); }
static int returning(void) {
    create(&a, returns);
    to(a);
    printf("back in main\n");
    return 0;
}

static void traps(void) {
    printf("entry traps\n");
    __builtin_trap();
}
static int trapping(void) {
    create(&a, traps);
    to(a);
    printf("back in main\n");
    return 0;
}

static void exits(void) {
    printf("exit from a context\n");
    exit(3);
}
static int exiting(void) {
    create(&a, exits);
    to(a);
    return 0;
}

static void forks(void) {
    pid_t p = fork();
    printf("fork in a context=%d errno=%d\n", (int)p, errno);
    to(wasix_context_main);
}
static int forking(void) {
    create(&a, forks);
    to(a);
    return 0;
}

// ---- setjmp/longjmp inside a context, across switches to main ----
static jmp_buf jb;
static void jumper(void) {
    volatile int n = 0;
    if (setjmp(jb) != 0) {
        printf("ctx back at its setjmp n=%d\n", n);
        to(wasix_context_main);
    }
    n++;
    to(wasix_context_main);
    printf("ctx resumed, longjmp\n");
    n++;
    longjmp(jb, 1);
}
static int jumping(void) {
    create(&a, jumper);
    to(a);
    printf("main\n");
    to(a);
    printf("main end\n");
    return 0;
}

static int unsupported(void) {
    int r = wasix_context_create(&a, idle);
    printf("create=%d errno=%d\n", r, errno);
    r = wasix_context_switch(1);
    printf("switch=%d errno=%d\n", r, errno);
    r = wasix_context_destroy(1);
    printf("destroy=%d errno=%d\n", r, errno);
    return 0;
}

// ---- stacks: deep frames with local arrays keep their data across switches ----
static unsigned deep(int tag, int depth) {
    volatile unsigned char buf[2048];
    for (unsigned i = 0; i < sizeof buf; i++)
        buf[i] = (unsigned char)(tag * 31 + depth * 7 + i);
    unsigned sum = 0;
    if (depth > 0) {
        sum = deep(tag, depth - 1);
    } else {
        char line[64];
        snprintf(line, sizeof line, "ctx%d at the bottom", tag);
        printf("%s\n", line);
        // Let the others run over their own stacks while this one's is live.
        to(tag == 1 ? b : wasix_context_main);
        printf("ctx%d back: %s\n", tag, line);
    }
    for (unsigned i = 0; i < sizeof buf; i++)
        if (buf[i] != (unsigned char)(tag * 31 + depth * 7 + i))
            return 0xdead0000u + depth;
    return sum + buf[100];
}
static void stack1(void) {
    unsigned s = deep(1, 16);
    printf("ctx1 sum=%u\n", s);
    to(wasix_context_main);
}
static void stack2(void) {
    unsigned s = deep(2, 16);
    printf("ctx2 sum=%u\n", s);
    to(wasix_context_main);
}
static int stacks(void) {
    char mine[4096];
    memset(mine, 'm', sizeof mine);
    create(&a, stack1);
    create(&b, stack2);
    to(a);          // a -> (bottom) -> b -> (bottom) -> main
    printf("main between\n");
    to(a);          // a finishes -> main
    to(b);          // b finishes -> main
    for (unsigned i = 0; i < sizeof mine; i++)
        if (mine[i] != 'm') {
            printf("main's stack clobbered at %u\n", i);
            return 1;
        }
    printf("main's stack intact\n");
    return 0;
}

int main(int argc, char **argv) {
    const char *m = argc > 1 ? argv[1] : "";
    setvbuf(stdout, NULL, _IONBF, 0);
    if (!strcmp(m, "pingpong")) return pingpong();
    if (!strcmp(m, "counter")) return counting();
    if (!strcmp(m, "three")) return threes();
    if (!strcmp(m, "deleted")) return deleted();
    if (!strcmp(m, "destroy")) return destroys();
    if (!strcmp(m, "returns")) return returning();
    if (!strcmp(m, "traps")) return trapping();
    if (!strcmp(m, "exit")) return exiting();
    if (!strcmp(m, "fork")) return forking();
    if (!strcmp(m, "notsup")) return unsupported();
    if (!strcmp(m, "setjmp")) return jumping();
    if (!strcmp(m, "stacks")) return stacks();
    printf("unknown mode %s\n", m);
    return 2;
}
