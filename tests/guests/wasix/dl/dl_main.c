// Dynamic linking from a -pie main module: dlopen/dlsym/dlclose of side modules that
// share the main module's data, call back into it and need other side modules.
// argv[1] picks the scenario; every line printed is checked exactly by the test.
#include <dlfcn.h>
#include <errno.h>
#include <pthread.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>
#include <wasi/api.h>

int shared_counter = 40;
const char *main_greeting = "hello from main";

int main_twice(int x) { return x * 2; }

typedef int (*add_fn)(int (*)(int), int);
typedef int (*int_fn)(void);

static void *must_open(const char *name, int mode) {
    void *h = dlopen(name, mode);
    if (!h) printf("dlopen %s failed: %s\n", name, dlerror());
    return h;
}

static int two(void) {
    void *a = must_open("liba.so", RTLD_NOW | RTLD_GLOBAL);
    void *b = must_open("libb.so", RTLD_NOW);
    if (!a || !b) return 1;
    add_fn a_add = (add_fn)dlsym(a, "a_add");
    printf("a_add(main_twice, 5) = %d\n", a_add(main_twice, 5));
    printf("shared_counter = %d\n", shared_counter);
    int_fn b_sum = (int_fn)dlsym(b, "b_sum");
    printf("b_sum() = %d\n", b_sum());
    printf("shared_counter = %d\n", shared_counter);
    int *a_value = (int *)dlsym(a, "a_value");
    printf("*a_value = %d\n", *a_value);
    // The same function has one pointer, wherever it is looked up from.
    printf("dlsym(main_twice) == &main_twice: %d\n",
           dlsym(RTLD_DEFAULT, "main_twice") == (void *)main_twice);
    printf("dlsym(a, a_add) twice equal: %d\n", dlsym(a, "a_add") == (void *)a_add);
    printf("a_self() == a_add: %d\n", ((void *(*)(void))dlsym(a, "a_self"))() == (void *)a_add);
    // libb needs libbase: its symbols are reachable through libb's handle.
    printf("dlsym(b, base_value) = %d\n", *(int *)dlsym(b, "base_value"));
    // liba is RTLD_GLOBAL, libb is not.
    printf("default finds a_add: %d, b_sum: %d\n", dlsym(RTLD_DEFAULT, "a_add") != 0,
           dlsym(RTLD_DEFAULT, "b_sum") != 0);
    printf("dlopen(liba) again same handle: %d\n", dlopen("liba.so", RTLD_NOW) == a);
    printf("greeting via a: %s\n", ((const char *(*)(void))dlsym(a, "a_greeting"))());
    printf("dlclose(a) = %d\n", dlclose(a));
    return 0;
}

static int errors(void) {
    printf("missing: %p %s\n", dlopen("libnope.so", RTLD_NOW), dlerror());
    printf("not wasm: %p %s\n", dlopen("/lib/notwasm.so", RTLD_NOW), dlerror());
    printf("not side: %p %s\n", dlopen("/lib/plain.wasm", RTLD_NOW), dlerror());
    printf("noload: %p %s\n", dlopen("liba.so", RTLD_NOW | RTLD_NOLOAD), dlerror());
    void *a = dlopen("liba.so", RTLD_NOW);
    printf("unknown symbol: %p %s\n", dlsym(a, "nope"), dlerror());
    printf("dlclose(bogus) = %d %s\n", dlclose((void *)0x7777), dlerror());
    printf("dlopen(NULL) is main: %d\n", dlsym(dlopen(NULL, RTLD_NOW), "main_twice") == (void *)main_twice);
    printf("undefined import: %p %s\n", dlopen("libundef.so", RTLD_NOW), dlerror());
    printf("missing needed: %p %s\n", dlopen("libneedsgone.so", RTLD_NOW), dlerror());
    return 0;
}

static add_fn from_thread;
static void *loader(void *arg) {
    void *a = dlopen("liba.so", RTLD_NOW);
    from_thread = (add_fn)dlsym(a, "a_add");
    return arg;
}
static void *caller(void *arg) {
    add_fn f = (add_fn)arg;
    printf("thread calls a_add = %d\n", f(main_twice, 1));
    return 0;
}

static int threads(void) {
    pthread_t t;
    // Loaded by a thread, called by main after the join.
    pthread_create(&t, 0, loader, 0);
    pthread_join(t, 0);
    printf("main calls a_add = %d\n", from_thread(main_twice, 2));
    // Loaded by main, called by a thread started after.
    void *b = dlopen("libb.so", RTLD_NOW);
    int_fn b_sum = (int_fn)dlsym(b, "b_sum");
    pthread_create(&t, 0, caller, (void *)from_thread);
    pthread_join(t, 0);
    printf("main calls b_sum = %d\n", b_sum());
    return 0;
}

// Straight calls of the imports with bad arguments: the exact errno of each.
static int bad(void) {
    __wasi_dl_handle_t h = 0;
    uint8_t err[64];
    printf("unknown flag: %d\n", __wasi_dlopen("liba.so", 1 << 7, err, sizeof err, "", &h));
    printf("bad out ptr: %d\n",
           __wasi_dlopen("liba.so", 2, err, sizeof err, "", (__wasi_dl_handle_t *)0xfffffff0));
    printf("bad err buf: %d\n", __wasi_dlopen("libnope.so", 2, (uint8_t *)0xfffffff0, 64, "", &h));
    err[0] = 'x';
    printf("zero err buf: %d untouched=%d\n", __wasi_dlopen("libnope.so", 2, err, 0, "", &h), err[0] == 'x');
    err[4] = 'x';
    int e = __wasi_dlopen("libnope.so", 2, err, 5, "", &h);
    printf("short err buf: %d \"%s\"\n", e, (char *)err);
    __wasi_size_t sym = 0;
    printf("bad handle: %d\n", __wasi_dlsym(0x12345, "a_add", err, sizeof err, &sym));
    printf("dl_invalid_handle(0) = %d\n", __wasi_dl_invalid_handle(0));
    printf("dl_invalid_handle(1) = %d\n", __wasi_dl_invalid_handle(1));
    return 0;
}

// exec of a dynamically linked program: the new image links its own side modules.
static int exec_self(void) {
    printf("before exec\n");
    fflush(stdout);
    execl("/lib/dl_main.wasm", "dl_main", "two", (char *)0);
    printf("exec failed: %s\n", strerror(errno));
    return 1;
}

int main(int argc, char **argv) {
    const char *what = argc > 1 ? argv[1] : "two";
    if (!strcmp(what, "two")) return two();
    if (!strcmp(what, "errors")) return errors();
    if (!strcmp(what, "threads")) return threads();
    if (!strcmp(what, "bad")) return bad();
    if (!strcmp(what, "exec")) return exec_self();
    return 2;
}
