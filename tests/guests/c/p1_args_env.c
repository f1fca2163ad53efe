/* p1_args_env: args_sizes_get / args_get, environ_sizes_get / environ_get, and stdin.
 * Expected invocation (see tests/p1_programs.rs):
 *   p1_args_env.wasm -- alpha "beta gamma" "ünï" ""
 *   env WXC_A=1, WXC_B=x=y, WXC_EMPTY=   stdin: the bytes "stdin-data\n" (11 bytes)
 */
#include "check.h"

int main(void) {
    /* ---- args ---- */
    __wasi_size_t argc = 0, argv_size = 0;
    CHECK_ERRNO("args_sizes_get", __wasi_args_sizes_get(&argc, &argv_size), OK);
    CHECK_SHOW("args.count", argc == 5, "%u", (unsigned)argc);
    uint8_t **argv = calloc(argc + 1, sizeof *argv);
    uint8_t *abuf = malloc(argv_size + 1);
    /* Canary past the end: the host must not write beyond argv_size bytes. */
    abuf[argv_size] = 0xAA;
    CHECK_ERRNO("args_get", __wasi_args_get(argv, abuf), OK);
    CHECK("args.no_overrun", abuf[argv_size] == 0xAA);
    size_t sum = 0;
    for (size_t i = 0; i < argc; i++) sum += strlen((char *)argv[i]) + 1;
    CHECK_SHOW("args.sizes_consistent", sum == argv_size, "%u bytes", (unsigned)argv_size);
    CHECK("args.pointers_in_buffer",
          argc > 0 && argv[0] == abuf && argv[argc - 1] < abuf + argv_size);
    const char *a0 = argc > 0 ? (char *)argv[0] : "";
    CHECK("args.argv0_is_module_name", strstr(a0, "p1_args_env") != NULL && strstr(a0, ".wasm") != NULL);
    CHECK("args.argv1", argc > 1 && strcmp((char *)argv[1], "alpha") == 0);
    CHECK("args.argv2_with_space", argc > 2 && strcmp((char *)argv[2], "beta gamma") == 0);
    CHECK("args.argv3_utf8", argc > 3 && strcmp((char *)argv[3], "\xc3\xbcn\xc3\xaf") == 0);
    CHECK("args.argv4_empty", argc > 4 && argv[4][0] == 0);

    /* ---- environ ---- */
    __wasi_size_t envc = 0, env_size = 0;
    CHECK_ERRNO("environ_sizes_get", __wasi_environ_sizes_get(&envc, &env_size), OK);
    uint8_t **envp = calloc(envc + 1, sizeof *envp);
    uint8_t *ebuf = malloc(env_size + 1);
    ebuf[env_size] = 0xAA;
    CHECK_ERRNO("environ_get", __wasi_environ_get(envp, ebuf), OK);
    CHECK("environ.no_overrun", ebuf[env_size] == 0xAA);
    sum = 0;
    int all_have_eq = 1, seen_a = 0, seen_b = 0, seen_empty = 0;
    for (size_t i = 0; i < envc; i++) {
        const char *e = (const char *)envp[i];
        sum += strlen(e) + 1;
        if (!strchr(e, '=')) all_have_eq = 0;
        if (strcmp(e, "WXC_A=1") == 0) seen_a++;
        if (strcmp(e, "WXC_B=x=y") == 0) seen_b++;
        if (strcmp(e, "WXC_EMPTY=") == 0) seen_empty++;
    }
    CHECK("environ.sizes_consistent", sum == env_size);
    CHECK("environ.entries_have_equals", all_have_eq);
    CHECK("environ.WXC_A", seen_a == 1);
    CHECK("environ.WXC_B_value_with_equals", seen_b == 1);
    CHECK("environ.WXC_EMPTY", seen_empty == 1);
    CHECK("environ.getenv", getenv("WXC_B") && strcmp(getenv("WXC_B"), "x=y") == 0);

    /* ---- stdin, read with two iovecs per call until EOF ---- */
    char s1[4], s2[64];
    char all[128];
    size_t total = 0;
    for (;;) {
        __wasi_iovec_t iov[2] = {{(uint8_t *)s1, sizeof s1}, {(uint8_t *)s2, sizeof s2}};
        __wasi_size_t n = 0;
        __wasi_errno_t e = __wasi_fd_read(0, iov, 2, &n);
        if (e != OK) {
            fail("stdin.read", __LINE__, "errno %s", errno_name(e));
            break;
        }
        if (n == 0) break;
        for (size_t i = 0; i < n && total < sizeof all; i++)
            all[total++] = i < sizeof s1 ? s1[i] : s2[i - sizeof s1];
    }
    CHECK_SHOW("stdin.bytes", total == 11 && memcmp(all, "stdin-data\n", 11) == 0, "%u", (unsigned)total);
    return check_done();
}
