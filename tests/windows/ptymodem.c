/*
 * LD_PRELOAD library for the Windows lane: answers the modem-line ioctls (TIOCMGET, TIOCMSET,
 * TIOCMBIS, TIOCMBIC) on Linux pseudo-terminal slaves, which the kernel refuses (ENOTTY).
 * Wine's serial layer asks a COM port's device for its modem lines when it opens and configures
 * it, so without this SerialPort.Open fails under Wine with "Request not supported" on a pty.
 * DTR and RTS keep what was last set (per descriptor); CTS, DSR and CD read as asserted, as on a
 * null-modem cable. Every other ioctl, and every descriptor that is not a pty slave, goes to the
 * real ioctl untouched.
 * Build: gcc -shared -fPIC -O2 -o ptymodem.so ptymodem.c -ldl
 */
#define _GNU_SOURCE
#include <dlfcn.h>
#include <errno.h>
#include <stdarg.h>
#include <sys/ioctl.h>
#include <sys/stat.h>
#include <sys/sysmacros.h>

#define MAX_FD 4096
static int lines[MAX_FD];

/* UNIX98 pty slaves have majors 136-143 (/dev/pts/N). */
static int is_pty_slave(int fd)
{
    struct stat st;
    if (fstat(fd, &st) != 0 || !S_ISCHR(st.st_mode)) return 0;
    return major(st.st_rdev) >= 136 && major(st.st_rdev) <= 143;
}

int ioctl(int fd, unsigned long request, ...)
{
    static int (*real_ioctl)(int, unsigned long, ...);
    va_list ap;
    va_start(ap, request);
    void *arg = va_arg(ap, void *);
    va_end(ap);
    if (!real_ioctl) real_ioctl = (int (*)(int, unsigned long, ...))dlsym(RTLD_NEXT, "ioctl");

    int result = real_ioctl(fd, request, arg);
    if (result == 0 || (errno != ENOTTY && errno != EINVAL) || arg == 0 || fd < 0 || fd >= MAX_FD)
        return result;
    if (request != TIOCMGET && request != TIOCMSET && request != TIOCMBIS && request != TIOCMBIC)
        return result;
    int saved = errno;
    if (!is_pty_slave(fd))
    {
        errno = saved;
        return result;
    }
    int *bits = (int *)arg;
    const int settable = TIOCM_DTR | TIOCM_RTS;
    switch (request)
    {
    case TIOCMGET: *bits = (lines[fd] & settable) | TIOCM_CTS | TIOCM_DSR | TIOCM_CAR; break;
    case TIOCMSET: lines[fd] = *bits & settable; break;
    case TIOCMBIS: lines[fd] |= *bits & settable; break;
    case TIOCMBIC: lines[fd] &= ~(*bits & settable); break;
    }
    errno = saved;
    return 0;
}
