/*
 * On-chip flasher for STM32 (F1, F0/F3, F4, G0), loaded into RAM by the ROM bootloader's
 * Write Memory and started with its Go. Speaks the framed protocol of ../PROTOCOL.md over the
 * USART the bootloader used: CRC-32 per frame, a window of frames in flight, LZ4 block data,
 * flash programming with the family's controller, on-chip CRC-32 of written ranges, baud
 * negotiation, and a way back to the ROM bootloader.
 *
 * Position-independent by construction (build.sh checks it): no static data, no read-only
 * tables, no function pointers, no jump tables; all state lives on the stack and every
 * peripheral address is a constant. Nothing is done from interrupts; every wait loop calls
 * service(), which moves received bytes into the ring buffer, so frames keep arriving while
 * the flash is busy (receiving overlaps programming and erasing).
 */
#include <stdint.h>

typedef uint32_t u32;
typedef uint16_t u16;
typedef uint8_t u8;

#define REG(a) (*(volatile u32 *)(a))

/* ---- variant ------------------------------------------------------------------------- */
#if defined(VARIANT_F1)
#define USART_OLD 1
#define FLASH_F1 1
#define RCC_F1 1
#elif defined(VARIANT_F0)
#define USART_NEW 1
#define FLASH_F1 1
#define RCC_F0 1
#elif defined(VARIANT_F4)
#define USART_OLD 1
#define FLASH_F4 1
#define RCC_F4 1
#elif defined(VARIANT_G0)
#define USART_NEW 1
#define FLASH_G0 1
#define RCC_G0 1
#else
#error "define VARIANT_F1, VARIANT_F0, VARIANT_F4 or VARIANT_G0"
#endif

/* ---- protocol constants (PROTOCOL.md) ---------------------------------------------- */
#define SOF 0xA5
#define CMD_HELLO 0x01
#define CMD_CONFIG 0x02
#define CMD_SET_BAUD 0x03
#define CMD_ERASE 0x04
#define CMD_WRITE 0x05
#define CMD_CRC 0x06
#define CMD_EXIT 0x07
#define CMD_PING 0x08
#define RSP_READY 0x7E
#define RSP_NAK 0x7F

#define ST_OK 0
#define ST_BAD_ARG 1
#define ST_ADDRESS 2
#define ST_LOCKED 3
#define ST_FLASH 4
#define ST_VERIFY 5
#define ST_DECODE 6
#define ST_BAD_RATE 7
#define ST_NOT_CONFIGURED 8
#define ST_UNKNOWN 9
#define ST_TIMEOUT 10
#define ST_PROTECTED 11

#define NAK_CRC 1
#define NAK_HEADER 2
#define NAK_GAP 3
#define NAK_TIMEOUT 4

#define FLASH_MIN 0x08000000u /* the only addresses ever programmed, erased or read */
#define FLASH_MAX 0x08200000u
#define SYSMEM_MIN 0x1FF00000u
#define PERIPH_MIN 0x40000000u
#define PERIPH_MAX 0x60000000u
#define STACK_RESERVE 1024u
#define HIST 16

/* ---- USART -------------------------------------------------------------------------- */
#define U_RXNE (1u << 5)
#define U_TC (1u << 6)
#define U_TXE (1u << 7)
#define U_ERR 0x0Fu /* ORE NE FE PE */
#if USART_OLD
#define U_SR 0x00
#define U_RD 0x04
#define U_TD 0x04
#define U_BRR 0x08
#define U_CR1 0x0C
#define U_UE (1u << 13)
#define U_M (1u << 12)
#else
#define U_CR1 0x00
#define U_BRR 0x0C
#define U_SR 0x1C
#define U_ICR 0x20
#define U_RD 0x24
#define U_TD 0x28
#define U_UE (1u << 0)
#define U_M (1u << 12) /* M0 */
#endif
#define U_PCE (1u << 10)
#define U_TE (1u << 3)
#define U_RE (1u << 2)
#define U_FRAME (U_M | U_PCE | U_TE | U_RE) /* 8 data bits + even parity, as the bootloader */

/* ---- flash controllers -------------------------------------------------------------- */
#define KEY1 0x45670123u
#define KEY2 0xCDEF89ABu
#if FLASH_F1
#define FL 0x40022000u
#define F_KEYR 0x04
#define F_SR 0x0C
#define F_CR 0x10
#define F_AR 0x14
#define SR_BSY (1u << 0)
#define SR_ERR ((1u << 2) | (1u << 4)) /* PGERR WRPRTERR */
#define SR_WRP (1u << 4)
#define SR_CLEAR ((1u << 5) | SR_ERR)
#define CR_PG (1u << 0)
#define CR_PER (1u << 1)
#define CR_MER (1u << 2)
#define CR_STRT (1u << 6)
#define CR_LOCK (1u << 7)
#elif FLASH_F4
#define FL 0x40023C00u
#define F_KEYR 0x04
#define F_SR 0x0C
#define F_CR 0x10
#define SR_BSY (1u << 16)
#define SR_ERR ((1u << 1) | (1u << 4) | (1u << 5) | (1u << 6) | (1u << 7)) /* OPERR WRPERR PGAERR PGPERR PGSERR */
#define SR_WRP (1u << 4)
#define SR_CLEAR ((1u << 0) | SR_ERR)
#define CR_PG (1u << 0)
#define CR_SER (1u << 1)
#define CR_MER (1u << 2)
#define CR_MER1 (1u << 15)
#define CR_STRT (1u << 16)
#define CR_LOCK (1u << 31)
#else /* G0 */
#define FL 0x40022000u
#define F_KEYR 0x08
#define F_SR 0x10
#define F_CR 0x14
#define SR_BSY ((1u << 16) | (1u << 18)) /* BSY1 CFGBSY */
#define SR_ERR 0xC3FAu /* OPERR PROGERR WRPERR PGAERR SIZERR PGSERR MISSERR FASTERR RDERR OPTVERR */
#define SR_WRP (1u << 4)
#define SR_CLEAR (1u | SR_ERR)
#define CR_PG (1u << 0)
#define CR_PER (1u << 1)
#define CR_MER (1u << 2)
#define CR_STRT (1u << 16)
#define CR_LOCK (1u << 31)
#endif

