/* Checks for wasix-libc test programs: each CHECK prints one line on failure and counts it;
 * programs print their observations as exact lines and exit with the failure count. */
#ifndef WXC_T_H
#define WXC_T_H
#include <errno.h>
#include <stdio.h>
#include <string.h>

static int t_failures;
#define CHECK(cond)                                                                    \
    do {                                                                               \
        if (!(cond)) {                                                                 \
            printf("FAIL %s:%d: %s (errno %d %s)\n", __FILE__, __LINE__, #cond, errno, \
                   strerror(errno));                                                   \
            t_failures++;                                                              \
        }                                                                              \
    } while (0)
#define DONE() (printf("failures=%d\n", t_failures), fflush(stdout), t_failures)
#endif
