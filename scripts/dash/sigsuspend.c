/* Linked into dash by scripts/build-dash.sh in place of wasix-libc's sigsuspend.
 *
 * wasix-libc's sigsuspend is a stub that returns EINVAL at once without calling the host,
 * and its sigprocmask changes nothing. dash's `wait` builtin (jobs.c, waitproc) loops
 * `while (!gotsigchld && !pending_sig) sigsuspend(&oldmask);` until its SIGCHLD handler has
 * run; with the stub that loop calls no import at all, so no host can ever run the handler
 * and `wait` spins forever. This version sleeps 1 ms in the host (nanosleep is one
 * poll_oneoff), which runs the signals pending by then, then returns -1 with EINTR like
 * sigsuspend; dash's loop calls it again until its handler ran. It does not sleep until a
 * signal comes: wasix-compat's SIGCHLD (--sigchld) becomes pending without interrupting a
 * blocking call (processes-design.md §3.2), so only a tick notices it. Other signals
 * (`kill` from another process) do interrupt the sleep. The mask is not applied
 * (wasix-libc has no signal masks).
 */
#include <errno.h>
#include <signal.h>
#include <time.h>

int sigsuspend(const sigset_t *mask)
{
	struct timespec tick = { 0, 1000000 };
	(void)mask;
	nanosleep(&tick, NULL);
	errno = EINTR;
	return -1;
}