/* ---- SysTick: the only time base (HCLK, 24-bit down counter) ------------------------ */
#define SYST_CSR 0xE000E010u
#define SYST_RVR 0xE000E014u
#define SYST_CVR 0xE000E018u
#define AIRCR 0xE000ED0Cu

struct init_op { u32 addr, clear, set; };

/* The 128-byte header at the image base (start.S); the host fills the parameter block. */
struct header {
    u32 sp, entry;
    u8 magic[4];
    u8 proto, variant, version, rsv0;
    u32 entry_offset, image_size, rsv1, rsv2;
    /* 0x20 parameters */
    u32 usart;        /* USART base address */
    u32 baud;         /* line rate in use when the flasher starts */
    u32 hse_hz;       /* HSE frequency if the clock runs from it, 0 = unknown */
    u8 usart_apb;     /* 1: PCLK1 (or the only APB), 2: PCLK2 */
    u8 clksel_shift;  /* bit of this USART's kernel clock selector (F0/F3 CFGR3, G0 CCIPR); 0xFF none */
    u8 pflags;
    u8 n_init;        /* register writes done at start (clock enables, pins) */
    struct init_op init[6];
};

struct st {
    const struct header *hdr;
    u32 base, image_size, sp_top;
    u32 usart, sysclk, hclk, uclk, brr_start;
    u8 kept; /* the USART was still set up by the bootloader: its BRR came from autobaud */
    /* time */
    u32 ticks, last_cvr, tpms;
    /* receive ring (power of two) and decode buffer */
    u8 *ring, *buf;
    u32 rsize, rmask, head, tail, last_rx, dropped, errors;
    u8 rx_seen; /* a byte came since the last tick_update */
    u32 max_raw, window;
    u32 crct[16];
    /* flash map from CONFIG */
    u8 configured, psize, cflags, nruns, nforb;
    u32 fstart, fend, bank2;
    u32 run_count[6], run_size[6];
    u32 forb_start[4], forb_end[4];
    /* sequencing */
    u8 expected, nak_sent;
    u32 nak_tick;
    u8 hist_type[HIST], hist_status[HIST];
    u32 hist_val[HIST];
    /* baud change awaiting confirmation */
    u8 baud_pending;
    u32 old_brr, baud_mark, baud_tmo;
};

/* The compiler may call these for struct copies and loops. */
void *memset(void *d, int c, unsigned n)
{
    u8 *p = d;
    while (n--) *p++ = (u8)c;
    return d;
}

void *memcpy(void *d, const void *s, unsigned n)
{
    u8 *p = d;
    const u8 *q = s;
    while (n--) *p++ = *q++;
    return d;
}

/* Unsigned division without libgcc (Cortex-M0 has no divide instruction). */
static u32 udiv(u32 n, u32 d)
{
    u32 q = 0, r = 0;
    if (d == 0) return 0;
    for (int i = 31; i >= 0; i--) {
        r = (r << 1) | ((n >> i) & 1u);
        if (r >= d) { r -= d; q |= 1u << i; }
    }
    return q;
}

static u32 div_round(u32 n, u32 d) { return d ? udiv(n + (d >> 1), d) : 0; }

/* ---- time and receiving ------------------------------------------------------------- */
static void tick_update(struct st *s)
{
    u32 cvr = REG(SYST_CVR) & 0xFFFFFFu;
    s->ticks += (s->last_cvr - cvr) & 0xFFFFFFu;
    s->last_cvr = cvr;
    if (s->rx_seen) {
        /* Stamped with the time just read: a byte found after a long operation is not "old". */
        s->last_rx = s->ticks;
        s->rx_seen = 0;
    }
}

/* True once more than ms milliseconds have passed since mark (no division: tpms is precomputed). */
static int elapsed(const struct st *s, u32 mark, u32 ms) { return s->ticks - mark > ms * s->tpms; }

/* Moves a received byte, if any, into the ring. Bytes that do not fit are dropped (counted):
 * the frame they belonged to fails its CRC and is sent again. */
static int uart_poll(struct st *s)
{
    u32 sr = REG(s->usart + U_SR);
    int got = 0;
    if (sr & U_RXNE) {
        got = 1;
        u8 b = (u8)REG(s->usart + U_RD);
        if (s->head - s->tail < s->rsize) s->ring[s->head++ & s->rmask] = b;
        else s->dropped++;
        s->rx_seen = 1;
    }
    if (sr & U_ERR) {
        s->errors++;
#if USART_OLD
        (void)REG(s->usart + U_RD); /* SR then DR clears ORE/NE/FE/PE */
#else
        REG(s->usart + U_ICR) = U_ERR;
#endif
    }
    return got;
}

static void service(struct st *s)
{
    uart_poll(s);
    tick_update(s);
}

static void uart_send(struct st *s, const u8 *p, u32 n)
{
    while (n--) {
        while (!(REG(s->usart + U_SR) & U_TXE)) service(s);
        REG(s->usart + U_TD) = *p++;
    }
}

