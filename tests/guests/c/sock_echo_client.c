/* sock_echo_client: connects to 127.0.0.1:PORT, sends SIZE bytes of a pattern, shuts down
 * writing, reads the echo until EOF and verifies every byte.
 * usage: sock_echo_client PORT [SIZE] [CONNECTIONS]   (connections run one after another) */
#include "check.h"
#include "wasix.h"

int main(int argc, char **argv) {
    uint16_t port = (uint16_t)wx_arg_port(argc, argv, 1);
    size_t size = argc > 2 ? (size_t)atol(argv[2]) : 100000;
    int conns = argc > 3 ? atoi(argv[3]) : 1;
    uint8_t *out = malloc(size), *back = malloc(size + 1);
    for (size_t i = 0; i < size; i++) out[i] = (uint8_t)(i * 31 + 7);
    for (int k = 0; k < conns; k++) {
        char nm[64];
        uint32_t C;
        snprintf(nm, sizeof nm, "client.%d.open", k);
        REQUIRE(nm, CHECK_ERRNO(nm, wx_sock_open(WX_AF_INET4, WX_SOCK_STREAM, WX_PROTO_TCP, &C), OK) == OK);
        wx_addr_port_t dst = wx_ip4(127, 0, 0, 1, port);
        snprintf(nm, sizeof nm, "client.%d.connect", k);
        REQUIRE(nm, CHECK_ERRNO(nm, wx_sock_connect(C, &dst), OK) == OK);
        wx_fd_fdstat_set_flags(C, WX_FDFLAG_NONBLOCK);
        /* interleave sending and receiving so neither side's buffers fill up */
        size_t sent = 0, got = 0;
        uint64_t deadline = wx_now_ms() + 30000;
        int eof = 0;
        while ((sent < size || !eof) && wx_now_ms() < deadline) {
            int progress = 0;
            if (sent < size) {
                __wasi_ciovec_t cv = {out + sent, size - sent};
                uint32_t w = 0;
                if (wx_sock_send(C, &cv, 1, 0, &w) == OK && w) { sent += w; progress = 1; }
                if (sent == size) wx_sock_shutdown(C, WX_SHUT_WR);
            }
            __wasi_iovec_t iv = {back + got, size + 1 - got};
            uint32_t r = 0;
            uint16_t ro;
            wx_err_t e = wx_sock_recv(C, &iv, 1, 0, &r, &ro);
            if (e == OK && r == 0) eof = 1;
            else if (e == OK) { got += r; progress = 1; }
            else if (e != WX_EAGAIN) break;
            if (!progress && !eof) wx_wait_fd(C, sent < size, 20 * 1000000ull);
        }
        snprintf(nm, sizeof nm, "client.%d.sent", k);
        CHECK_SHOW(nm, sent == size, "%zu", size);
        snprintf(nm, sizeof nm, "client.%d.echoed", k);
        CHECK_SHOW(nm, eof && got == size && memcmp(out, back, size) == 0, "%zu verified", size);
        wx_fd_close(C);
    }
    return check_done();
}
