/* Image header and entry of the on-chip flasher (see ../PROTOCOL.md, "Image").
 * The image is position-independent: the host writes it anywhere in the RAM the ROM
 * bootloader leaves free, patches words 0 and 1 (initial SP, entry | 1) and the parameter
 * block, and starts it with the bootloader's Go (MSP = word 0, PC = word 1). */
    .syntax unified
    .thumb
    .section .header, "ax"
    .global __header
__header:
    .word 0                         /* 0x00 initial SP: patched by the host (top of free RAM) */
    .word 0                         /* 0x04 entry: patched by the host (base + entry_offset | 1) */
    .ascii "S32F"                   /* 0x08 magic */
    .byte PROTO_VERSION             /* 0x0C protocol version */
    .byte VARIANT_ID                /* 0x0D variant: 1 F1, 2 F0/F3, 3 F4, 4 G0 */
    .byte FLASHER_VERSION           /* 0x0E flasher build version */
    .byte 0                         /* 0x0F reserved */
    .word _start - __header         /* 0x10 entry offset */
    .word __image_size              /* 0x14 image size in bytes (link-time constant) */
    .word 0, 0                      /* 0x18 reserved */
    .space 0x60, 0                  /* 0x20 parameter block, written by the host */

    .global _start
    .thumb_func
_start:                             /* offset 0x80 */
    mov r0, pc                      /* r0 = _start + 4 = base + 0x84 */
    subs r0, r0, #0x84              /* r0 = image base, wherever it was loaded */
    bl flasher_main
1:  b 1b