static void uart_drain(struct st *s)
{
    while (!(REG(s->usart + U_SR) & U_TC)) service(s);
}

/* ---- CRC-32 (IEEE 802.3 / zlib: reflected, poly 0xEDB88320, init and xorout 0xFFFFFFFF) */
static void crc_init(struct st *s)
{
    for (u32 i = 0; i < 16; i++) {
        u32 c = i;
        for (int k = 0; k < 4; k++) c = (c & 1u) ? (c >> 1) ^ 0xEDB88320u : c >> 1;
        s->crct[i] = c;
    }
}

static u32 crc_byte(const struct st *s, u32 c, u32 b)
{
    c ^= b;
    c = (c >> 4) ^ s->crct[c & 15u];
    return (c >> 4) ^ s->crct[c & 15u];
}

static u8 rb(const struct st *s, u32 i) { return s->ring[i & s->rmask]; }

static u32 rd32(const struct st *s, u32 i)
{
    return (u32)rb(s, i) | (u32)rb(s, i + 1) << 8 | (u32)rb(s, i + 2) << 16 | (u32)rb(s, i + 3) << 24;
}

static u32 rd16(const struct st *s, u32 i) { return (u32)rb(s, i) | (u32)rb(s, i + 1) << 8; }

static void put32(u8 *p, u32 v)
{
    p[0] = (u8)v;
    p[1] = (u8)(v >> 8);
    p[2] = (u8)(v >> 16);
    p[3] = (u8)(v >> 24);
}

/* ---- frames out --------------------------------------------------------------------- */
static void send_frame(struct st *s, u8 type, u8 seq, const u8 *payload, u32 len)
{
    u8 h[6];
    h[0] = SOF;
    h[1] = type;
    h[2] = seq;
    h[3] = (u8)len;
    h[4] = (u8)(len >> 8);
    h[5] = (u8)~(h[1] ^ h[2] ^ h[3] ^ h[4]);
    u32 c = 0xFFFFFFFFu;
    for (u32 i = 1; i < 6; i++) c = crc_byte(s, c, h[i]);
    for (u32 i = 0; i < len; i++) c = crc_byte(s, c, payload[i]);
    u8 t[4];
    put32(t, ~c);
    uart_send(s, h, 6);
    uart_send(s, payload, len);
    uart_send(s, t, 4);
}

static void respond(struct st *s, u8 cmd, u8 seq, u8 status, u32 val)
{
    u8 p[5];
    p[0] = status;
    put32(p + 1, val);
    send_frame(s, (u8)(cmd | 0x80), seq, p, 5);
}

static void nak(struct st *s, u8 reason)
{
    if (s->nak_sent && !elapsed(s, s->nak_tick, 100)) return; /* one per episode */
    s->nak_sent = 1;
    s->nak_tick = s->ticks;
    send_frame(s, RSP_NAK, s->expected, &reason, 1);
}

/* ---- clocks ------------------------------------------------------------------------- */
static u32 ahb_div(u32 hpre) { return hpre < 8 ? 1u : (hpre < 12 ? 1u << (hpre - 7) : 1u << (hpre - 6)); }
static u32 apb_div(u32 ppre) { return ppre < 4 ? 1u : 1u << (ppre - 3); }

/* SYSCLK, HCLK and this USART's kernel clock, read from RCC as the bootloader left it.
 * 0 = unknown (e.g. HSE of unknown frequency): the host is told and keeps the rate. */
