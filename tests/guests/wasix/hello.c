/* The smallest real WASIX program: printf through wasix-libc, argv and environ. */
#include <stdio.h>
#include <stdlib.h>
int main(int argc, char **argv) {
    printf("hello %s\n", argc > 1 ? argv[1] : "world");
    printf("argc=%d\n", argc);
    const char *v = getenv("WXC_GREETING");
    printf("env=%s\n", v ? v : "(unset)");
    return 0;
}
