// A preview1 module (Debian wasi-libc) that also imports WASI 0.2 functions directly, as a
// core module: p1's fd 1 and 0.2's `get-stdout` must be the same stream (writes interleave
// in program order), and 0.2 calls returning lists allocate through our `cabi_realloc`.
// With argument "forge", it writes to a handle it never got: the run must trap.
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define P2(module, name) __attribute__((import_module(module), import_name(name)))

P2("wasi:cli/stdout@0.2.0", "get-stdout") int32_t p2_get_stdout(void);
P2("wasi:io/streams@0.2.0", "[method]output-stream.blocking-write-and-flush")
void p2_write(int32_t stream, const char *ptr, size_t len, void *ret);
P2("wasi:io/streams@0.2.0", "[resource-drop]output-stream") void p2_drop_output(int32_t);
P2("wasi:random/random@0.2.0", "get-random-bytes") void p2_random_bytes(uint64_t, void *ret);
P2("wasi:cli/environment@0.2.0", "get-arguments") void p2_arguments(void *ret);

// The canonical ABI's allocator: the host calls it for every list it returns.
__attribute__((export_name("cabi_realloc"))) void *cabi_realloc(void *old, size_t old_size,
                                                                 size_t align, size_t size) {
    (void)old_size;
    (void)align; // malloc's 16-byte alignment covers every list here
    return realloc(old, size);
}

struct list {
    const void *ptr;
    size_t len;
};

// result<_, stream-error>: tag, then the error's case and its `error` handle.
struct write_result {
    uint8_t is_err;
    uint8_t case_;
    int32_t error;
};

static int p2_puts(int32_t stream, const char *s) {
    struct write_result r = {0};
    p2_write(stream, s, strlen(s), &r);
    return r.is_err ? -1 : 0;
}

int main(int argc, char **argv) {
    int32_t out = p2_get_stdout();
    printf("p1 first\n");
    fflush(stdout);
    if (p2_puts(out, "p2 second\n") != 0)
        return 10;
    printf("p1 third\n");
    fflush(stdout);

    struct list args;
    p2_arguments(&args);
    const struct list *a = args.ptr;
    int agree = (int)args.len == argc;
    for (size_t i = 0; agree && i < args.len; i++)
        agree = a[i].len == strlen(argv[i]) && memcmp(a[i].ptr, argv[i], a[i].len) == 0;
    printf("args agree: %d (%zu)\n", agree, args.len);

    struct list bytes;
    p2_random_bytes(16, &bytes);
    printf("random bytes: %zu\n", bytes.len);

    // Dropping the 0.2 handle does not close the stream p1's fd 1 also holds.
    p2_drop_output(out);
    printf("p1 after drop\n");
    fflush(stdout);
    if (argc > 1 && strcmp(argv[1], "forge") == 0)
        p2_puts(out, "never written\n");
    return 0;
}