static void read_clocks(struct st *s)
{
    const struct header *h = s->hdr;
    u32 sys = 0, hclk, pclk, u = 0;
#if RCC_F1 || RCC_F0
    u32 cfgr = REG(0x40021004u);
    u32 sws = (cfgr >> 2) & 3u;
    u32 hsi = 8000000u;
    if (sws == 0) sys = hsi;
    else if (sws == 1) sys = h->hse_hz;
    else if (sws == 2) {
        u32 mul = ((cfgr >> 18) & 15u) + 2u;
        if (mul > 16) mul = 16;
#if RCC_F1
        u32 src = (cfgr & (1u << 16)) ? ((cfgr & (1u << 17)) ? h->hse_hz / 2u : h->hse_hz) : hsi / 2u;
#else
        u32 prediv = (REG(0x4002102Cu) & 15u) + 1u;
        u32 sel = (cfgr >> 15) & 3u; /* F04x/F07x/F09x/F303xE: 2 bits; others: bit 16 only (sel 2 or 0) */
        u32 src = sel == 0 || sel == 1 ? (sel == 0 ? hsi / 2u : udiv(hsi, prediv))
                : sel == 2 ? udiv(h->hse_hz, prediv) : udiv(48000000u, prediv);
#endif
        sys = src * mul;
    } else sys = 48000000u; /* F0 HSI48 */
    hclk = udiv(sys, ahb_div((cfgr >> 4) & 15u));
    pclk = udiv(hclk, apb_div(h->usart_apb == 2 ? (cfgr >> 11) & 7u : (cfgr >> 8) & 7u));
    u = pclk;
#if RCC_F0
    if (h->clksel_shift < 32) {
        u32 sel = (REG(0x40021030u) >> h->clksel_shift) & 3u; /* CFGR3 */
        u = sel == 0 ? pclk : sel == 1 ? sys : sel == 3 ? hsi : 0;
    }
#endif
#elif RCC_F4
    u32 cfgr = REG(0x40023808u);
    u32 sws = (cfgr >> 2) & 3u;
    if (sws == 0) sys = 16000000u;
    else if (sws == 1) sys = h->hse_hz;
    else {
        u32 pll = REG(0x40023804u);
        u32 m = pll & 63u, n = (pll >> 6) & 511u, p = (((pll >> 16) & 3u) + 1u) * 2u;
        u32 src = (pll & (1u << 22)) ? h->hse_hz : 16000000u;
        sys = m ? udiv(udiv(src, m) * n, p) : 0;
    }
    hclk = udiv(sys, ahb_div((cfgr >> 4) & 15u));
    pclk = udiv(hclk, apb_div(h->usart_apb == 2 ? (cfgr >> 13) & 7u : (cfgr >> 10) & 7u));
    u = pclk;
#else /* G0 */
    u32 cr = REG(0x40021000u), cfgr = REG(0x40021008u);
    u32 sws = (cfgr >> 3) & 7u;
    u32 hsi = 16000000u;
    if (sws == 0) sys = hsi >> ((cr >> 11) & 7u);
    else if (sws == 1) sys = h->hse_hz;
    else if (sws == 2) {
        u32 pll = REG(0x4002100Cu);
        u32 src = (pll & 3u) == 2 ? hsi : (pll & 3u) == 3 ? h->hse_hz : 0;
        u32 m = ((pll >> 4) & 7u) + 1u, n = (pll >> 8) & 127u, r = ((pll >> 29) & 7u) + 1u;
        sys = udiv(udiv(src, m) * n, r);
    } else sys = 0; /* LSI/LSE: far too slow for a UART link */
    hclk = udiv(sys, ahb_div((cfgr >> 8) & 15u));
    pclk = udiv(hclk, apb_div((cfgr >> 12) & 7u));
    u = pclk;
    if (h->clksel_shift < 32) {
        u32 sel = (REG(0x40021054u) >> h->clksel_shift) & 3u; /* CCIPR */
        u = sel == 0 ? pclk : sel == 1 ? sys : sel == 2 ? hsi : 0;
    }
#endif
    s->sysclk = sys;
    s->hclk = hclk;
    s->uclk = u;
}

/* ---- flash map ---------------------------------------------------------------------- */
/* True when [a, a+n) lies inside the configured flash and outside every forbidden range. */
static int range_ok(const struct st *s, u32 a, u32 n)
{
    if (!s->configured || n == 0) return 0;
    u32 e = a + n;
    if (e < a || a < s->fstart || e > s->fend) return 0;
    for (u32 i = 0; i < s->nforb; i++)
        if (a < s->forb_end[i] && e > s->forb_start[i]) return 0;
    return 1;
}

/* The erase unit (page or sector) holding a: its index, start and size; 0 if outside. */
static int unit_of(const struct st *s, u32 a, u32 *index, u32 *start, u32 *size)
{
    u32 at = s->fstart, idx = 0;
    for (u32 r = 0; r < s->nruns; r++) {
        u32 sz = s->run_size[r];
        for (u32 k = 0; k < s->run_count[r]; k++, idx++, at += sz) {
            if (a >= at && a - at < sz) {
                *index = idx;
                *start = at;
                *size = sz;
                return 1;
            }
        }
    }
    return 0;
}

static u32 prog_unit(const struct st *s)
{
#if FLASH_F1
    (void)s;
    return 2;
#elif FLASH_F4
    return 1u << s->psize;
#else
    (void)s;
    return 8;
#endif
}

/* ---- flash operations --------------------------------------------------------------- */
static u32 bank_regs(const struct st *s, u32 a)
{
#if FLASH_F1
    if (s->bank2 && a >= s->bank2) return FL + 0x40u; /* F1 XL-density bank 2 */
#else
    (void)s;
    (void)a;
#endif
    return FL;
}

static int unlock(struct st *s, u32 b)
{
    (void)s;
    if (REG(b + F_CR) & CR_LOCK) {
        REG(b + F_KEYR) = KEY1;
        REG(b + F_KEYR) = KEY2;
    }
    return !(REG(b + F_CR) & CR_LOCK);
}

/* Waits for the flash to finish (receiving meanwhile); returns the error bits, cleared. */
static u32 flash_wait(struct st *s, u32 b)
{
    u32 mark = s->ticks;
    while (REG(b + F_SR) & SR_BSY) {
        service(s);
        if (elapsed(s, mark, 5000)) return 0xFFFFFFFFu;
    }
    u32 sr = REG(b + F_SR);
    REG(b + F_SR) = sr & SR_CLEAR;
    return sr & SR_ERR;
}

static u8 flash_status(u32 err) { return err == 0xFFFFFFFFu ? ST_TIMEOUT : (err & SR_WRP) ? ST_PROTECTED : ST_FLASH; }

static u32 program_one(struct st *s, u32 b, u32 a, const u8 *d)
{
#if FLASH_F1
    REG(b + F_CR) = CR_PG;
    *(volatile u16 *)a = (u16)(d[0] | d[1] << 8);
#elif FLASH_F4
    REG(b + F_CR) = CR_PG | (u32)s->psize << 8;
    if (s->psize == 0) *(volatile u8 *)a = d[0];
    else if (s->psize == 1) *(volatile u16 *)a = (u16)(d[0] | d[1] << 8);
    else *(volatile u32 *)a = (u32)d[0] | (u32)d[1] << 8 | (u32)d[2] << 16 | (u32)d[3] << 24;
#else
    REG(b + F_SR) = SR_CLEAR; /* a stale error would stop the next programming (PGSERR) */
    REG(b + F_CR) = CR_PG;
    *(volatile u32 *)a = (u32)d[0] | (u32)d[1] << 8 | (u32)d[2] << 16 | (u32)d[3] << 24;
    *(volatile u32 *)(a + 4) = (u32)d[4] | (u32)d[5] << 8 | (u32)d[6] << 16 | (u32)d[7] << 24;
#endif
    u32 err = flash_wait(s, b);
    REG(b + F_CR) = 0;
    return err;
}

