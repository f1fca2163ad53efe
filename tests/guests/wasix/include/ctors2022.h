/* Force-included (-include) into programs built against the 2022 sysroot (6c2e047). Its
 * crt1's _start never calls __wasm_call_ctors (it relied on wasm-ld wrapping _start, which
 * wasm-ld no longer does once __wasm_call_ctors is exported, as cc.sh exports it), so the
 * libc's constructors (preopens, environ) would not run. This runs them before main, as the
 * 2022 toolchain's linker did. Programs keep `int main(int, char **)` or `int main(void)`. */
#ifndef WXC_CTORS2022_H
#define WXC_CTORS2022_H
extern void __wasm_call_ctors(void);
int wxc_main_2022();
int main(int argc, char **argv) {
    __wasm_call_ctors();
    return wxc_main_2022(argc, argv);
}
#define main wxc_main_2022
#endif