/* Compares flash with d; returns the offset of the first difference or n. */
static u32 compare(struct st *s, u32 a, const u8 *d, u32 n)
{
    u32 i = 0;
    if (((a | n) & 3u) == 0) {
        for (; i < n; i += 4) {
            u32 w = *(volatile u32 *)(a + i);
            if ((u8)w != d[i] || (u8)(w >> 8) != d[i + 1] || (u8)(w >> 16) != d[i + 2] || (u8)(w >> 24) != d[i + 3]) break;
            if ((i & 63u) == 0) service(s);
        }
        if (i >= n) return n;
    }
    for (; i < n; i++)
        if (*(volatile u8 *)(a + i) != d[i]) return i;
    return n;
}

static u8 program(struct st *s, u32 a, const u8 *d, u32 n, u32 *where)
{
    u32 unit = prog_unit(s);
    for (u32 off = 0; off < n; off += unit) {
        u32 blank = 1;
        for (u32 k = 0; k < unit; k++)
            if (d[off + k] != 0xFF) blank = 0;
        if (blank) continue; /* erased flash already reads 0xFF; and G0 refuses a second write */
        u32 b = bank_regs(s, a + off);
        if (!unlock(s, b)) {
            *where = a + off;
            return ST_LOCKED;
        }
        u32 err = program_one(s, b, a + off, d + off);
        if (err) {
            *where = a + off;
            return flash_status(err);
        }
    }
    u32 bad = compare(s, a, d, n);
    if (bad != n) {
        *where = a + bad;
        return ST_VERIFY;
    }
    return ST_OK;
}

static int is_blank(struct st *s, u32 a, u32 n)
{
    for (u32 i = 0; i < n; i += 4) {
        if (*(volatile u32 *)(a + i) != 0xFFFFFFFFu) return 0;
        if ((i & 255u) == 0) service(s);
    }
    return 1;
}

static u32 erase_one(struct st *s, u32 index, u32 start)
{
    u32 b = bank_regs(s, start);
    if (!unlock(s, b)) return 0xFFFFFFFEu;
#if FLASH_F1
    (void)index;
    REG(b + F_CR) = CR_PER;
    REG(b + F_AR) = start;
    REG(b + F_CR) = CR_PER | CR_STRT;
#elif FLASH_F4
    (void)start;
    u32 snb = (s->cflags & 1u) && index >= 12 ? 0x10u + (index - 12) : index; /* 2 MiB parts: bank 2 sectors */
    REG(b + F_CR) = CR_SER | snb << 3 | (u32)s->psize << 8;
    REG(b + F_CR) = CR_SER | snb << 3 | (u32)s->psize << 8 | CR_STRT;
#else
    (void)start;
    REG(b + F_SR) = SR_CLEAR;
    REG(b + F_CR) = CR_PER | index << 3;
    REG(b + F_CR) = CR_PER | index << 3 | CR_STRT;
#endif
    u32 err = flash_wait(s, b);
    REG(b + F_CR) = 0;
    return err;
}

static u32 mass_erase(struct st *s)
{
    u32 err = 0;
    u32 b = bank_regs(s, s->fstart);
    for (int bank = 0; bank < 2; bank++) {
        if (!unlock(s, b)) return 0xFFFFFFFEu;
#if FLASH_F4
        u32 mer = CR_MER | ((s->cflags & 1u) ? CR_MER1 : 0) | (u32)s->psize << 8;
#else
        u32 mer = CR_MER;
#endif
#if FLASH_G0
        REG(b + F_SR) = SR_CLEAR;
#endif
        REG(b + F_CR) = mer;
        REG(b + F_CR) = mer | CR_STRT;
        err |= flash_wait(s, b);
        REG(b + F_CR) = 0;
        u32 b2 = bank_regs(s, s->fend - 1u);
        if (b2 == b) break;
        b = b2;
    }
    return err;
}

/* ---- LZ4 block decoder (reads the frame in the ring, writes the buffer) ------------- */
static int lz4_decode(struct st *s, u32 src, u32 n, u8 *dst, u32 cap)
{
    u32 end = src + n, op = 0;
    while (src != end) {
        u32 token = rb(s, src++);
        u32 lit = token >> 4;
        if (lit == 15) {
            u32 b;
            do {
                if (src == end) return -1;
                b = rb(s, src++);
                lit += b;
            } while (b == 255);
        }
        if (lit > end - src || lit > cap - op) return -1;
        for (u32 i = 0; i < lit; i++) {
            dst[op++] = rb(s, src++);
            if ((i & 63u) == 63u) uart_poll(s);
        }
        if (src == end) break; /* the last sequence has literals only */
        if (end - src < 2) return -1;
        u32 off = rd16(s, src);
        src += 2;
        if (off == 0 || off > op) return -1;
        u32 ml = token & 15u;
        if (ml == 15) {
            u32 b;
            do {
                if (src == end) return -1;
                b = rb(s, src++);
                ml += b;
            } while (b == 255);
        }
        ml += 4;
        if (ml > cap - op) return -1;
        for (u32 i = 0; i < ml; i++, op++) {
            dst[op] = dst[op - off];
            if ((i & 63u) == 63u) uart_poll(s);
        }
        uart_poll(s);
    }
    return (int)op;
}

/* ---- commands ----------------------------------------------------------------------- */
static void hello(struct st *s, u8 type, u8 seq)
{
    u8 p[48];
    memset(p, 0, sizeof p);
    p[0] = ST_OK;
    p[1] = s->hdr->proto;
    p[2] = s->hdr->variant;
    p[3] = s->hdr->version;
    put32(p + 4, s->sysclk);
    put32(p + 8, s->hclk);
    put32(p + 12, s->uclk);
    put32(p + 16, REG(s->usart + U_BRR));
    put32(p + 20, s->hdr->baud);
    p[24] = (u8)s->max_raw;
    p[25] = (u8)(s->max_raw >> 8);
    p[26] = (u8)s->window;
    p[27] = (u8)(s->kept | (s->uclk == 0 ? 2u : 0u));
    put32(p + 28, s->rsize);
    put32(p + 32, s->base);
    put32(p + 36, s->image_size);
    put32(p + 40, s->sp_top);
    put32(p + 44, s->dropped + s->errors);
    send_frame(s, type, seq, p, sizeof p);
}

static u8 config(struct st *s, u32 p, u32 len)
{
    s->configured = 0;
    if (len < 16) return ST_BAD_ARG;
    u32 fs = rd32(s, p), fe = rd32(s, p + 4), b2 = rd32(s, p + 8);
    u32 psize = rb(s, p + 12), flags = rb(s, p + 13), nruns = rb(s, p + 14), nforb = rb(s, p + 15);
    if (nruns == 0 || nruns > 6 || nforb > 4 || len != 16 + nruns * 8 + nforb * 8) return ST_BAD_ARG;
    if (fs < FLASH_MIN || fe > FLASH_MAX || fs >= fe || psize > 2) return ST_ADDRESS;
    if (b2 && (b2 <= fs || b2 >= fe)) return ST_BAD_ARG;
    u32 total = 0, q = p + 16;
    for (u32 r = 0; r < nruns; r++, q += 8) {
        s->run_count[r] = rd32(s, q);
        s->run_size[r] = rd32(s, q + 4);
        if (s->run_size[r] == 0 || (s->run_size[r] & 1023u)) return ST_BAD_ARG;
        total += s->run_count[r] * s->run_size[r];
    }
    if (total != fe - fs) return ST_BAD_ARG;
    for (u32 f = 0; f < nforb; f++, q += 8) {
        s->forb_start[f] = rd32(s, q);
        s->forb_end[f] = rd32(s, q + 4);
    }
    s->fstart = fs;
    s->fend = fe;
    s->bank2 = b2;
    s->psize = (u8)psize;
    s->cflags = (u8)flags;
    s->nruns = (u8)nruns;
    s->nforb = (u8)nforb;
    s->configured = 1;
    return ST_OK;
}

static u8 erase(struct st *s, u32 p, u32 len, u32 *val)
{
    if (!s->configured) return ST_NOT_CONFIGURED;
    if (len != 8) return ST_BAD_ARG;
    u32 a = rd32(s, p), count = rd16(s, p + 4), flags = rb(s, p + 6);
    u32 erased = 0, skipped = 0;
    if (flags & 2u) {
        /* Mass erase: only when the host allowed it in CONFIG and nothing is forbidden. */
        if (!(s->cflags & 2u) || s->nforb) return ST_ADDRESS;
        u32 err = mass_erase(s);
        if (err) return err == 0xFFFFFFFEu ? ST_LOCKED : flash_status(err);
        if (!is_blank(s, s->fstart, s->fend - s->fstart)) return ST_VERIFY;
        *val = 0xFFFFu;
        return ST_OK;
    }
    for (u32 k = 0; k < count; k++) {
        u32 index, start, size;
        if (!unit_of(s, a, &index, &start, &size) || start != a || !range_ok(s, start, size)) {
            *val = a;
            return ST_ADDRESS;
        }
        if ((flags & 1u) && is_blank(s, start, size)) skipped++;
        else {
            u32 err = erase_one(s, index, start);
            if (err) {
                *val = a;
                return err == 0xFFFFFFFEu ? ST_LOCKED : flash_status(err);
            }
            if (!is_blank(s, start, size)) {
                *val = a;
                return ST_VERIFY;
            }
            erased++;
        }
        a = start + size;
    }
    *val = erased | skipped << 16;
    return ST_OK;
}

static u8 write(struct st *s, u32 p, u32 len, u32 *val)
{
    if (!s->configured) return ST_NOT_CONFIGURED;
    if (len < 8) return ST_BAD_ARG;
    u32 a = rd32(s, p), raw = rd16(s, p + 4), enc = rb(s, p + 6), n = len - 8;
    *val = a;
    if (raw == 0 || raw > s->max_raw) return ST_BAD_ARG;
    u32 unit = prog_unit(s);
    if ((a | raw) & (unit - 1u)) return ST_ADDRESS;
    if (!range_ok(s, a, raw)) return ST_ADDRESS;
    if (enc == 0) {
        if (n != raw) return ST_BAD_ARG;
        for (u32 i = 0; i < n; i++) {
            s->buf[i] = rb(s, p + 8 + i);
            if ((i & 63u) == 63u) uart_poll(s);
        }
    } else if (enc == 1) {
        if (lz4_decode(s, p + 8, n, s->buf, s->max_raw) != (int)raw) return ST_DECODE;
    } else return ST_BAD_ARG;
    return program(s, a, s->buf, raw, val);
}

static u8 crc_range(struct st *s, u32 p, u32 len, u32 *val)
{
    if (!s->configured) return ST_NOT_CONFIGURED;
    if (len != 8) return ST_BAD_ARG;
    u32 a = rd32(s, p), n = rd32(s, p + 4);
    if (!range_ok(s, a, n)) return ST_ADDRESS;
    u32 c = 0xFFFFFFFFu;
    for (u32 i = 0; i < n; i++) {
        c = crc_byte(s, c, *(volatile u8 *)(a + i));
        if ((i & 63u) == 0) service(s);
    }
    *val = ~c;
    return ST_OK;
}

static u8 set_baud(struct st *s, u32 p, u32 len, u32 *val)
{
    if (len != 8) return ST_BAD_ARG;
    u32 rate = rd32(s, p), tmo = rd16(s, p + 4);
    u32 brr = div_round(s->uclk, rate);
    if (brr < 16) brr = 16; /* 16x oversampling: the fastest this clock allows */
    u32 actual = div_round(s->uclk, brr);
    *val = actual;
    if (rate == 0 || s->uclk == 0 || brr > 0xFFFF || tmo == 0) return ST_BAD_RATE;
    u32 diff = actual > rate ? actual - rate : rate - actual;
    if (diff * 50u > rate) return ST_BAD_RATE; /* more than 2 % off */
    s->old_brr = REG(s->usart + U_BRR);
    s->baud_tmo = tmo;
    s->baud_pending = 1;
    return ST_OK;
}

static void switch_brr(struct st *s, u32 brr)
{
    uart_drain(s);
    u32 cr1 = REG(s->usart + U_CR1);
    REG(s->usart + U_CR1) = cr1 & ~U_UE;
    REG(s->usart + U_BRR) = brr;
    REG(s->usart + U_CR1) = cr1 | U_UE;
    s->tail = s->head; /* whatever arrived so far was at the other rate */
}

static void exit_flasher(struct st *s, u32 p, u32 len)
{
    u32 mode = len >= 1 ? rb(s, p) : 0;
    u32 sysmem = len >= 8 ? rd32(s, p + 4) : 0;
    uart_drain(s);
    REG(FL + F_CR) = CR_LOCK;
#if FLASH_F1
    if (s->bank2) REG(FL + 0x40u + F_CR) = CR_LOCK;
#endif
    if (mode == 1 && sysmem >= SYSMEM_MIN && sysmem < 0x20000000u) {
        /* Back to the ROM bootloader: USART and SysTick as after reset, its own vectors. */
        REG(s->usart + U_CR1) = 0;
        REG(SYST_CSR) = 0;
        u32 sp = *(volatile u32 *)sysmem, pc = *(volatile u32 *)(sysmem + 4);
        __asm volatile("msr msp, %0\n\tbx %1" : : "r"(sp), "r"(pc | 1u));
    }
    __asm volatile("dsb" ::: "memory");
    REG(AIRCR) = 0x05FA0004u; /* SYSRESETREQ: the boot pins decide where the chip goes */
    for (;;) __asm volatile("dsb" ::: "memory");
}

/* One good frame: type, seq, payload at ring index p (len bytes). */
static void handle(struct st *s, u32 type, u32 seq, u32 p, u32 len)
{
    if (s->baud_pending == 2) {
        s->baud_mark = s->ticks; /* heard at the new rate */
        if (type != CMD_PING || (len >= 1 && rb(s, p) == 1)) s->baud_pending = 0; /* committed */
    }
    if (type == CMD_HELLO) {
        hello(s, CMD_HELLO | 0x80, (u8)seq);
        return;
    }
    if (type == CMD_PING) {
        u8 e[8];
        u32 n = len > 8 ? 8 : len;
        for (u32 i = 0; i < n; i++) e[i] = rb(s, p + i);
        send_frame(s, CMD_PING | 0x80, (u8)seq, e, n);
        return;
    }
    u8 d = (u8)(seq - s->expected);
    if (d != 0) {
        if (d >= 256 - HIST) {
            /* Already done (its answer was lost): answer again, never execute twice. */
            u32 h = seq % HIST;
            if (s->hist_type[h] == type) respond(s, (u8)type, (u8)seq, s->hist_status[h], s->hist_val[h]);
        } else nak(s, NAK_GAP);
        return;
    }
    u32 val = 0;
    u8 status;
    switch (type) {
    case CMD_CONFIG: status = config(s, p, len); break;
    case CMD_SET_BAUD: status = set_baud(s, p, len, &val); break;
    case CMD_ERASE: status = erase(s, p, len, &val); break;
    case CMD_WRITE: status = write(s, p, len, &val); break;
    case CMD_CRC: status = crc_range(s, p, len, &val); break;
    case CMD_EXIT:
        respond(s, (u8)type, (u8)seq, ST_OK, 0);
        exit_flasher(s, p, len);
        return;
    default: status = ST_UNKNOWN; break;
    }
    u32 h = seq % HIST;
    s->hist_type[h] = (u8)type;
    s->hist_status[h] = status;
    s->hist_val[h] = val;
    s->expected++;
    s->nak_sent = 0;
    respond(s, (u8)type, (u8)seq, status, val);
    if (type == CMD_SET_BAUD && s->baud_pending == 1) {
        /* Answered at the old rate; now listen at the new one until confirmed or timed out. */
        switch_brr(s, div_round(s->uclk, rd32(s, p)));
        s->baud_pending = 2;
        s->baud_mark = s->ticks;
    }
}

/* ---- main loop ---------------------------------------------------------------------- */
static void __attribute__((noreturn)) serve(struct st *s)
{
    u32 turn = 0;
    for (;;) {
        /* Take what has arrived (up to a frame's worth) before looking at the ring again. */
        for (u32 k = 0; k < 256 && uart_poll(s); k++) continue;
        if ((++turn & 15u) == 0 || s->head != s->tail) tick_update(s);
        if (s->baud_pending == 2 && elapsed(s, s->baud_mark, s->baud_tmo)) {
            switch_brr(s, s->old_brr); /* nobody confirmed: back to the old rate */
            s->baud_pending = 0;
        }
        u32 avail = s->head - s->tail;
        if (avail == 0) continue;
        if (rb(s, s->tail) != SOF) {
            s->tail++;
            continue;
        }
        if (avail >= 6) {
            u32 t = s->tail;
            u32 type = rb(s, t + 1), seq = rb(s, t + 2), len = rd16(s, t + 3);
            if ((u8)~(type ^ seq ^ rb(s, t + 3) ^ rb(s, t + 4)) != rb(s, t + 5) || len > s->max_raw + 16u) {
                s->tail++;
                continue; /* not a frame start */
            }
            if (avail >= 10 + len) {
                u32 c = 0xFFFFFFFFu;
                for (u32 i = 1; i < 6 + len; i++) {
                    c = crc_byte(s, c, rb(s, t + i));
                    if ((i & 63u) == 0) uart_poll(s);
                }
                if (~c != rd32(s, t + 6 + len)) {
                    s->tail++;
                    nak(s, NAK_CRC);
                    continue;
                }
                handle(s, type, seq, t + 6, len);
                if (s->tail == t) s->tail = t + 10 + len; /* (a baud switch empties the ring itself) */
                continue;
            }
        }
        tick_update(s);
        if (elapsed(s, s->last_rx, 50)) {
            /* A frame that stopped arriving (a byte was lost): give up on it. */
            s->tail++;
            nak(s, NAK_TIMEOUT);
        }
    }
}

void flasher_main(u32 base) __attribute__((noreturn, used));
void flasher_main(u32 base)
{
    __asm volatile("cpsid i");
    struct st st;
    struct st *s = &st;
    memset(s, 0, sizeof st);
    const struct header *h = (const struct header *)base;
    s->hdr = h;
    s->base = base;
    s->image_size = h->image_size;
    s->sp_top = h->sp;
    s->usart = h->usart;

    /* Clock enables and pins for this USART, as the host computed them for the part. */
    for (u32 i = 0; i < h->n_init && i < 6; i++) {
        u32 a = h->init[i].addr;
        if (a >= PERIPH_MIN && a < PERIPH_MAX && (a & 3u) == 0) REG(a) = (REG(a) & ~h->init[i].clear) | h->init[i].set;
    }
    read_clocks(s);
    s->tpms = udiv(s->hclk ? s->hclk : 8000000u, 1000u);
    REG(SYST_RVR) = 0xFFFFFFu;
    REG(SYST_CVR) = 0;
    REG(SYST_CSR) = 5u; /* enabled, processor clock, no interrupt */
    s->last_cvr = REG(SYST_CVR) & 0xFFFFFFu;

    /* The USART: keep the bootloader's autobaud divider when it is still running (it matches
     * the host's real rate); otherwise set it up from RCC at the rate the host says. */
    u32 cr1 = REG(s->usart + U_CR1), brr = REG(s->usart + U_BRR);
    if ((cr1 & U_UE) && brr >= 16) {
        s->kept = 1;
        if ((cr1 & U_FRAME) != U_FRAME) {
            REG(s->usart + U_CR1) = cr1 & ~U_UE;
            REG(s->usart + U_CR1) = (cr1 & ~U_UE) | U_FRAME;
            REG(s->usart + U_CR1) = cr1 | U_FRAME;
        }
    } else {
        REG(s->usart + U_CR1) = 0;
        REG(s->usart + U_BRR) = div_round(s->uclk ? s->uclk : 8000000u, h->baud ? h->baud : 115200u);
        REG(s->usart + U_CR1) = U_FRAME;
        REG(s->usart + U_CR1) = U_FRAME | U_UE;
    }
    s->brr_start = REG(s->usart + U_BRR);

    /* Buffers between the image and the stack: the decode buffer, then a power-of-two ring
     * large enough for at least one frame (two or more preferred: the window). */
    u32 lo = (base + s->image_size + 7u) & ~7u;
    u32 hi = s->sp_top - STACK_RESERVE;
    u32 avail = hi > lo ? hi - lo : 0;
    u32 raw = 2048, ring = 0;
    for (; raw >= 256; raw >>= 1) {
        u32 frame = raw + 24u;
        u32 rem = avail > raw ? avail - raw : 0;
        ring = 16384;
        while (ring > rem) ring >>= 1;
        if (ring >= 2 * frame || (raw == 256 && ring >= frame)) break;
    }
    if (raw < 256) raw = 256;
    s->max_raw = raw;
    s->buf = (u8 *)lo;
    s->ring = (u8 *)(lo + raw);
    s->rsize = ring;
    s->rmask = ring - 1u;
    u32 w = udiv(ring, raw + 24u);
    s->window = w > 8 ? 8 : w;
    crc_init(s);
    if (s->window == 0) {
        /* Not enough RAM: say so (status ST_BAD_ARG in READY) and stay silent after. */
        u8 e = ST_BAD_ARG;
        s->ring = 0;
        send_frame(s, RSP_READY, 0, &e, 1);
        for (;;) tick_update(s);
    }
    hello(s, RSP_READY, 0);
    serve(s);
}
